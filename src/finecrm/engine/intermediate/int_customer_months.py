"""int_customer_months: one row per customer per month — the spine of tiers, lifecycle and summaries.

Every month from the first month with balances to the build month, for every customer from the
month they were opened. Balances and activity missing in a month count as zero.

Tier with hysteresis (升级即时、降级观察): the AUM tier rule of ``finecrm.engine.tiers``
(``tier_with_hysteresis``: upgrade at once, downgrade only after ``downgrade_after_months``
consecutive months below).

Lifecycle, first rule that applies: 流失 all accounts closed; 潜在 no account yet; 新客户 first account
within ``new_within_months``; 沉睡 no customer-initiated transaction for ``dormant_months``; 衰退
average daily AUM down ≥ ``declining_drop`` over ``trend_months``; 成长 up ≥ ``growing_rise``; else 稳定.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis

from finecrm.engine.model import BuildContext, Model, months_between
from finecrm.engine.tiers import tier_with_hysteresis

VALUE_COLS = ("deposit_avg", "time_deposit_avg", "wealth_avg", "fund_avg", "insurance_avg", "loan_avg", "aum_avg",
              "aum_end", "deposits_end", "loans_end", "contribution_deposits", "contribution_loans",
              "contribution_intermediary")
COUNT_COLS = ("txn_all", "txn_ci", "txn_off_counter")
AMOUNT_COLS = ("amount_in", "amount_out", "consumption_out", "fees")


def _months(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = ctx.settings
    bal, act = src["int_balances_by_customer_month"], src["int_activity_by_customer_month"]
    first_month = ctx.data_from
    if first_month is None:  # not given by the runner: ask the staged balances
        first = src["stg_account_month"].month.min().execute()  # a date, datetime or Timestamp
        text = str(first)[:10] if first is not None else ""
        first_month = date.fromisoformat(text) if text[:1].isdigit() else ctx.as_of_month
    first_month = min(first_month, ctx.as_of_month)
    months = ibis.memtable({"month": _months(first_month, ctx.as_of_month)}, schema={"month": "date"})
    window_start = ibis.date(first_month)

    cust = src["stg_customers"].select("customer_id", "kind", "branch_id", "grid_id", "open_date")
    acc = src["int_accounts_enriched"]
    life = acc.group_by("customer_id").agg(
        first_open=acc.open_date.min(),
        open_ended=acc.close_date.isnull().cast("int64").sum(),
        last_close=acc.close_date.max(),
    )
    grid = cust.cross_join(months)
    grid = grid.filter(grid.month >= grid.open_date.truncate("M"))
    g = grid.left_join(bal, ["customer_id", "month"]).select(grid, *[bal[c] for c in VALUE_COLS])
    g = g.left_join(act, ["customer_id", "month"]).select(g, *[act[c] for c in COUNT_COLS + AMOUNT_COLS])
    g = g.left_join(life, "customer_id").select(g, life.first_open, life.open_ended, life.last_close)
    g = g.mutate(
        **{c: g[c].fill_null(0.0) for c in VALUE_COLS + AMOUNT_COLS},
        **{c: g[c].fill_null(0) for c in COUNT_COLS},
    )

    by_customer = ibis.window(group_by="customer_id", order_by="month")
    to_date = ibis.window(group_by="customer_id", order_by="month", preceding=None, following=0)
    g = tier_with_hysteresis(g, s.tiers, alongside={
        # the lifecycle's inputs, in the same pass over the months as the tier
        "aum_avg_before": lambda t: t.aum_avg.lag(s.lifecycle.trend_months).over(by_customer),
        "last_active": lambda t: ibis.ifelse(t.txn_ci > 0, t.month, ibis.null("date")).max().over(to_date),
    })

    observed_from = ibis.greatest(g.first_open.truncate("M"), window_start)
    inactive = ibis.ifelse(g.last_active.isnull(), months_between(g.month, observed_from) + 1,
                           months_between(g.month, g.last_active))
    lc = s.lifecycle
    before = g.aum_avg_before
    stage = ibis.cases(
        ((g.open_ended == 0) & g.last_close.notnull() & (g.last_close.truncate("M") <= g.month), "lost"),
        (g.first_open.isnull() | (g.first_open.truncate("M") > g.month), "potential"),
        (months_between(g.month, g.first_open) < lc.new_within_months, "new"),
        (inactive >= lc.dormant_months, "dormant"),
        ((before > 0) & (g.aum_avg <= (1 - lc.declining_drop) * before), "declining"),
        (((before > 0) & (g.aum_avg >= (1 + lc.growing_rise) * before)) | ((before == 0) & (g.aum_avg > 0)),
         "growing"),
        else_="stable",
    )
    return g.mutate(inactive_months=inactive.cast("int64"), lifecycle=stage)


MODEL = Model(
    "int_customer_months",
    "intermediate",
    ("stg_customers", "stg_account_month", "int_accounts_enriched", "int_balances_by_customer_month",
     "int_activity_by_customer_month"),
    build,
    "One row per customer per month: balances, activity, tier with hysteresis, lifecycle stage.",
    materialize=True,
)
