"""deposit_watch and deposit_alerts — large depositors and abnormal drops of their deposits (存款异动).

Large depositor: average daily deposits in any of the last three months (the build month included)
≥ ``deposit_watch.large_depositor_min``.
Rule ``deposit_drop``: on day d the customer's total deposit balance is at least ``drop_share`` below
its average over the ``baseline_days`` before the ``within_days`` window that ends on d — a drop
that happened within ``within_days``. An alert is raised on the first day of each such episode,
with the evidence: balance, baseline, drop, outflows in the window and the largest outflow.
Daily balances come from ``account_day`` (every day of each open deposit account).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model, add_months, count_if


def _daily(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
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


def _large(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    # Large in any of the last three months: a depositor who has just drained the account is exactly
    # the one to keep watching.
    cm = src["int_customer_months"]
    recent = cm.filter(cm.month > ibis.date(add_months(ctx.as_of_month, -3)))
    deposits = recent.deposit_avg + recent.time_deposit_avg
    current = ibis.ifelse(recent.month == ibis.date(ctx.as_of_month), deposits, ibis.null("float64"))
    large = recent.group_by(["customer_id", "kind", "branch_id", "grid_id"]).agg(
        deposits_avg_max_3m=deposits.max().round(2), deposits_avg_month=current.max().round(2))
    return large.filter(large.deposits_avg_max_3m >= ctx.settings.deposit_watch.large_depositor_min)


def _params(ctx: BuildContext) -> str:
    p = ctx.settings.deposit_watch
    return (f"drop_share={p.drop_share}, baseline_days={p.baseline_days}, within_days={p.within_days}, "
            f"large_depositor_min={p.large_depositor_min:g}")


def build_alerts(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = _daily(src, ctx)
    large = _large(src, ctx)
    a = d.filter(d.starts).join(large, "customer_id")
    drop = 1 - a.balance / a.baseline
    return a.select(
        "customer_id", "kind", "branch_id", "grid_id", "deposits_avg_month", "deposits_avg_max_3m",
        alert_date=a.date, rule=ibis.literal("deposit_drop"), params=ibis.literal(_params(ctx)),
        balance=a.balance.round(2), baseline=a.baseline.round(2), drop_share=drop.round(4),
        outflow_within=a.outflow_window.round(2), largest_outflow=a.largest_window.round(2),
        largest_outflow_txn=a.largest_out_txn,
        evidence="存款余额 balance " + a.balance.round(0).cast("int64").cast("string") + " vs 基准 baseline "
        + a.baseline.round(0).cast("int64").cast("string") + " (-" + (drop * 100).round(0).cast("int64")
        .cast("string") + "%), 窗口内转出 outflows " + a.outflow_window.round(0).cast("int64").cast("string"),
    )


def build_watch(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = _daily(src, ctx)
    large = _large(src, ctx)
    last = d.group_by("customer_id").agg(
        last_date=d.date.max(), balance_last=d.balance.argmax(d.date), baseline_last=d.baseline.argmax(d.date),
        alerts=count_if(d.starts),
        last_alert_date=ibis.ifelse(d.starts, d.date, ibis.null("date")).max(),
    )
    w = large.left_join(last, "customer_id").drop("customer_id_right")
    return w.mutate(
        alerts=w.alerts.fill_null(0),
        balance_last=w.balance_last.round(2), baseline_last=w.baseline_last.round(2),
        change_vs_baseline=ibis.ifelse(w.baseline_last > 0, (w.balance_last / w.baseline_last - 1).round(4),
                                       ibis.null("float64")),
    )


ALERTS = Model(
    "deposit_alerts", "mart",
    ("stg_account_day", "stg_transactions", "int_accounts_enriched", "int_customer_months"), build_alerts,
    "One row per abnormal-drop episode of a large depositor: rule, parameters and evidence.",
    grain="customer per alert date", key=("customer_id", "alert_date"),
    invariants=(Invariant("a drop is a drop", lambda t: t.drop_share >= 0, "alerts only on falls"),),
)
WATCH = Model(
    "deposit_watch", "mart",
    ("stg_account_day", "stg_transactions", "int_accounts_enriched", "int_customer_months"), build_watch,
    "One row per large depositor: this month's average deposits, last balance against its baseline, alerts.",
    grain="large depositor", key=("customer_id",),
)
