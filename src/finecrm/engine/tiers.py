"""The AUM tier rule (客户分层：升级即时、降级观察), in one place.

Raw tier: a month's average daily AUM (月日均 AUM; corporates: average daily deposits, 存款日均) against
the bands of finecrm.yaml (``tiers.retail`` / ``tiers.corporate``, highest first, the last from 0).
Ranks run 1 = the lowest band … n = the highest.

Effective tier, with hysteresis: **upgrade at once; downgrade only after ``tiers.downgrade_after_months``
consecutive months below the tier.** Computed as the highest raw tier of the last N months (this month
included), which is exactly that rule: a customer drops below tier T only once none of the last N
months reached T, and moves up the month the raw tier does.

``tier_with_hysteresis`` is the rule; int_customer_months applies it to every customer month, and
customer_tier_history and customer_360 show its result. ``tier_reason`` and ``tier_potential`` say
it in words and add the 潜力 (potential) label on the 360 view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ibis

from finecrm.core.settings import TierBand, TierSettings

#: What tier_with_hysteresis adds, in this order.
TIER_COLUMNS = ("raw_tier_rank", "tier_rank", "raw_tier", "tier", "tier_watch", "months_below")


def tier_rank(value: ibis.Value, bands: list[TierBand]) -> ibis.Value:
    """1 for the lowest band … n for the highest."""
    n = len(bands)
    # BIGINT explicitly: small literals would give TINYINT on DuckDB and INT on Spark.
    return ibis.cases(*[(value >= b.min, n - i) for i, b in enumerate(bands[:-1])], else_=1).cast("int64")


def tier_name(rank: ibis.Value, bands: list[TierBand]) -> ibis.Value:
    """The name of the band with this rank."""
    n = len(bands)
    return ibis.cases(*[(rank == n - i, b.name) for i, b in enumerate(bands)], else_=bands[-1].name)


def tier_with_hysteresis(
    months: ibis.Table,
    tiers: TierSettings,
    *,
    by: str = "customer_id",
    order_by: str = "month",
    alongside: Mapping[str, Callable[[ibis.Table], ibis.Value]] | None = None,
) -> ibis.Table:
    """Adds the tier of every row of ``months`` (one row per customer per month) under the hysteresis rule.

    ``months`` needs ``kind`` (individual / corporate), ``aum_avg``, ``deposit_avg`` and
    ``time_deposit_avg`` (that month's daily averages); every month of a customer must be a row (a
    gap would count as a month that is not there). Added columns:

    - ``raw_tier_rank`` / ``raw_tier``: the month's own band;
    - ``tier_rank`` / ``tier``: the effective tier, the highest raw rank of the last
      ``tiers.downgrade_after_months`` months — upgrade at once, downgrade only after that many
      consecutive months below;
    - ``tier_watch``: the month's raw tier is below the effective tier (a downgrade is pending);
    - ``months_below``: consecutive months, up to this one, whose raw tier is below this month's
      effective tier (0 when not on watch; the downgrade comes when it would reach the hold).

    ``alongside``: other columns the caller wants over the same customer months (name → function of
    the table), computed in the same pass as the effective tier: window functions over the same
    partition then share one sort of the months, which is markedly faster on a large bank than a
    second pass.
    """
    hold = tiers.downgrade_after_months
    by_customer = ibis.window(group_by=by, order_by=order_by)
    recent = ibis.window(group_by=by, order_by=order_by, preceding=hold - 1, following=0)
    corporate = months.kind == "corporate"
    deposits = months.deposit_avg + months.time_deposit_avg
    g = months.mutate(raw_tier_rank=ibis.ifelse(corporate, tier_rank(deposits, tiers.corporate),
                                                tier_rank(months.aum_avg, tiers.retail)))
    g = g.mutate(tier_rank=g.raw_tier_rank.max().over(recent),
                 **{name: column(g) for name, column in (alongside or {}).items()})
    corporate = g.kind == "corporate"
    g = g.mutate(
        raw_tier=ibis.ifelse(corporate, tier_name(g.raw_tier_rank, tiers.corporate),
                             tier_name(g.raw_tier_rank, tiers.retail)),
        tier=ibis.ifelse(corporate, tier_name(g.tier_rank, tiers.corporate), tier_name(g.tier_rank, tiers.retail)),
        tier_watch=g.raw_tier_rank < g.tier_rank,
    )
    # Months below the effective tier, counted back from this month while the raw tier stays below.
    below = [g.raw_tier_rank.lag(i).over(by_customer) < g.tier_rank if i else g.raw_tier_rank < g.tier_rank
             for i in range(hold)]
    run = ibis.literal(0)
    for flag in reversed(below):
        run = ibis.ifelse(flag.fill_null(False), run + 1, 0)
    return g.mutate(months_below=run.cast("int64"))


def tier_threshold(kind: ibis.Value, tier: ibis.Value, tiers: TierSettings) -> ibis.Value:
    """The minimum of the named tier (yuan): the AUM or deposit level the customer is measured against."""
    return ibis.ifelse(
        kind == "corporate",
        ibis.cases(*[(tier == b.name, b.min) for b in tiers.corporate], else_=0.0),
        ibis.cases(*[(tier == b.name, b.min) for b in tiers.retail], else_=0.0),
    )


def _yuan(x: ibis.Value) -> ibis.Value:
    return x.round(0).cast("int64").cast("string")


def tier_reason(kind: ibis.Value, aum_avg: ibis.Value, deposits_avg: ibis.Value, tier: ibis.Value,
                tier_watch: ibis.Value, months_below: ibis.Value, tiers: TierSettings) -> ibis.Value:
    """Why the customer has the tier, in a sentence a manager can say (Chinese and English).

    Above the threshold: the measure ≥ the tier's minimum. On watch: the measure < the minimum, how
    many months in a row, and after how many the downgrade comes.
    """
    hold = str(tiers.downgrade_after_months)
    measure = ibis.ifelse(kind == "corporate", "存款日均 deposits avg ", "月日均AUM AUM avg ")
    value = ibis.ifelse(kind == "corporate", deposits_avg, aum_avg)
    threshold = tier_threshold(kind, tier, tiers)
    return ibis.ifelse(
        tier_watch.fill_null(False),
        measure + _yuan(value) + " < " + _yuan(threshold) + " (" + tier + "), 已连续 "
        + months_below.cast("string") + " 个月 months below; 连续 " + hold + " 个月降级 downgrade after " + hold,
        measure + _yuan(value) + " ≥ " + _yuan(threshold) + " (" + tier + ")",
    )


def tier_potential(kind: ibis.Value, tier: ibis.Value, aum_avg: ibis.Value, txn_ci_90d: ibis.Value,
                   tiers: TierSettings) -> ibis.Value:
    """潜力 (potential): an individual in the lowest retail tier with AUM under ``tiers.potential_below``
    but at least ``tiers.potential_min_txn_90d`` customer-initiated transactions in 90 days."""
    lowest = tiers.retail[-1].name
    potential = ((kind == "individual") & (tier == lowest) & (aum_avg < tiers.potential_below)
                 & (txn_ci_90d >= tiers.potential_min_txn_90d))
    return potential.fill_null(False)
