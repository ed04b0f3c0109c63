"""customer_custom_segments — one row per customer per user-defined segment it falls in.

The segments are rules from finecrm.yaml (``segments.custom``), parsed and checked by the rules
module and handed to the engine as Ibis predicates: user text never becomes SQL.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    c = src["customer_360"]
    parts = [
        c.filter(predicate(c)).select("customer_id", "branch_id", segment=ibis.literal(name))
        for name, predicate in ctx.custom_segments
    ]
    if not parts:
        return c.select("customer_id", "branch_id", segment=ibis.literal("")).limit(0)
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out


MODEL = Model("customer_custom_segments", "mart", ("customer_360",), build,
              "Membership of the user-defined segments in finecrm.yaml (segments.custom).",
              grain="customer per custom segment", key=("customer_id", "segment"))
