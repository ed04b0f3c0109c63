"""kpi_values — one row per indicator × level × unit (branch or manager) for the build month (考核指标值).

The indicators the build can compute from the snapshot (``core.settings_kpi.MART_INDICATORS``; formulas in
docs/kpi.md). Every unit of a level gets a row for every indicator, so a branch that sold nothing is scored on 0
rather than left out of the ranking:

- units: the branches and the managers with customers in the build month (``portfolio_summary``);
- ``deposit_growth`` (较年初): the daily-average deposits of the unit's customers in the build month (``value``)
  against the month before the year began (``base_value``: December of the year before; when the data starts
  within the year, its first month), ``result`` = the change;
- ``new_effective_customers``: customers whose first account opened in the build month (up to the build date) and
  whose AUM at month end reaches ``kpi.effective_customer_min_aum``;
- ``mobile_active_new``: customers whose first mobile-banking signup fell in the build month and who made at least
  one customer-initiated mobile transaction in it (active users, not signups);
- ``wealth_sales``: the month-end balance of the wealth accounts opened in the build month;
- ``loans_disbursed``: the principal of the loans started in the build month;
- ``npl_ratio``: the outstanding principal of open loans in 次级/可疑/损失 ÷ all outstanding principal, on the
  build date (null without loans).

Customer indicators count at the customer's home branch and manager; loan indicators at the loan's branch and
the borrower's manager (as ``loan_classification``). A manager's row carries the branch the staff member works
at (``staff``; else empty) so a branch head's scope can select the managers of the branch. Visit completion
needs the contact log (operational database): the KPI use case adds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model, add_months, month_end

_COLUMNS = ("level", "unit_id", "value", "base_value")


def _by_level(t: ibis.Table, measure: str) -> ibis.Table:
    """``t`` (with ``branch_id``, ``manager_id`` and the measure) summed per branch and per manager."""
    branch = t.group_by(unit_id=t.branch_id).agg(value=t[measure].sum()).mutate(level=ibis.literal("branch"))
    m = t.filter(t.manager_id.notnull())
    manager = m.group_by(unit_id=m.manager_id).agg(value=m[measure].sum()).mutate(level=ibis.literal("manager"))
    cols = ["level", "unit_id", "value"]
    return branch.select(*cols).union(manager.select(*cols))


def _ratio_by_level(t: ibis.Table, num: str, den: str) -> ibis.Table:
    out = []
    for level, key in (("branch", "branch_id"), ("manager", "manager_id")):
        g = t.filter(t[key].notnull()).group_by(unit_id=t[key]).agg(n=t[num].sum(), d=t[den].sum())
        out.append(g.select(level=ibis.literal(level), unit_id=g.unit_id,
                            value=ibis.cases((g.d > 0, g.n / g.d), else_=ibis.null("float64"))))
    return out[0].union(out[1])


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    month = ctx.as_of_month
    as_of = ctx.as_of
    first = ibis.literal(month, type="date")
    last = ibis.literal(min(as_of, month_end(month)), type="date")
    ps = src["portfolio_summary"]
    c360 = src["customer_360"].select("customer_id", "branch_id", "manager_id", "aum_end")

    def in_month(col: ibis.Value) -> ibis.Value:
        return (col >= first) & (col <= last)

    # Units: who has customers this month.
    now = ps.filter(ps.month == first)
    units = now.select(level=ibis.literal("branch"), unit_id=now.branch_id).union(
        now.filter(now.manager_id.notnull()).select(level=ibis.literal("manager"), unit_id=now.manager_id)
    ).distinct()

    # deposit_growth: this month against the month before the year began (or the data's first month in the year).
    year_start = date(month.year, 1, 1)
    months = ps.filter((ps.month >= ibis.literal(add_months(year_start, -1), type="date")) & (ps.month <= first))
    base_month = months.aggregate(base_month=months.month.min())
    d = ps.cross_join(base_month)
    cur = _by_level(d.filter(d.month == first), "deposits_avg")
    base = _by_level(d.filter(d.month == d.base_month), "deposits_avg").rename(base_value="value")
    deposit = cur.outer_join(base, ["level", "unit_id"])
    deposit = deposit.select(level=ibis.coalesce(deposit.level, deposit.level_right),
                             unit_id=ibis.coalesce(deposit.unit_id, deposit.unit_id_right),
                             value=deposit.value.fill_null(0.0), base_value=deposit.base_value.fill_null(0.0))

    # new_effective_customers: first account this month, AUM at month end over the threshold.
    acc = src["customer_accounts"]
    firsts = acc.group_by("customer_id").agg(first_open=acc.open_date.min())
    newc = firsts.filter(in_month(firsts.first_open)).inner_join(c360, "customer_id")
    newc = newc.mutate(n=ibis.cases((newc.aum_end >= ctx.settings.kpi.effective_customer_min_aum, 1.0), else_=0.0))
    new_effective = _by_level(newc, "n")

    # mobile_active_new: first mobile signup this month, and a customer-initiated mobile transaction this month.
    s = src["stg_signups"]
    s = s.filter(s.service == "mobile")
    signed = s.group_by("customer_id").agg(first_signed=s.signed_on.min())
    signed = signed.filter(in_month(signed.first_signed))
    tx = src["customer_recent_transactions"]
    tx = tx.filter((tx.channel == "mobile") & tx.customer_initiated & in_month(tx.day))
    used = tx.select("customer_id").distinct()
    active = signed.inner_join(used, "customer_id").inner_join(c360, "customer_id").mutate(n=ibis.literal(1.0))
    mobile = _by_level(active, "n")

    # wealth_sales: month-end balance of the wealth accounts opened this month.
    w = acc.filter((acc.category == "wealth") & in_month(acc.open_date)).select("customer_id", "balance_end")
    w = w.inner_join(c360, "customer_id")
    wealth = _by_level(w.mutate(amount=w.balance_end.cast("float64")), "amount")

    # loans_disbursed and npl_ratio, at the loan's branch and the borrower's manager.
    ls = src["loan_status"]
    started = ls.filter(in_month(ls.start_date))
    loans = _by_level(started.mutate(amount=started.principal.cast("float64")), "amount")
    lc = src["loan_classification"]
    lc = lc.mutate(out=lc.outstanding_principal.cast("float64"),
                   npl=ibis.cases((lc.is_npl, lc.outstanding_principal.cast("float64")), else_=0.0))
    npl = _ratio_by_level(lc, "npl", "out")

    parts: list[ibis.Table] = []
    for code, t, fill in (("new_effective_customers", new_effective, 0.0), ("mobile_active_new", mobile, 0.0),
                          ("wealth_sales", wealth, 0.0), ("loans_disbursed", loans, 0.0), ("npl_ratio", npl, None)):
        j = units.left_join(t, ["level", "unit_id"])
        value = j.value.cast("float64") if fill is None else j.value.cast("float64").fill_null(fill)
        parts.append(j.select(indicator=ibis.literal(code), level=j.level, unit_id=j.unit_id, value=value,
                              base_value=ibis.null("float64")))
    dj = units.left_join(deposit, ["level", "unit_id"])
    parts.append(dj.select(indicator=ibis.literal("deposit_growth"), level=dj.level, unit_id=dj.unit_id,
                           value=dj.value.cast("float64").fill_null(0.0),
                           base_value=dj.base_value.cast("float64").fill_null(0.0)))
    allv = parts[0]
    for p in parts[1:]:
        allv = allv.union(p)

    # Where each unit belongs: a branch is its own; a manager works at the staff table's branch.
    staff = src["stg_staff"].select(staff_id="staff_id", staff_branch="branch_id")
    j = allv.left_join(staff, allv.unit_id == staff.staff_id)
    return j.select(
        "indicator", "level", "unit_id",
        branch_id=ibis.cases((j.level == "branch", j.unit_id), else_=j.staff_branch),
        period=first,
        as_of_date=ibis.literal(as_of, type="date"),
        value=j.value.round(4),
        base_value=j.base_value.round(4),
        result=ibis.cases((j.base_value.notnull(), j.value - j.base_value), else_=j.value).round(4),
    )


MODEL = Model(
    "kpi_values", "mart",
    ("portfolio_summary", "customer_360", "customer_accounts", "stg_signups", "customer_recent_transactions",
     "loan_status", "loan_classification", "stg_staff"),
    build,
    "One row per indicator × level × unit (branch or manager) for the build month: the value, the base at the "
    "start of the year where the indicator has one, and the result scored against the target.",
    grain="indicator × level × unit", key=("indicator", "level", "unit_id"),
    not_null=("indicator", "level", "unit_id", "period", "as_of_date"),
    invariants=(
        Invariant("counts_and_amounts_not_negative",
                  lambda t: t.indicator.isin(["deposit_growth", "npl_ratio"]) | (t.value >= 0),
                  "counts and amounts are never negative"),
        Invariant("ratio_is_a_fraction",
                  lambda t: (t.indicator != "npl_ratio") | t.value.isnull() | ((t.value >= 0) & (t.value <= 1)),
                  "the NPL ratio lies between 0 and 1"),
    ),
)
