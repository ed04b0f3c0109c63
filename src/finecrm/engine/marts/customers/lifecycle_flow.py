"""lifecycle_flow — per month, how many customers moved from one lifecycle stage to another.

``from_stage`` is the stage the month before; ``entered`` for customers opened this month.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.labels import LIFECYCLE
from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cm = src["int_customer_months"]
    w = ibis.window(group_by="customer_id", order_by="month")
    t = cm.mutate(from_stage=cm.lifecycle.lag().over(w).fill_null("entered"))
    flows = t.group_by(["month", "from_stage", t.lifecycle.name("to_stage")]).agg(customers=t.count().cast("int64"))
    labels = {**LIFECYCLE, "entered": "新进入"}
    return flows.mutate(
        from_label=ibis.cases(*[(flows.from_stage == k, v) for k, v in labels.items()], else_=flows.from_stage),
        to_label=ibis.cases(*[(flows.to_stage == k, v) for k, v in labels.items()], else_=flows.to_stage),
    )


MODEL = Model("lifecycle_flow", "mart", ("int_customer_months",), build,
              "Customers moving between lifecycle stages, per month.",
              grain="month, from stage, to stage", key=("month", "from_stage", "to_stage"))
