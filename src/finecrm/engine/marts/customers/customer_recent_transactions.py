"""customer_recent_transactions — the latest transactions behind the customer 360 page.

A mart, built with the rest of the snapshot, rather than a read of the raw warehouse at page time,
so that a page always shows one consistent snapshot and the serving copy can sort it by customer.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model

#: How far back the 360 page lists transactions (days up to the build date). Older detail stays in the
#: warehouse; the page is for the customer manager's conversation, not for investigations.
RECENT_TRANSACTION_DAYS = 90


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t, a = src["stg_transactions"], src["int_accounts_enriched"]
    since = ibis.date(ctx.as_of) - ibis.interval(days=RECENT_TRANSACTION_DAYS - 1)
    t = t.filter(t.day >= since)
    j = t.join(a.select("account_id", "customer_id", "category"), "account_id")
    return j.select(
        "txn_id", "customer_id", "account_id", "category", "ts", "day", "direction", "channel", "kind",
        "counterparty_name", "counterparty_account", "counterparty_bank", "customer_initiated",
        amount=j.amount.round(2),
    )


MODEL = Model(
    "customer_recent_transactions", "mart", ("stg_transactions", "int_accounts_enriched"), build,
    f"Transactions of the last {RECENT_TRANSACTION_DAYS} days up to the build date, with the customer.",
    grain="transaction", key=("txn_id",), not_null=("customer_id", "ts", "amount"),
    invariants=(Invariant("amounts are positive", lambda t: t.amount > 0, "the contract requires amount > 0"),),
)
