"""customer_360 — one row per customer: the whole picture (客户全貌) as of the build date.

Profile, branch, grid and manager; AUM and its parts (month-end and monthly daily average) with
3/6/12-month changes; deposits, loans, wealth; contribution and its parts; holdings; e-banking
signups; off-counter rate; activity; tier (with the 潜力 label), value tier, behaviour segment and
lifecycle stage — each with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.contract.tables import PRODUCT_CATEGORIES, SERVICES
from finecrm.engine.labels import LIFECYCLE
from finecrm.engine.model import BuildContext, Invariant, Model
from finecrm.engine.tiers import tier_potential, tier_reason


def _pct(x: ibis.Value) -> ibis.Value:
    return (x * 100).round(0).cast("int64").cast("string") + "%"


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = ctx.settings
    c = src["stg_customers"]
    cur = src["int_customer_current"]
    act = src["int_recent_activity"]
    hold = src["int_holdings"]
    sig = src["int_signups"]
    val = src["customer_value"]
    seg = src["customer_segment"]

    j = c.left_join(cur.drop("kind", "branch_id", "grid_id", "open_date"), "customer_id").drop("customer_id_right")
    j = j.left_join(act, "customer_id").drop("customer_id_right")
    j = j.left_join(hold, "customer_id").drop("customer_id_right")
    j = j.left_join(sig, "customer_id").drop("customer_id_right")
    j = j.left_join(val.select("customer_id", "contribution_rank", "customer_share", "value_tier"),
                    "customer_id").drop("customer_id_right")
    j = j.left_join(seg.select("customer_id", "segment", "segment_label", "segment_reason"),
                    "customer_id").drop("customer_id_right")

    zero_f = ["aum_avg", "aum_end", "deposit_avg", "time_deposit_avg", "wealth_avg", "fund_avg", "insurance_avg",
              "loan_avg", "deposits_end", "loans_end", "contribution", "contribution_deposits",
              "contribution_loans", "contribution_intermediary", "contribution_fees", "out_90d",
              "consumption_90d", "fees_12m"]
    zero_i = ["txn_ci_30d", "txn_ci_90d", "txn_off_counter_90d", "accounts_open", "products_held",
              *[c for c in act.columns if c.startswith("txn_") and c.endswith("_90d")]]
    flags = [f"has_{code}" for code, _ in PRODUCT_CATEGORIES] + [f"signed_{code}" for code, _ in SERVICES]
    j = j.mutate(**{col: j[col].fill_null(0.0) for col in zero_f},
                 **{col: j[col].fill_null(0) for col in dict.fromkeys(zero_i)},
                 **{col: j[col].fill_null(False) for col in flags})

    # 潜力: lowest retail tier, AUM under the threshold, but active.
    potential = tier_potential(j.kind, j.tier, j.aum_avg, j.txn_ci_90d, s.tiers)
    j = j.mutate(
        tier=j.tier.fill_null(s.tiers.retail[-1].name),
        tier_potential=potential,
        lifecycle=j.lifecycle.fill_null("potential"),
        deposits_avg=j.deposit_avg + j.time_deposit_avg,
        aum_change_3m=ibis.ifelse(j.aum_avg_3m_ago > 0, j.aum_avg / j.aum_avg_3m_ago - 1, ibis.null("float64")),
        aum_change_12m=ibis.ifelse(j.aum_avg_12m_ago > 0, j.aum_avg / j.aum_avg_12m_ago - 1,
                                   ibis.null("float64")),
        off_counter_rate_90d=ibis.ifelse(j.txn_ci_90d > 0, j.txn_off_counter_90d / j.txn_ci_90d,
                                         ibis.null("float64")),
    )
    # Why this tier, under the hysteresis rule (finecrm.engine.tiers).
    why_tier = tier_reason(j.kind, j.aum_avg, j.deposits_avg, j.tier, j.tier_watch, j.months_below, s.tiers)
    lc = s.lifecycle
    change = j.aum_change_3m
    life_reason = ibis.cases(
        (j.lifecycle == "lost", "全部账户已销户 all accounts closed"),
        (j.lifecycle == "potential", "尚无账户 no account yet"),
        (j.lifecycle == "new", "首次开户 first account " + j.first_open.cast("string") + " (< "
         + str(lc.new_within_months) + " 个月 months)"),
        (j.lifecycle == "dormant", j.inactive_months.cast("string") + " 个月无主动交易 months without "
         "customer-initiated transactions (≥ " + str(lc.dormant_months) + ")"),
        (j.lifecycle == "declining", "月日均AUM " + str(lc.trend_months) + " 个月变化 AUM change "
         + _pct(change.fill_null(0)) + " (≤ -" + str(round(lc.declining_drop * 100)) + "%)"),
        (j.lifecycle == "growing", "月日均AUM " + str(lc.trend_months) + " 个月变化 AUM change "
         + _pct(change.fill_null(1)) + " (≥ +" + str(round(lc.growing_rise * 100)) + "%)"),
        else_="月日均AUM 变化平稳 AUM steady (" + _pct(change.fill_null(0)) + ")",
    )
    j = j.mutate(
        tier_reason=why_tier,
        lifecycle_label=ibis.cases(*[(j.lifecycle == k, v) for k, v in LIFECYCLE.items()], else_=j.lifecycle),
        lifecycle_reason=life_reason,
    )
    money = [*zero_f, "deposits_avg", "aum_avg_3m_ago", "aum_avg_6m_ago", "aum_avg_12m_ago", "aum_avg_12m"]
    j = j.mutate(**{col: j[col].round(2) for col in money})
    return j.drop(*[col for col in ("month", "first_open", "open_ended", "last_close", "last_active",
                                     "raw_tier_rank", "aum_avg_before", "txn_all", "txn_ci", "txn_off_counter",
                                     "amount_in", "amount_out", "consumption_out", "fees", "months_observed")
                    if col in j.columns])


MODEL = Model(
    "customer_360", "mart",
    ("stg_customers", "int_customer_current", "int_recent_activity", "int_holdings", "int_signups",
     "customer_value", "customer_segment"),
    build,
    "Everything about a customer as of the build date; see docs/marts.md for every column.",
    grain="customer", key=("customer_id",),
    not_null=("kind", "branch_id", "tier", "lifecycle", "aum_avg", "contribution"),
    invariants=(
        Invariant("AUM parts add up", lambda t: ((t.deposit_avg + t.time_deposit_avg + t.wealth_avg + t.fund_avg
                                                  + t.insurance_avg) - t.aum_avg).abs() < 0.05,
                  "aum_avg = deposits + wealth + funds + insurance (daily averages)"),
        Invariant("off-counter rate is a fraction", lambda t: t.off_counter_rate_90d.isnull()
                  | ((t.off_counter_rate_90d >= 0) & (t.off_counter_rate_90d <= 1)), "0 ≤ rate ≤ 1"),
        Invariant("activity counts nest", lambda t: (t.txn_ci_30d <= t.txn_ci_90d)
                  & (t.txn_off_counter_90d <= t.txn_ci_90d), "30-day ≤ 90-day; off-counter ≤ all"),
        Invariant("contribution parts add up", lambda t: (t.contribution_deposits + t.contribution_loans
                                                          + t.contribution_intermediary + t.contribution_fees
                                                          - t.contribution).abs() < 0.05,
                  "contribution = deposits + loans + intermediary + fees"),
    ),
)
