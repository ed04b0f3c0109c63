"""customer_value — one row per customer: contribution rank, value tier and the Pareto curve (二八定律)."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cur = src["int_customer_current"]
    tiers = ctx.settings.contribution.value_tiers
    t = cur.select("customer_id", "kind", "branch_id", "contribution", "contribution_deposits",
                   "contribution_loans", "contribution_intermediary", "contribution_fees", "aum_avg")
    everyone = ibis.window()
    # Ties break on customer_id so ranks (and the curve) are the same on every backend. The detour
    # through float64 makes the rank BIGINT on Spark too (its row_number is INT; ibis drops a no-op cast).
    by_value = ibis.window(order_by=[ibis.desc(t.contribution), t.customer_id])
    by_aum = ibis.window(order_by=[ibis.desc(t.aum_avg), t.customer_id])
    n = t.count().over(everyone)
    positive = ibis.greatest(t.contribution, 0.0)
    aum_pos = ibis.greatest(t.aum_avg, 0.0)
    t = t.mutate(
        contribution_rank=ibis.row_number().over(by_value).cast("float64").cast("int64") + 1,
        aum_rank=ibis.row_number().over(by_aum).cast("float64").cast("int64") + 1,
        customers=n,
        cum_contribution=positive.sum().over(ibis.window(order_by=[ibis.desc(t.contribution), t.customer_id],
                                                         preceding=None, following=0)),
        total_contribution=positive.sum().over(everyone),
        cum_aum=aum_pos.sum().over(ibis.window(order_by=[ibis.desc(t.aum_avg), t.customer_id],
                                               preceding=None, following=0)),
        total_aum=aum_pos.sum().over(everyone),
    )
    share = t.contribution_rank.cast("float64") / t.customers
    t = t.mutate(
        customer_share=share,
        aum_customer_share=t.aum_rank.cast("float64") / t.customers,
        cum_contribution_share=ibis.ifelse(t.total_contribution > 0, t.cum_contribution / t.total_contribution, 0.0),
        cum_aum_share=ibis.ifelse(t.total_aum > 0, t.cum_aum / t.total_aum, 0.0),
        value_tier=ibis.cases(*[(share <= v.top_share, v.name) for v in tiers[:-1]], else_=tiers[-1].name),
    )
    return t.drop("cum_contribution", "total_contribution", "cum_aum", "total_aum", "customers").mutate(
        contribution=t.contribution.round(2),
    )


MODEL = Model(
    "customer_value", "mart", ("int_customer_current",), build,
    "Annualised contribution per customer with its parts, rank (1 = highest), value tier by the share of "
    "customers ranked above, and cumulative shares of contribution and AUM (the Pareto curves).",
    grain="customer", key=("customer_id",), not_null=("value_tier", "contribution_rank"),
    invariants=(
        Invariant("shares within 0..1", lambda t: (t.cum_contribution_share >= 0)
                  & (t.cum_contribution_share <= 1.000001) & (t.cum_aum_share <= 1.000001),
                  "cumulative shares are fractions"),
        Invariant("rank within customers", lambda t: (t.contribution_rank >= 1) & (t.customer_share <= 1.0),
                  "ranks run from 1 to the number of customers"),
    ),
)
