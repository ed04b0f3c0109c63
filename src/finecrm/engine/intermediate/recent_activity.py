"""int_recent_activity: per customer, what they did in the 30 and 90 days up to the build date."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, count_if

CHANNELS = ("counter", "atm", "pos", "online", "mobile", "wechat", "phone")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t, a = src["stg_transactions"], src["int_accounts_enriched"]
    j = t.join(a.select("account_id", "customer_id", "is_deposit"), "account_id")
    as_of = ibis.date(ctx.as_of)
    d90 = j.day > as_of - ibis.interval(days=90)
    d30 = j.day > as_of - ibis.interval(days=30)
    d365 = j.day > as_of - ibis.interval(days=365)
    ci = j.customer_initiated
    out = j.direction == "out"
    aggs = {
        "txn_ci_30d": count_if(ci & d30),
        "txn_ci_90d": count_if(ci & d90),
        "txn_off_counter_90d": count_if(j.off_counter & d90),
        "last_ci_date": ibis.ifelse(ci, j.day, ibis.null("date")).max(),
        "out_90d": ibis.ifelse(out & d90, j.amount, 0.0).sum(),
        "consumption_90d": ibis.ifelse(out & d90 & (j.kind == "consumption"), j.amount, 0.0).sum(),
        "fees_12m": ibis.ifelse(out & d365 & (j.kind == "fee"), j.amount, 0.0).sum(),
    }
    aggs |= {f"txn_{ch}_90d": count_if(ci & d90 & (j.channel == ch))
              for ch in CHANNELS}
    return j.group_by("customer_id").agg(**aggs)


MODEL = Model("int_recent_activity", "intermediate", ("stg_transactions", "int_accounts_enriched"), build,
              "One row per customer with transactions: 30/90-day counts by channel, last activity, fees.")
