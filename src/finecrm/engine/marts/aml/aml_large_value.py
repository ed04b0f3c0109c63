"""aml_large_value — large-value transaction reports (大额交易报告, PBoC 2016 No. 3).

One row per customer, day, kind, direction and currency whose single or cumulative amount that day
reaches the threshold (finecrm.yaml, ``aml.large_value``): cash (现金) ≥ 50,000; transfers (转账) of a
corporate customer ≥ 2,000,000 (domestic and cross-border together); domestic transfers of an individual
≥ 500,000; cross-border transfers of an individual ≥ 200,000 — or, on foreign-currency accounts, the
US-dollar thresholds after ``usd_rates``. In and out are counted apart. The row holds what a report needs
about the transactions; the customer's name and ID number stay in customer_360, where the read path masks them.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.labels import LARGE_VALUE_KINDS
from finecrm.engine.marts.aml._common import TXN_DEPS, joined, owned_transactions
from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.large_value
    home = ctx.settings.bank.currency
    t = owned_transactions(src)
    corporate = t.customer_kind == "corporate"
    cross = t.cross_border.fill_null(False)
    kind = ibis.cases(
        (t.kind == "cash", "cash"),
        (t.kind.isin(list(p.transfer_kinds)) & (corporate | ~cross), "transfer"),
        (t.kind.isin(list(p.transfer_kinds)), "cross_border_transfer"),
        else_=ibis.null("string"),
    )
    foreign = t.currency != home
    # a foreign currency without a rate is compared as it is (reported rather than missed)
    rate = ibis.cases(*[(t.currency == c, r) for c, r in p.usd_rates.items()], else_=1.0) if p.usd_rates else 1.0
    t = t.mutate(report_kind=kind, foreign=foreign, compared=ibis.ifelse(foreign, t.amount * rate, t.amount))
    t = t.filter(t.report_kind.notnull())
    day_key = ["customer_id", "customer_kind", "branch_id", t.day.name("report_date"), "report_kind", "direction",
               "currency", "foreign"]
    # sums first, over every transaction; the lists of accounts, channels and ids only for the days that cross
    # (collecting lists for every customer-day is what costs, on Spark above all)
    g = t.group_by(day_key).agg(amount=t.amount.sum().round(2), compared_amount=t.compared.sum().round(2))
    corp = g.customer_kind == "corporate"
    threshold = ibis.cases(
        (g.report_kind == "cash", ibis.ifelse(g.foreign, p.cash_usd, p.cash)),
        (corp, ibis.ifelse(g.foreign, p.corporate_transfer_usd, p.corporate_transfer)),
        (g.report_kind == "transfer", ibis.ifelse(g.foreign, p.individual_transfer_usd, p.individual_transfer)),
        else_=ibis.ifelse(g.foreign, p.individual_cross_border_usd, p.individual_cross_border),
    ).cast("float64")
    g = g.mutate(threshold=threshold, threshold_currency=ibis.ifelse(g.foreign, "USD", home))
    g = g.filter(g.compared_amount >= g.threshold)
    keys = ["customer_id", "report_date", "report_kind", "direction", "currency"]
    x = t.mutate(report_date=t.day).join(g.select(*keys), keys)
    detail = x.group_by(keys).agg(
        n_txns=x.txn_id.count(), largest=x.amount.max().round(2), largest_compared=x.compared.max(),
        first_ts=x.ts.min(), last_ts=x.ts.max(), accounts=joined(x.account_id), channels=joined(x.channel),
        counterparty_accounts=joined(x.counterparty_account), counterparty_banks=joined(x.counterparty_bank),
        operators=joined(x.operator_id), txn_ids=joined(x.txn_id),
    )
    g = g.join(detail, keys)
    labels = LARGE_VALUE_KINDS
    return g.select(
        "customer_id", "customer_kind", "branch_id", "report_date", "report_kind",
        kind_zh=ibis.cases(*[(g.report_kind == k, zh) for k, (zh, _) in labels.items()]),
        kind_en=ibis.cases(*[(g.report_kind == k, en) for k, (_, en) in labels.items()]),
        direction="direction", currency="currency", amount="amount", compared_amount="compared_amount",
        threshold="threshold", threshold_currency="threshold_currency", single=g.largest_compared >= g.threshold,
        n_txns=g.n_txns.cast("int64"), largest="largest", first_ts="first_ts", last_ts="last_ts",
        accounts="accounts", channels="channels", counterparty_accounts="counterparty_accounts",
        counterparty_banks="counterparty_banks", operators="operators", txn_ids="txn_ids",
    )


MODEL = Model(
    "aml_large_value", "mart", TXN_DEPS, build,
    "One row per customer, day, report kind (cash / transfer / cross-border transfer), direction and currency "
    "at or above the PBoC 2016 No. 3 threshold: amount, count, first and last time, accounts, channels, "
    "counterparty accounts and banks, operators and transaction ids (no names or ID numbers).",
    grain="customer per day per kind per direction per currency",
    key=("customer_id", "report_date", "report_kind", "direction", "currency"),
    not_null=("customer_id", "report_date", "report_kind", "direction", "amount", "threshold", "txn_ids"),
    invariants=(
        Invariant("crosses", lambda t: t.compared_amount >= t.threshold, "every row reaches its threshold"),
        Invariant("counted", lambda t: t.n_txns >= 1, "at least one transaction"),
        Invariant("in order", lambda t: t.first_ts <= t.last_ts, "first before last"),
    ),
)
