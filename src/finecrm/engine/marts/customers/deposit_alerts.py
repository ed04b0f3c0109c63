"""deposit_alerts — one row per abnormal-drop episode of a large depositor (存款异动), with evidence.

The rule (``deposit_drop``) and who counts as a large depositor: see ``_deposit_drops``. An alert
is raised on the first day of each episode, with the evidence: balance, baseline, drop, outflows in
the window and the largest outflow.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._deposit_drops import DEPS, daily, large_depositors
from finecrm.engine.model import BuildContext, Invariant, Model


def _params(ctx: BuildContext) -> str:
    p = ctx.settings.deposit_watch
    return (f"drop_share={p.drop_share}, baseline_days={p.baseline_days}, within_days={p.within_days}, "
            f"large_depositor_min={p.large_depositor_min:g}")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = daily(src, ctx)
    large = large_depositors(src, ctx)
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


MODEL = Model(
    "deposit_alerts", "mart", DEPS, build,
    "One row per abnormal-drop episode of a large depositor: rule, parameters and evidence.",
    grain="customer per alert date", key=("customer_id", "alert_date"),
    invariants=(Invariant("a drop is a drop", lambda t: t.drop_share >= 0, "alerts only on falls"),),
)
