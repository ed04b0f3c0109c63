"""customer_tier_history — one row per customer per month: AUM tier under the hysteresis rule.

The rule (upgrade at once, downgrade only after ``tiers.downgrade_after_months`` consecutive months
below) is ``finecrm.engine.tiers.tier_with_hysteresis``; int_customer_months applies it to every
customer month and this mart shows its columns: raw tier, effective tier, watch flag, months below.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cm = src["int_customer_months"]
    return cm.select(
        "customer_id", "month", "kind", "branch_id", "grid_id",
        aum_avg=cm.aum_avg.round(2), aum_end=cm.aum_end.round(2),
        deposits_avg=(cm.deposit_avg + cm.time_deposit_avg).round(2),
        raw_tier=cm.raw_tier, tier=cm.tier, tier_rank=cm.tier_rank, raw_tier_rank=cm.raw_tier_rank,
        tier_watch=cm.tier_watch, months_below=cm.months_below, lifecycle=cm.lifecycle,
    )


MODEL = Model(
    "customer_tier_history", "mart", ("int_customer_months",), build,
    "AUM tier per customer per month: raw tier from that month's daily-average AUM (corporates: deposits), "
    "effective tier after upgrade-at-once / downgrade-after-N-months, and the watch flag (below the tier, "
    "downgrade pending).",
    grain="customer per month", key=("customer_id", "month"), not_null=("tier", "raw_tier", "lifecycle"),
    invariants=(
        Invariant("tier never below raw tier", lambda t: t.tier_rank >= t.raw_tier_rank,
                  "upgrades happen at once"),
        Invariant("watch means below", lambda t: t.tier_watch == (t.raw_tier_rank < t.tier_rank),
                  "tier_watch is set exactly when the month's raw tier is below the effective tier"),
        Invariant("months_below bounded", lambda t: (t.months_below >= 0) & (t.months_below < 25),
                  "a downgrade happens before the watch lasts longer than the hold period"),
    ),
)
