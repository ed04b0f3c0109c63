"""int_recent_activity: per customer, what they did in the 30 and 90 days up to the build date.

The monthly activity already holds each month's share of those windows (zero outside them), so
this only adds them up per customer.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.intermediate.int_activity_by_customer_month import CHANNELS
from finecrm.engine.model import BuildContext, Model, int_sum

COUNTS = ("txn_ci_30d", "txn_ci_90d", "txn_off_counter_90d", *[f"txn_{ch}_90d" for ch in CHANNELS])
AMOUNTS = ("out_90d", "consumption_90d", "fees_12m")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    m = src["int_activity_by_customer_month"]
    return m.group_by("customer_id").agg(
        last_ci_date=m.last_ci_date.max(),
        **{c: int_sum(m[c]) for c in COUNTS},
        **{c: m[c].sum() for c in AMOUNTS},
    )


MODEL = Model("int_recent_activity", "intermediate", ("int_activity_by_customer_month",), build,
              "One row per customer with transactions: 30/90-day counts by channel, last activity, fees.")
