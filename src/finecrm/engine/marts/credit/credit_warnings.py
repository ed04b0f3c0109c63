"""credit_warnings — one row per loan early warning (贷款风险预警) on the build date, with its rule and evidence.

A warning is raised before a loan is lost, while something can still be done: a first missed instalment, the
borrower's deposits draining (the deposit watch's alerts), the borrower's financial assets falling sharply, a
maturity near while the borrower's funds do not cover what is left, and several borrowers overdue in one grid.
The thresholds are ``credit.warnings`` of finecrm.yaml; docs/credit.md gives each rule. The id names the rule,
the loan (or customer or grid) and the day that raised it, so the work on a warning (services/credit/warnings)
stays attached to it from one build to the next.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.labels import CREDIT_WARNINGS
from finecrm.engine.marts.aml._common import txt
from finecrm.engine.model import BuildContext, Invariant, Model, add_months

DEPS = ("loan_status", "loan_overdue_history", "deposit_alerts", "customer_tier_history")

COLUMNS = ("warning_id", "rule", "rule_zh", "rule_en", "loan_id", "customer_id", "grid_id", "branch_id",
           "manager_id", "warning_date", "exposure", "params", "evidence_zh", "evidence_en")


def _finish(rule: str, t: ibis.Table, key: ibis.Value, params: str, zh: ibis.Value, en: ibis.Value,
            **cols: ibis.Value) -> ibis.Table:
    zh_label, en_label = CREDIT_WARNINGS[rule]
    given = {"loan_id": ibis.null("string"), "customer_id": ibis.null("string"), "manager_id": ibis.null("string"),
             **cols}
    return t.select(
        warning_id=ibis.literal(rule) + ":" + key + ":" + t.warning_date.cast("string"),
        rule=ibis.literal(rule), rule_zh=ibis.literal(zh_label), rule_en=ibis.literal(en_label),
        loan_id=given["loan_id"].cast("string"), customer_id=given["customer_id"].cast("string"),
        grid_id=given["grid_id"].cast("string"), branch_id=given["branch_id"].cast("string"),
        manager_id=given["manager_id"].cast("string"), warning_date=t.warning_date,
        exposure=t.exposure.cast("float64").round(2), params=ibis.literal(params), evidence_zh=zh, evidence_en=en,
    )


def _latest_month(h: ibis.Table, month: ibis.Value) -> ibis.Table:
    return h.filter(h.month == month).select("customer_id", "grid_id", "aum_avg", "aum_end")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.credit.warnings
    as_of = ibis.date(ctx.as_of)
    month = ibis.date(ctx.as_of_month)
    s = src["loan_status"]
    s = s.filter(s.is_open)
    history = src["customer_tier_history"]
    now = _latest_month(history, month)
    # The borrower's open loans together: what a warning about the customer puts at risk.
    borrowers = s.group_by("customer_id").agg(exposure=s.outstanding_principal.sum(), n_loans=s.loan_id.count(),
                                              branch_id=s.branch_id.max(), manager_id=s.manager_id.max())
    parts = []

    # 1. A first missed instalment: past due now, never past due at an earlier month end.
    h = src["loan_overdue_history"]
    before = h.filter((h.month < month) & (h.dpd > 0)).select("loan_id").distinct()
    first = s.filter((s.dpd > 0) & (s.dpd <= p.first_missed_max_dpd)).anti_join(before, "loan_id")
    first = first.mutate(warning_date=(first.first_unpaid_due + ibis.interval(days=1)).cast("timestamp").date(),
                         exposure=first.outstanding_principal)
    first = first.left_join(now.select("customer_id", "grid_id"), "customer_id").drop("customer_id_right")
    parts.append(_finish(
        "first_missed", first, first.loan_id, f"first_missed_max_dpd={p.first_missed_max_dpd}",
        "首次逾期：" + first.first_unpaid_due.cast("string") + " 到期的一期未还足，逾期 "
        + txt(first.dpd) + " 天，逾期金额 " + txt(first.overdue_amount) + " 元，此前各月末均未逾期",
        "first missed instalment: the one due "
        + first.first_unpaid_due.cast("string") + " is not paid in full, " + txt(first.dpd) + " days past due, "
        + txt(first.overdue_amount) + " overdue; never past due at an earlier month end",
        loan_id=first.loan_id, customer_id=first.customer_id, grid_id=first.grid_id, branch_id=first.branch_id,
        manager_id=first.manager_id))

    # 2. The borrower's deposits draining: an alert of the deposit watch shortly before the build date.
    a = src["deposit_alerts"]
    a = a.filter((a.alert_date <= as_of) & (a.alert_date > as_of - ibis.interval(days=p.drain_within_days)))
    a = a.group_by("customer_id").agg(warning_date=a.alert_date.max(), grid_id=a.grid_id.max(),
                                      balance=a.balance.min(), baseline=a.baseline.max(),
                                      outflow=a.outflow_within.max())
    d = a.join(borrowers, "customer_id")
    parts.append(_finish(
        "deposits_draining", d, d.customer_id, f"drain_within_days={p.drain_within_days}",
        "借款人存款由基准 " + txt(d.baseline) + " 元降至 " + txt(d.balance) + " 元，窗口内转出 " + txt(d.outflow)
        + " 元（存款异动预警 " + d.warning_date.cast("string") + "）；贷款余额 " + txt(d.exposure) + " 元，共 "
        + txt(d.n_loans) + " 笔",
        "the borrower's deposits fell from a baseline of " + txt(d.baseline) + " to " + txt(d.balance) + ", "
        + txt(d.outflow) + " moved out (deposit-watch alert of " + d.warning_date.cast("string") + "); "
        + txt(d.exposure) + " outstanding on " + txt(d.n_loans) + " loan(s)",
        customer_id=d.customer_id, grid_id=d.grid_id, branch_id=d.branch_id, manager_id=d.manager_id))

    # 3. The borrower's financial assets falling sharply over aum_months months.
    earlier = history.filter(history.month == ibis.date(add_months(ctx.as_of_month, -p.aum_months))).select(
        "customer_id", aum_before="aum_avg")
    f = borrowers.join(now, "customer_id").join(earlier, "customer_id")
    f = f.filter((f.aum_before >= p.aum_min) & (f.aum_avg <= (1 - p.aum_drop_share) * f.aum_before))
    f = f.mutate(warning_date=as_of)
    drop = ((1 - f.aum_avg / f.aum_before) * 100).round(0).cast("int64").cast("string")
    parts.append(_finish(
        "aum_falling", f, f.customer_id,
        f"aum_drop_share={p.aum_drop_share:g}, aum_months={p.aum_months}, aum_min={p.aum_min:g}",
        "借款人金融资产月日均由 " + txt(f.aum_before) + " 元（" + str(p.aum_months) + " 个月前）降至 "
        + txt(f.aum_avg) + " 元（-" + drop + "%）；贷款余额 " + txt(f.exposure) + " 元",
        "the borrower's average financial assets fell from " + txt(f.aum_before) + " (" + str(p.aum_months)
        + " months before) to " + txt(f.aum_avg) + " (-" + drop + "%); " + txt(f.exposure) + " outstanding",
        customer_id=f.customer_id, grid_id=f.grid_id, branch_id=f.branch_id, manager_id=f.manager_id))

    # 4. Maturity near while the borrower's financial assets do not cover what is left to repay.
    m = s.filter((s.days_to_maturity >= 0) & (s.days_to_maturity <= p.maturity_within_days)
                 & (s.outstanding_principal > 0))
    m = m.left_join(now, "customer_id").drop("customer_id_right")
    m = m.mutate(funds=m.aum_end.fill_null(0.0))
    m = m.filter(m.funds < p.maturity_min_cover * m.outstanding_principal)
    m = m.mutate(warning_date=as_of, exposure=m.outstanding_principal)
    parts.append(_finish(
        "maturity_shortfall", m, m.loan_id,
        f"maturity_within_days={p.maturity_within_days}, maturity_min_cover={p.maturity_min_cover:g}",
        "贷款于 " + m.maturity_date.cast("string") + " 到期（" + txt(m.days_to_maturity)
        + " 天后），尚欠本金 " + txt(m.outstanding_principal) + " 元，借款人金融资产仅 " + txt(m.funds) + " 元",
        "the loan matures on " + m.maturity_date.cast("string") + " (in " + txt(m.days_to_maturity)
        + " days) with " + txt(m.outstanding_principal) + " principal left; the borrower holds "
        + txt(m.funds) + " in financial assets",
        loan_id=m.loan_id, customer_id=m.customer_id, grid_id=m.grid_id, branch_id=m.branch_id,
        manager_id=m.manager_id))

    # 5. Several borrowers overdue in one grid: a village or street where repayment is breaking down.
    o = s.filter(s.dpd > 0).join(now.select("customer_id", "grid_id"), "customer_id")
    o = o.filter(o.grid_id.notnull())
    g = o.group_by("grid_id").agg(n_borrowers=o.customer_id.nunique(), n_loans=o.loan_id.nunique(),
                                  exposure=o.outstanding_principal.sum(), overdue=o.overdue_amount.sum(),
                                  branch_id=o.branch_id.max())
    g = g.filter(g.n_borrowers >= p.grid_min_borrowers).mutate(warning_date=as_of)
    parts.append(_finish(
        "grid_overdue", g, g.grid_id, f"grid_min_borrowers={p.grid_min_borrowers}",
        "网格内有 " + txt(g.n_borrowers) + " 户借款人逾期（" + txt(g.n_loans) + " 笔贷款，逾期金额 "
        + txt(g.overdue) + " 元，贷款余额 " + txt(g.exposure) + " 元）",
        txt(g.n_borrowers) + " borrowers of the grid past due (" + txt(g.n_loans) + " loans, "
        + txt(g.overdue) + " overdue, " + txt(g.exposure) + " outstanding)",
        grid_id=g.grid_id, branch_id=g.branch_id))
    return ibis.union(*parts, distinct=False)


MODEL = Model(
    "credit_warnings", "mart", DEPS, build,
    "One row per loan early warning on the build date: rule (code, Chinese, English), parameters, the loan, "
    "borrower or grid it concerns, branch and manager, the amount at risk and a sentence of evidence in each "
    "language.",
    grain="warning", key=("warning_id",),
    not_null=("rule", "branch_id", "warning_date", "exposure", "evidence_zh", "evidence_en"),
    invariants=(
        Invariant("known rule", lambda t: t.rule.isin(list(CREDIT_WARNINGS)),
                  "every warning names a rule of labels.CREDIT_WARNINGS"),
        Invariant("names what it concerns",
                  lambda t: ibis.ifelse(t.rule == "grid_overdue", t.grid_id.notnull(), t.customer_id.notnull()),
                  "a grid warning names its grid, every other warning its borrower"),
    ),
)
