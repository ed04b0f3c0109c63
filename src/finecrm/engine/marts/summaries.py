"""branch_summary, branch_tier_summary and grid_summary — per branch / grid per month.

Counts exclude lost customers. ``new_customers`` opened their first account that month;
``lost_customers`` reached 流失 that month. Off-counter rate = customer-initiated transactions
through non-counter channels ÷ all customer-initiated transactions in the month.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model, count_if, int_sum, months_between


def _with_flags(cm: ibis.Table) -> ibis.Table:
    w = ibis.window(group_by="customer_id", order_by="month")
    prev = cm.lifecycle.lag().over(w)
    return cm.mutate(
        is_current=cm.lifecycle != "lost",
        is_new=cm.first_open.notnull() & (months_between(cm.month, cm.first_open) == 0),
        is_lost_now=(cm.lifecycle == "lost") & (prev.isnull() | (prev != "lost")),
    )


def _measures(t: ibis.Table) -> dict[str, ibis.Value]:
    cur = t.is_current
    return {
        "customers": count_if(cur),
        "aum_avg": ibis.ifelse(cur, t.aum_avg, 0.0).sum().round(2),
        "deposits_avg": ibis.ifelse(cur, t.deposit_avg + t.time_deposit_avg, 0.0).sum().round(2),
        "loans_avg": ibis.ifelse(cur, t.loan_avg, 0.0).sum().round(2),
        "txn_ci": int_sum(t.txn_ci),
        "txn_off_counter": int_sum(t.txn_off_counter),
        "new_customers": count_if(t.is_new),
        "lost_customers": count_if(t.is_lost_now),
    }


def _rate(t: ibis.Table) -> ibis.Table:
    return t.mutate(off_counter_rate=ibis.ifelse(t.txn_ci > 0, t.txn_off_counter / t.txn_ci,
                                                 ibis.null("float64")))


def build_branch(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = _with_flags(src["int_customer_months"])
    out = _rate(t.group_by(["branch_id", "month"]).agg(**_measures(t)))
    b = src["stg_branches"].select("branch_id", branch_name="name", parent_id="parent_id", level="level")
    return out.left_join(b, "branch_id").drop("branch_id_right")


def build_branch_tier(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = _with_flags(src["int_customer_months"])
    t = t.filter(t.is_current)
    return t.group_by(["branch_id", "month", "kind", "tier"]).agg(
        customers=t.count().cast("int64"), aum_avg=t.aum_avg.sum().round(2),
        deposits_avg=(t.deposit_avg + t.time_deposit_avg).sum().round(2))


def build_grid(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = _with_flags(src["int_customer_months"])
    t = t.filter(t.grid_id.notnull())
    out = _rate(t.group_by(["grid_id", "month"]).agg(**_measures(t)))
    g = src["stg_grids"].select("grid_id", grid_name="name", grid_kind="kind", branch_id="branch_id",
                                households="households", manager_id="manager_id")
    out = out.left_join(g, "grid_id").drop("grid_id_right")
    return out.mutate(penetration=ibis.ifelse(out.households > 0, out.customers / out.households,
                                              ibis.null("float64")))


def build_portfolio(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = _with_flags(src["int_customer_months"])
    mgr = src["stg_customers"].select("customer_id", "manager_id")
    t = t.left_join(mgr, "customer_id").drop("customer_id_right")
    dims = ["branch_id", "grid_id", "manager_id", "month", "kind", "tier"]
    return t.group_by(dims).agg(**_measures(t))


BRANCH = Model("branch_summary", "mart", ("int_customer_months", "stg_branches"), build_branch,
               "Per branch per month: customers, AUM, deposits, loans (daily averages), off-counter rate, new and "
               "lost customers.", grain="branch per month", key=("branch_id", "month"),
               invariants=(Invariant("rate is a fraction", lambda t: t.off_counter_rate.isnull()
                                     | ((t.off_counter_rate >= 0) & (t.off_counter_rate <= 1)), "0 ≤ rate ≤ 1"),))
BRANCH_TIER = Model("branch_tier_summary", "mart", ("int_customer_months",), build_branch_tier,
                    "Per branch per month per tier: customers and AUM (the tier pyramid).",
                    grain="branch per month per customer kind per tier", key=("branch_id", "month", "kind", "tier"))
GRID = Model("grid_summary", "mart", ("int_customer_months", "stg_grids"), build_grid,
             "Per grid per month: customers, households and penetration (customers ÷ households), AUM, deposits, "
             "loans, off-counter rate, new and lost customers.", grain="grid per month", key=("grid_id", "month"))
PORTFOLIO = Model(
    "portfolio_summary", "mart", ("int_customer_months", "stg_customers"), build_portfolio,
    "Per branch, grid, manager, month, customer kind and tier: the measures of branch_summary. Any role's "
    "scope (branch subtree, own customers and grid cells) selects whole rows of it, so the dashboard of "
    "every user adds up exactly their customers.",
    grain="branch × grid × manager × month × kind × tier (grid and manager may be empty)",
    not_null=("branch_id", "month", "kind", "tier"),
    invariants=(Invariant("counts are counts", lambda t: (t.customers >= 0) & (t.new_customers >= 0)
                          & (t.lost_customers >= 0), "no negative counts"),),
)
