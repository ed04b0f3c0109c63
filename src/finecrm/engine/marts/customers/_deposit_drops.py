"""What deposit_watch and deposit_alerts share: large depositors and the daily drop rule (存款异动).

Large depositor: average daily deposits in any of the last three months (the build month included)
≥ ``deposit_watch.large_depositor_min``.
Rule ``deposit_drop``: on day d the customer's total deposit balance is at least ``drop_share`` below
its average over the ``baseline_days`` before the ``within_days`` window that ends on d — a drop
that happened within ``within_days``. An episode starts on the first day the rule holds after a day
it did not. Daily balances come from ``account_day`` (every day of each open deposit account).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, add_months

DEPS = ("stg_account_day", "stg_transactions", "int_accounts_enriched", "int_customer_months")


def daily(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    """Per customer per day: deposit balance, baseline, outflows in the window, ``hit`` and ``starts``."""
    p = ctx.settings.deposit_watch
    acc = src["int_accounts_enriched"].filter(ibis._.is_deposit).select("account_id", "customer_id")
    day = src["stg_account_day"].join(acc, "account_id")
    bal = day.group_by(["customer_id", "date"]).agg(balance=day.balance.sum())
    t = src["stg_transactions"].join(acc, "account_id")
    t = t.filter(t.direction == "out")
    outs = t.group_by(["customer_id", t.day.name("date")]).agg(
        outflow=t.amount.sum(), largest_out=t.amount.max(), largest_out_txn=t.txn_id.argmax(t.amount))
    j = bal.left_join(outs, ["customer_id", "date"]).drop("customer_id_right", "date_right")
    by_day = ibis.window(group_by="customer_id", order_by="date")
    base = ibis.window(group_by="customer_id", order_by="date", preceding=p.baseline_days - 1, following=0)
    recent = ibis.window(group_by="customer_id", order_by="date", preceding=p.within_days - 1, following=0)
    j = j.mutate(avg_base=j.balance.mean().over(base), n_base=j.balance.count().over(base),
                 outflow_window=j.outflow.fill_null(0.0).sum().over(recent),
                 largest_window=j.largest_out.fill_null(0.0).max().over(recent))
    j = j.mutate(baseline=j.avg_base.lag(p.within_days).over(by_day),
                 baseline_days=j.n_base.lag(p.within_days).over(by_day))
    hit = (j.baseline_days == p.baseline_days) & (j.baseline > 0) & (j.balance <= (1 - p.drop_share) * j.baseline)
    j = j.mutate(hit=hit.fill_null(False))
    return j.mutate(starts=j.hit & ~j.hit.lag().over(by_day).fill_null(False))


def large_depositors(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    """One row per large depositor: the highest and the build month's average daily deposits."""
    # Large in any of the last three months: a depositor who has just drained the account is exactly
    # the one to keep watching.
    cm = src["int_customer_months"]
    recent = cm.filter(cm.month > ibis.date(add_months(ctx.as_of_month, -3)))
    deposits = recent.deposit_avg + recent.time_deposit_avg
    current = ibis.ifelse(recent.month == ibis.date(ctx.as_of_month), deposits, ibis.null("float64"))
    large = recent.group_by(["customer_id", "kind", "branch_id", "grid_id"]).agg(
        deposits_avg_max_3m=deposits.max().round(2), deposits_avg_month=current.max().round(2))
    return large.filter(large.deposits_avg_max_3m >= ctx.settings.deposit_watch.large_depositor_min)
