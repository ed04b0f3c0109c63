"""grid_summary — per grid per month: the branch measures plus households and penetration.

Penetration = customers ÷ the grid's households. The measures are those of ``_summary_measures``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._summary_measures import measures, with_flags, with_off_counter_rate
from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = with_flags(src["int_customer_months"])
    t = t.filter(t.grid_id.notnull())
    out = with_off_counter_rate(t.group_by(["grid_id", "month"]).agg(**measures(t)))
    g = src["stg_grids"].select("grid_id", grid_name="name", grid_kind="kind", branch_id="branch_id",
                                households="households", manager_id="manager_id")
    out = out.left_join(g, "grid_id").drop("grid_id_right")
    return out.mutate(penetration=ibis.ifelse(out.households > 0, out.customers / out.households,
                                              ibis.null("float64")))


MODEL = Model("grid_summary", "mart", ("int_customer_months", "stg_grids"), build,
              "Per grid per month: customers, households and penetration (customers ÷ households), AUM, deposits, "
              "loans, off-counter rate, new and lost customers.", grain="grid per month", key=("grid_id", "month"))
