"""The rule help page's content: every column a segment or audience rule may name, with its Chinese name, type
and an example; the operators and functions; worked examples. Built from the same lists the rules are checked
against (``rule_columns``, ``finecrm.rules.FUNCTIONS``), so the help cannot list a column a rule refuses."""

from __future__ import annotations

from finecrm.rules import FUNCTIONS
from finecrm.services.customers.columns import rule_columns, rule_labels
from finecrm.services.customers.outputs import RuleColumnHelp, RuleHelp, RuleTermHelp
from finecrm.services.snapshot.serving import Serving

#: A column type as staff say it (中文, English).
TYPES: dict[str, tuple[str, str]] = {
    "string": ("文本", "text"), "int": ("整数", "whole number"), "float": ("数值", "number"),
    "decimal": ("数值", "number"), "bool": ("是/否", "yes/no"), "date": ("日期", "date"),
    "timestamp": ("时间", "time"),
}
#: Examples for columns whose values are words; others get one from their type.
EXAMPLES: dict[str, str] = {
    "tier": "tier IN ('财富', '私行')", "kind": "kind = 'individual'", "gender": "gender = 'F'",
    "lifecycle_label": "lifecycle_label = '沉睡'", "segment_label": "segment_label = '稳妥型'",
    "value_tier": "value_tier = '高价值'", "kyc_risk_level": "kyc_risk_level <> 'high'", "age": "age BETWEEN 25 AND 40",
    "aum_avg": "aum_avg >= 50000", "risk_tolerance": "risk_tolerance >= 3", "open_date": "open_date >= '2025-01-01'",
    "last_ci_date": "date_diff('day', last_ci_date, current_date) > 180", "branch_id": "branch_id = 'B001'",
    "off_counter_rate_90d": "off_counter_rate_90d < 0.5",
}
OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("=  <>  <  <=  >  >=", "比较（`<>` 即不等于，也可写 `!=`）", "comparison (`<>` is 'not equal', `!=` also works)"),
    ("AND  OR  NOT  ( )", "并且、或者、不是；括号决定先算哪部分", "and, or, not; parentheses group"),
    ("x IN ('a', 'b')", "取值为其中之一（`NOT IN`：都不是）", "one of the values (`NOT IN`: none of them)"),
    ("x BETWEEN 1 AND 5", "介于两者之间，含两端", "between the two, both included"),
    ("x IS NULL", "没有值（`IS NOT NULL`：有值）", "has no value (`IS NOT NULL`: has one)"),
    ("x LIKE '张%'", "文本匹配：`%` 任意多个字，`_` 一个字", "text pattern: `%` any characters, `_` one"),
    ("+  -  *  /", "数值计算", "arithmetic on numbers"),
    ("CASE WHEN … THEN … ELSE … END", "按条件取值", "a value chosen by conditions"),
)
WORKED: tuple[tuple[str, str, str], ...] = (
    ("signed_online AND NOT signed_mobile AND age < 40", "开通了网银但没开手机银行、40 岁以下的客户",
     "online banking but not mobile banking, under 40"),
    ("tier IN ('财富', '私行') AND NOT has_insurance", "财富和私行客户中没有保险的", "wealth and private customers without insurance"),
    ("has_time_deposit AND aum_change_3m < -100000", "有定期、近 3 个月金融资产减少超过 10 万元的",
     "time deposits, and AUM down more than 100,000 in 3 months"),
    ("lifecycle_label = '沉睡' AND aum_avg >= 10000", "沉睡但仍有 1 万元以上资产的客户", "dormant customers still holding 10,000 or more"),
    ("date_diff('day', open_date, current_date) <= 90", "近 90 天开户的新客户", "opened in the last 90 days"),
    ("tier ＝ “贵宾” AND age ≥ 30", "全角符号和中文引号也可以：与 `tier = '贵宾' AND age >= 30` 相同",
     "full-width operators and Chinese quotes work too: the same as `tier = '贵宾' AND age >= 30`"),
)


def _example(col: str, typ: str) -> str:
    if col in EXAMPLES:
        return EXAMPLES[col]
    if typ == "bool":
        return col if not col.startswith("eligible_") else f"{col} AND NOT has_loan"
    if typ == "int":
        return f"{col} >= 3" if not col.startswith("decile_") else f"{col} <= 2"
    if typ in ("float", "decimal"):
        return f"{col} > 0.5" if col.startswith("p_") else f"{col} >= 10000"
    if typ in ("date", "timestamp"):
        return f"{col} >= '2026-01-01'"
    return f"{col} IS NOT NULL"


def rule_help(serving: Serving) -> RuleHelp:
    """The help page's tables. Any signed-in user may read them: they hold no customer data (names of columns,
    types, made-up examples), and every user who writes a rule needs them."""
    labels = rule_labels(serving)
    columns: list[RuleColumnHelp] = []
    for col, typ in sorted(rule_columns(serving).items()):
        zh, en = labels.get(col, (col, col))
        tzh, ten = TYPES.get(typ, (typ, typ))
        columns.append({"name": col, "zh": zh, "en": en, "type_zh": tzh, "type_en": ten, "example": _example(col, typ)})
    operators: list[RuleTermHelp] = [{"text": t, "zh": zh, "en": en} for t, zh, en in OPERATORS]
    functions: list[RuleTermHelp] = [{"text": f.signature, "zh": f.zh, "en": f.en} for f in FUNCTIONS]
    examples: list[RuleTermHelp] = [{"text": t, "zh": zh, "en": en} for t, zh, en in WORKED]
    return {"columns": columns, "operators": operators, "functions": functions, "examples": examples}
