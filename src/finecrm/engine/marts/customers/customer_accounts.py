"""customer_accounts — one row per account: the holdings behind the customer 360 page.

A mart, built with the rest of the snapshot, rather than a read of the raw warehouse at page time,
so that a page always shows one consistent snapshot (a later ingest does not change what a published
build says) and so the serving copy can sort it by customer for fast look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, add_months


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    a, p, m = src["int_accounts_enriched"], src["stg_products"], src["stg_account_month"]
    month = add_months(ctx.as_of, 0)
    bal = m.filter(m.month == ibis.date(month)).select(
        "account_id", balance_end=m.end_balance, balance_avg=m.avg_daily_balance
    )
    names = p.select("product_code", product_name=p.name, risk_level=p.risk_level)
    j = a.left_join(names, "product_code").drop("product_code_right")
    j = j.left_join(bal, "account_id").drop("account_id_right")
    return j.select(
        "account_id", "customer_id", "product_code", "product_name", "category", "risk_level", "status",
        "is_open", "open_date", "close_date", "maturity_date", "branch_id", "currency",
        balance_end=j.balance_end.fill_null(0.0).round(2),
        balance_avg=j.balance_avg.fill_null(0.0).round(2),
    )


MODEL = Model(
    "customer_accounts", "mart", ("int_accounts_enriched", "stg_products", "stg_account_month"), build,
    "One row per account opened by the build date: product, status and the build month's balances.",
    grain="account", key=("account_id",), not_null=("customer_id", "category", "is_open"),
)
