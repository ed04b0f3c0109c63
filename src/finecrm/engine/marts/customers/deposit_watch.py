"""deposit_watch — one row per large depositor (大额存款客户): this month's deposits, last balance, alerts.

Who counts as a large depositor and the drop rule behind ``alerts``: see ``_deposit_drops``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._deposit_drops import DEPS, daily, large_depositors
from finecrm.engine.model import BuildContext, Model, count_if


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = daily(src, ctx)
    large = large_depositors(src, ctx)
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


MODEL = Model(
    "deposit_watch", "mart", DEPS, build,
    "One row per large depositor: this month's average deposits, last balance against its baseline, alerts.",
    grain="large depositor", key=("customer_id",),
)
