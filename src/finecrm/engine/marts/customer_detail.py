"""customer_accounts and customer_recent_transactions: the detail behind the customer 360 page.

The web workbench shows a customer's holdings and latest transactions. They are marts, built with the
rest of the snapshot, rather than reads of the raw warehouse at page time, so that a page always shows
one consistent snapshot (a later ingest does not change what a published build says) and so the
serving copy can sort them by customer for fast look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model, add_months

#: How far back the 360 page lists transactions (days up to the build date). Older detail stays in the
#: warehouse; the page is for the customer manager's conversation, not for investigations.
RECENT_TRANSACTION_DAYS = 90


def build_accounts(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
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
        "is_open", "open_date", "close_date", "branch_id", "currency",
        balance_end=j.balance_end.fill_null(0.0).round(2),
        balance_avg=j.balance_avg.fill_null(0.0).round(2),
    )


def build_recent_transactions(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t, a = src["stg_transactions"], src["int_accounts_enriched"]
    since = ibis.date(ctx.as_of) - ibis.interval(days=RECENT_TRANSACTION_DAYS - 1)
    t = t.filter(t.day >= since)
    j = t.join(a.select("account_id", "customer_id", "category"), "account_id")
    return j.select(
        "txn_id", "customer_id", "account_id", "category", "ts", "day", "direction", "channel", "kind",
        "counterparty_name", "counterparty_account", "counterparty_bank", "customer_initiated",
        amount=j.amount.round(2),
    )


ACCOUNTS = Model(
    "customer_accounts", "mart", ("int_accounts_enriched", "stg_products", "stg_account_month"), build_accounts,
    "One row per account opened by the build date: product, status and the build month's balances.",
    grain="account", key=("account_id",), not_null=("customer_id", "category", "is_open"),
)
RECENT_TRANSACTIONS = Model(
    "customer_recent_transactions", "mart", ("stg_transactions", "int_accounts_enriched"),
    build_recent_transactions,
    f"Transactions of the last {RECENT_TRANSACTION_DAYS} days up to the build date, with the customer.",
    grain="transaction", key=("txn_id",), not_null=("customer_id", "ts", "amount"),
    invariants=(Invariant("amounts are positive", lambda t: t.amount > 0, "the contract requires amount > 0"),),
)
