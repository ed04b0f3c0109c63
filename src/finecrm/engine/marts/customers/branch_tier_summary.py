"""branch_tier_summary — per branch per month per customer kind and tier: the tier pyramid.

Lost customers are not counted (``_summary_measures.with_flags``).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._summary_measures import with_flags
from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = with_flags(src["int_customer_months"])
    t = t.filter(t.is_current)
    return t.group_by(["branch_id", "month", "kind", "tier"]).agg(
        customers=t.count().cast("int64"), aum_avg=t.aum_avg.sum().round(2),
        deposits_avg=(t.deposit_avg + t.time_deposit_avg).sum().round(2))


MODEL = Model("branch_tier_summary", "mart", ("int_customer_months",), build,
              "Per branch per month per tier: customers and AUM (the tier pyramid).",
              grain="branch per month per customer kind per tier", key=("branch_id", "month", "kind", "tier"))
