"""What the AML marts share: the transactions with their owner, windows over day numbers, alert columns.

Windows are ranges over ``dn`` (days since 1970-01-01), so "within 7 days" means calendar days on every
backend whatever days have transactions. Every rule returns the same columns (:data:`ALERT_COLUMNS`), so
``aml_alerts`` is their union.
"""

from __future__ import annotations

from typing import Any

import ibis
from pydantic import BaseModel

from finecrm.engine.labels import AML_RULES

TXN_DEPS = ("stg_transactions", "stg_accounts", "stg_customers")

ALERT_COLUMNS = (
    "alert_id", "rule", "rule_zh", "rule_en", "customer_id", "account_id", "branch_id", "staff_id", "alert_date",
    "first_date", "last_date", "n_in", "amount_in", "n_out", "amount_out", "score", "params", "txn_ids",
    "party_accounts", "evidence_zh", "evidence_en",
)


def day_number(day: Any) -> Any:
    """Days since 1970-01-01 as BIGINT (Spark's DATEDIFF is INT; the float detour keeps ibis's cast)."""
    return day.epoch_days().cast("float64").cast("int64")


def joined(col: Any) -> Any:
    """The distinct non-null values of ``col`` in a group, sorted and comma-joined (same text on every backend)."""
    return col.collect(distinct=True).sort().join(",")


def txt(x: Any) -> Any:
    """A number as whole units of text, for evidence sentences."""
    return x.round(0).cast("int64").cast("string")


def params_text(p: BaseModel) -> str:
    """A rule's parameters as they stand in finecrm.yaml: ``key=value, …``."""
    return ", ".join(f"{k}={v}" for k, v in p.model_dump().items())


def owned_transactions(src: Any) -> ibis.Table:
    """Transactions with the account's owner, the owner's kind and home branch, ``dn`` and the account's
    opening day number."""
    t = src["stg_transactions"]
    a = src["stg_accounts"].select("account_id", "customer_id", "currency", open_dn=day_number(ibis._.open_date))
    c = src["stg_customers"].select("customer_id", customer_kind=ibis._.kind, branch_id=ibis._.branch_id)
    j = t.join(a, "account_id").join(c, "customer_id")
    return j.mutate(dn=day_number(j.day))


def evidence(spans: ibis.Table, txns: ibis.Table) -> ibis.Table:
    """Sums, counts and transaction ids of ``txns`` on each span's account between ``from_dn`` and ``to_dn``.

    ``spans`` has one row per alert: ``account_id``, ``alert_dn``, ``from_dn``, ``to_dn`` (and anything else,
    kept). Returns the spans with ``n_in``, ``amount_in``, ``n_out``, ``amount_out``, ``first_date``,
    ``last_date``, ``txn_ids`` and ``counterparts`` (the counterparty accounts, comma-joined).
    """
    t = txns.select("account_id", "dn", "day", "txn_id", "direction", "amount", "counterparty_account")
    j = spans.join(t, (spans.account_id == t.account_id) & (t.dn >= spans.from_dn) & (t.dn <= spans.to_dn))
    j = j.drop("account_id_right")
    is_in, is_out = j.direction == "in", j.direction == "out"
    e = j.group_by(["account_id", "alert_dn"]).agg(
        n_in=is_in.count(where=is_in), amount_in=j.amount.sum(where=is_in).fill_null(0.0).round(2),
        n_out=is_out.count(where=is_out), amount_out=j.amount.sum(where=is_out).fill_null(0.0).round(2),
        first_date=j.day.min(), last_date=j.day.max(), txn_ids=joined(j.txn_id),
        counterparts=joined(j.counterparty_account),
    )
    return spans.join(e, ["account_id", "alert_dn"])


def finish(rule: str, p: BaseModel, t: ibis.Table, score: Any, zh: Any, en: Any,
           parties: Any = None, staff: Any = None) -> ibis.Table:
    """The alert columns of one rule: id, labels, parameters, score (0–100), evidence in both languages."""
    zh_label, en_label = AML_RULES[rule]
    alert_date = t.alert_date
    account_parties = t.account_id + ibis.ifelse(t.counterparts.isnull() | (t.counterparts == ""), "",
                                                 "," + t.counterparts) if parties is None else parties
    return t.select(
        alert_id=ibis.literal(rule) + ":" + t.account_id + ":" + alert_date.cast("string")
        + ("" if staff is None else ":" + staff),
        rule=ibis.literal(rule), rule_zh=ibis.literal(zh_label), rule_en=ibis.literal(en_label),
        customer_id=t.customer_id, account_id=t.account_id, branch_id=t.branch_id,
        staff_id=ibis.null("string") if staff is None else staff,
        alert_date=alert_date, first_date=t.first_date, last_date=t.last_date,
        n_in=t.n_in.cast("int64"), amount_in=t.amount_in.cast("float64"),
        n_out=t.n_out.cast("int64"), amount_out=t.amount_out.cast("float64"),
        score=ibis.least(100.0, (50.0 * score).round(1)).cast("float64"),
        params=ibis.literal(params_text(p)), txn_ids=t.txn_ids, party_accounts=account_parties,
        evidence_zh=zh, evidence_en=en,
    )


def ratio_score(metric: Any, threshold: float) -> Any:
    """50 at the threshold, 100 at twice it (capped by :func:`finish`)."""
    return metric.cast("float64") / threshold
