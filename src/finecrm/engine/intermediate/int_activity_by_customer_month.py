"""int_activity_by_customer_month: transaction counts and amounts per customer per month.

This is the one pass over transactions. Besides the month's own figures it carries, per month,
the part of the 30/90/365-day windows before the build date that falls in it, so that
int_recent_activity only sums a small table instead of scanning transactions again, and the month's
customer-initiated transactions by channel (``txn_ci_<channel>``), so that propensity features can
count any 3-month window by channel without a second pass either.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, count_if

CHANNELS = ("counter", "atm", "pos", "online", "mobile", "wechat", "phone")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t, a = src["stg_transactions"], src["int_accounts_enriched"]
    j = t.join(a.select("account_id", "customer_id"), "account_id")
    out = j.direction == "out"
    ci = j.customer_initiated
    as_of = ibis.date(ctx.as_of)
    d30 = j.day > as_of - ibis.interval(days=30)
    d90 = j.day > as_of - ibis.interval(days=90)
    d365 = j.day > as_of - ibis.interval(days=365)
    aggs = {
        "txn_all": count_if(j.account_id.notnull()),
        "txn_ci": count_if(ci),
        "txn_off_counter": count_if(j.off_counter),
        "amount_in": ibis.ifelse(out, 0.0, j.amount).sum(),
        "amount_out": ibis.ifelse(out, j.amount, 0.0).sum(),
        "consumption_out": ibis.ifelse(out & (j.kind == "consumption"), j.amount, 0.0).sum(),
        "fees": ibis.ifelse(out & (j.kind == "fee"), j.amount, 0.0).sum(),
        # the build date's recent windows, as far as this month holds them
        "txn_ci_30d": count_if(ci & d30),
        "txn_ci_90d": count_if(ci & d90),
        "txn_off_counter_90d": count_if(j.off_counter & d90),
        "last_ci_date": ibis.ifelse(ci, j.day, ibis.null("date")).max(),
        "out_90d": ibis.ifelse(out & d90, j.amount, 0.0).sum(),
        "consumption_90d": ibis.ifelse(out & d90 & (j.kind == "consumption"), j.amount, 0.0).sum(),
        "fees_12m": ibis.ifelse(out & d365 & (j.kind == "fee"), j.amount, 0.0).sum(),
    }
    aggs |= {f"txn_{ch}_90d": count_if(ci & d90 & (j.channel == ch)) for ch in CHANNELS}
    aggs |= {f"txn_ci_{ch}": count_if(ci & (j.channel == ch)) for ch in CHANNELS}
    return j.group_by(["customer_id", "month"]).agg(**aggs)


MODEL = Model("int_activity_by_customer_month", "intermediate", ("stg_transactions", "int_accounts_enriched"),
              build, "One row per customer per month with transactions: counts (all, customer-initiated, "
              "off-counter, customer-initiated by channel), amounts, and the month's share of the build "
              "date's 30/90/365-day windows.",
              materialize=True)
