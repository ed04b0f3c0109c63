"""int_activity_by_customer_month: transaction counts and amounts per customer per month."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, count_if


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t, a = src["stg_transactions"], src["int_accounts_enriched"]
    j = t.join(a.select("account_id", "customer_id"), "account_id")
    out = j.direction == "out"
    return j.group_by(["customer_id", "month"]).agg(
        txn_all=j.count().cast("int64"),
        txn_ci=count_if(j.customer_initiated),
        txn_off_counter=count_if(j.off_counter),
        amount_in=ibis.ifelse(out, 0.0, j.amount).sum(),
        amount_out=ibis.ifelse(out, j.amount, 0.0).sum(),
        consumption_out=ibis.ifelse(out & (j.kind == "consumption"), j.amount, 0.0).sum(),
        fees=ibis.ifelse(out & (j.kind == "fee"), j.amount, 0.0).sum(),
    )


MODEL = Model("int_activity_by_customer_month", "intermediate", ("stg_transactions", "int_accounts_enriched"),
              build, "One row per customer per month with transactions: counts (all, customer-initiated, "
              "off-counter) and amounts.", materialize=True)
