"""The five-category loan classification rule (贷款五级分类), in one place.

System category from days past due against ``credit.classification`` of finecrm.yaml (defaults from
the 2023 rule, 商业银行金融资产风险分类办法): more than ``loss_over_days`` → 损失 loss; more than
``doubtful_over_days`` → 可疑 doubtful; more than ``substandard_over_days`` → 次级 substandard; more than
``special_mention_over_days`` (0: any amount overdue) → 关注 special mention; otherwise 正常 normal.
Each category carries a reason a manager can say, in Chinese and English ("逾期 95 天，超过 90 天 /
95 days past due, more than 90").

People may change a loan's category (a later piece keeps those changes, approved maker-checker, in the
operational database). ``classify`` takes them as an optional table (loan_id, category, reason) and
gives the final category beside the system's: with no change the final category is the system's.
"""

from __future__ import annotations

import ibis

from finecrm.core.settings import ClassificationSettings

#: The five categories, mildest first (rank 1 … 5), with their Chinese and English labels.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("normal", "正常", "normal"),
    ("special_mention", "关注", "special mention"),
    ("substandard", "次级", "substandard"),
    ("doubtful", "可疑", "doubtful"),
    ("loss", "损失", "loss"),
)
CODES = tuple(code for code, _, _ in CATEGORIES)
#: Non-performing loans (不良贷款): 次级 + 可疑 + 损失.
NPL = ("substandard", "doubtful", "loss")
#: What classify adds, in this order.
COLUMNS = (
    "system_category", "system_category_rank", "system_category_zh", "system_category_en",
    "system_reason_zh", "system_reason_en", "system_reason",
    "final_category", "final_category_rank", "final_category_zh", "final_category_en", "final_reason",
    "is_overridden", "is_npl",
)


def thresholds(rules: ClassificationSettings) -> list[tuple[str, int]]:
    """(category, days) from the most severe down: more than ``days`` past due is at least ``category``."""
    return [("loss", rules.loss_over_days), ("doubtful", rules.doubtful_over_days),
            ("substandard", rules.substandard_over_days), ("special_mention", rules.special_mention_over_days)]


def system_category(dpd: ibis.Value, rules: ClassificationSettings) -> ibis.Value:
    """The category code the rule gives ``dpd`` days past due."""
    return ibis.cases(*[(dpd > days, code) for code, days in thresholds(rules)], else_="normal")


def category_rank(code: ibis.Value) -> ibis.Value:
    """1 (normal) … 5 (loss); null for anything else. BIGINT on every backend."""
    return ibis.cases(*[(code == c, i + 1) for i, c in enumerate(CODES)], else_=ibis.null("int64")).cast("int64")


def category_label(code: ibis.Value, lang: str) -> ibis.Value:
    """The category's name in ``lang`` (zh or en); the code itself when it is none of the five."""
    pick = 1 if lang == "zh" else 2
    return ibis.cases(*[(code == c[0], c[pick]) for c in CATEGORIES], else_=code)


def system_reason(dpd: ibis.Value, rules: ClassificationSettings) -> tuple[ibis.Value, ibis.Value]:
    """Why the rule gave its category, as (Chinese, English) sentences naming the days and the threshold."""
    days = dpd.cast("int64").cast("string")
    zh_cases: list[tuple[ibis.Value, ibis.Value]] = []
    en_cases: list[tuple[ibis.Value, ibis.Value]] = []
    for _, limit in thresholds(rules):
        if limit == 0:
            # the 2023 rule's "any amount overdue": no threshold to name
            zh_cases.append((dpd > 0, "逾期 " + days + " 天，有逾期款项"))
            en_cases.append((dpd > 0, days + " days past due: an amount is overdue"))
        else:
            zh_cases.append((dpd > limit, "逾期 " + days + f" 天，超过 {limit} 天"))
            en_cases.append((dpd > limit, days + f" days past due, more than {limit}"))
    first = rules.special_mention_over_days
    zh_cases.append((dpd > 0, "逾期 " + days + f" 天，未超过 {first} 天"))
    en_cases.append((dpd > 0, days + f" days past due, not more than {first}"))
    return (ibis.cases(*zh_cases, else_="未逾期"), ibis.cases(*en_cases, else_="not past due"))


def classify(loans: ibis.Table, rules: ClassificationSettings, overrides: ibis.Table | None = None) -> ibis.Table:
    """Adds the system and the final five-category classification to ``loans`` (needs ``loan_id`` and ``dpd``).

    ``overrides`` (loan_id, category, reason, and optionally direction and system_category), one row per loan
    at most: a person's category for the loan and why, in force in the operational database. It becomes the final
    category and reason (``is_overridden``) while it holds:

    - a change toward more severe (``direction`` more_severe) is a floor: it holds while the rules see the loan
      less severe than the change, and the rules' category wins once they see it as bad or worse;
    - a change toward less severe (less_severe, approved by a second officer) holds while the rules see the loan
      no worse than when it was decided (``system_category``): a later deterioration is never hidden by an
      older, milder decision.

    Without ``direction`` a change holds as it is. Loans without one keep the system's category and reason.
    Added columns: :data:`COLUMNS`.
    """
    code = system_category(loans.dpd, rules)
    zh, en = system_reason(loans.dpd, rules)
    t = loans.mutate(system_category=code, system_reason_zh=zh, system_reason_en=en)
    t = t.mutate(system_reason=t.system_reason_zh + " / " + t.system_reason_en)
    if overrides is None:
        t = t.mutate(override_category=ibis.null("string"), override_reason=ibis.null("string"))
    else:
        cols = overrides.columns
        o = overrides.select(
            loan_id=overrides.loan_id.cast("string"),
            override_category=overrides.category.cast("string"),
            override_reason=overrides.reason.cast("string"),
            override_direction=(overrides.direction.cast("string") if "direction" in cols
                                else ibis.null("string")),
            override_system=(overrides.system_category.cast("string") if "system_category" in cols
                             else ibis.null("string")),
        )
        t = t.left_join(o, "loan_id").drop("loan_id_right")
        now, wanted = category_rank(t.system_category), category_rank(t.override_category)
        holds = ibis.cases(
            (t.override_direction == "more_severe", wanted > now),
            (t.override_direction == "less_severe", now <= category_rank(t.override_system)),
            else_=True,
        )
        t = t.mutate(override_category=ibis.ifelse(holds, t.override_category, ibis.null("string")))
        t = t.drop("override_direction", "override_system")
    is_overridden = t.override_category.notnull()
    final = ibis.ifelse(is_overridden, t.override_category, t.system_category)
    t = t.mutate(
        system_category_rank=category_rank(t.system_category),
        system_category_zh=category_label(t.system_category, "zh"),
        system_category_en=category_label(t.system_category, "en"),
        final_category=final,
        final_category_rank=category_rank(final),
        final_category_zh=category_label(final, "zh"),
        final_category_en=category_label(final, "en"),
        final_reason=ibis.ifelse(is_overridden, t.override_reason.fill_null(""), t.system_reason),
        is_overridden=is_overridden,
        is_npl=final.isin(NPL),
    )
    return t.drop("override_category", "override_reason").relocate(*COLUMNS, after=loans.columns[-1])
