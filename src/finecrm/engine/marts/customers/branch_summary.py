"""branch_summary — per branch per month: customers, balances, off-counter rate, new and lost customers.

The measures are those of ``_summary_measures`` (lost customers excluded from the counts).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._summary_measures import measures, with_flags, with_off_counter_rate
from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = with_flags(src["int_customer_months"])
    out = with_off_counter_rate(t.group_by(["branch_id", "month"]).agg(**measures(t)))
    b = src["stg_branches"].select("branch_id", branch_name="name", parent_id="parent_id", level="level")
    return out.left_join(b, "branch_id").drop("branch_id_right")


MODEL = Model("branch_summary", "mart", ("int_customer_months", "stg_branches"), build,
              "Per branch per month: customers, AUM, deposits, loans (daily averages), off-counter rate, new and "
              "lost customers.", grain="branch per month", key=("branch_id", "month"),
              invariants=(Invariant("rate is a fraction", lambda t: t.off_counter_rate.isnull()
                                    | ((t.off_counter_rate >= 0) & (t.off_counter_rate <= 1)), "0 ≤ rate ≤ 1"),))
