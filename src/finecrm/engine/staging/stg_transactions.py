"""stg_transactions: transactions up to the build date, with who initiated them and through what.

Customer-initiated (客户主动交易) excludes what the bank books by itself: interest, fees, salary and
pension credits, loan disbursements and anything through the batch channel. The off-counter rate
(电子银行柜面替代率) is customer-initiated transactions through non-counter channels ÷ all
customer-initiated transactions.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model

NOT_CUSTOMER_INITIATED = ("interest", "fee", "salary", "pension", "loan_disbursement")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = src["transactions"]
    t = t.filter(t.ts < ibis.date(ctx.as_of) + ibis.interval(days=1))
    ci = ~t.kind.isin(NOT_CUSTOMER_INITIATED) & (t.channel != "batch")
    return t.mutate(
        amount=t.amount.cast("float64"),
        day=t.ts.date(),
        month=t.ts.date().truncate("M"),
        customer_initiated=ci,
        off_counter=ci & (t.channel != "counter"),
    )


MODEL = Model("stg_transactions", "staging", ("transactions",), build,
              "Transactions up to the build date; customer_initiated and off_counter flags.")
