"""portfolio_summary — the branch measures per branch, grid, manager, month, customer kind and tier.

Any role's scope (branch subtree, own customers and grid cells) selects whole rows of it, so the
dashboard of every user adds up exactly their customers. The measures are those of ``_summary_measures``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.customers._summary_measures import measures, with_flags
from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = with_flags(src["int_customer_months"])
    mgr = src["stg_customers"].select("customer_id", "manager_id")
    t = t.left_join(mgr, "customer_id").drop("customer_id_right")
    dims = ["branch_id", "grid_id", "manager_id", "month", "kind", "tier"]
    return t.group_by(dims).agg(**measures(t))


MODEL = Model(
    "portfolio_summary", "mart", ("int_customer_months", "stg_customers"), build,
    "Per branch, grid, manager, month, customer kind and tier: the measures of branch_summary. Any role's "
    "scope (branch subtree, own customers and grid cells) selects whole rows of it, so the dashboard of "
    "every user adds up exactly their customers.",
    grain="branch × grid × manager × month × kind × tier (grid and manager may be empty)",
    not_null=("branch_id", "month", "kind", "tier"),
    invariants=(Invariant("counts are counts", lambda t: (t.customers >= 0) & (t.new_customers >= 0)
                          & (t.lost_customers >= 0), "no negative counts"),),
)
