"""The compliance officer's view of the AML marts: the alert queue, one alert with its evidence and parties, and
the large-value reports (大额交易报告).

Read through the one read path, restricted by ``authz`` to the principal's customers (compliance sees the whole
bank). Alerts carry no names or ID numbers; a page links to the customer's 360, where masking and reveal with a
reason apply as everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import cast

import ibis

from finecrm.authz import Principal, alert_in_scope, require, scope_alerts, scope_customers
from finecrm.authz.errors import NotFound
from finecrm.core.errors import FinecrmError
from finecrm.engine.labels import AML_RULES, LARGE_VALUE_KINDS
from finecrm.services.aml.outputs import AlertDetail, AlertRow, LargeValueRow, PartyRow, RuleCount
from finecrm.services.common import Page, clamp_page
from finecrm.services.snapshot.serving import Serving

ALERTS, PARTIES, LARGE_VALUE = "aml_alerts", "aml_alert_parties", "aml_large_value"
RULES = AML_RULES
KINDS = LARGE_VALUE_KINDS
ALERT_COLUMNS = ("alert_id", "rule", "rule_zh", "rule_en", "customer_id", "account_id", "branch_id", "staff_id",
                 "alert_date", "first_date", "last_date", "n_in", "amount_in", "n_out", "amount_out", "score",
                 "evidence_zh", "evidence_en")
ALERT_SORTS = ("score", "alert_date", "amount_out", "rule")
LARGE_VALUE_COLUMNS = ("customer_id", "customer_kind", "branch_id", "report_date", "report_kind", "direction",
                       "currency", "amount", "threshold", "single", "n_txns", "largest", "channels")


class AmlError(FinecrmError):
    """A request the AML pages cannot answer as asked (the message says why)."""


def _table(serving: Serving, principal: Principal, name: str) -> ibis.Table:
    require(principal, "work_case")
    if not serving.has_table(name):
        raise AmlError("快照中还没有反洗钱数据：请先构建 / the snapshot has no AML marts yet: build first")
    if name == ALERTS:  # an alert on a staff member is not shown to them or to their outlet
        return scope_alerts(principal, serving.table(name))
    return scope_customers(principal, serving.table(name))


def alert_counts(serving: Serving, principal: Principal) -> list[RuleCount]:
    """Alerts per rule in scope, every rule listed (zero where none)."""
    t = _table(serving, principal, ALERTS)
    got = {r["rule"]: r for r in serving.query(t.group_by("rule").agg(alerts=t.count(), customers=t.customer_id.nunique()))}
    return [{"rule": code, "alerts": int(got[code]["alerts"]) if code in got else 0,
             "customers": int(got[code]["customers"]) if code in got else 0} for code in RULES]


def list_alerts(serving: Serving, principal: Principal, *, rule: str | None = None, min_score: float | None = None,
                branch_id: str | None = None, sort: str = "-score", page: int = 1,
                page_size: int = 20) -> Page[AlertRow]:
    """The alerts in scope, filtered and sorted (``-column`` for descending)."""
    t = _table(serving, principal, ALERTS)
    if rule:
        if rule not in RULES:
            raise AmlError(f"规则只能是 {', '.join(RULES)} / rule must be one of {', '.join(RULES)}")
        t = t.filter(t.rule == rule)
    if min_score is not None:
        t = t.filter(t.score >= min_score)
    if branch_id:
        t = t.filter(t.branch_id == branch_id)
    column = sort.lstrip("-")
    if column not in ALERT_SORTS:
        raise AmlError(f"排序只能按 {', '.join(ALERT_SORTS)} / sort by one of {', '.join(ALERT_SORTS)}")
    order = ibis.desc(column) if sort.startswith("-") else ibis.asc(column)
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = serving.query(t.select(*ALERT_COLUMNS).order_by([order, "alert_id"])
                         .limit(page_size, offset=(page - 1) * page_size))
    return Page(cast(list[AlertRow], rows), page, page_size, total)


def alert(serving: Serving, principal: Principal, alert_id: str) -> AlertDetail:
    """One alert with its rule's parameters, the evidence transactions and every party involved."""
    t = _table(serving, principal, ALERTS)
    found = serving.query(t.filter(t.alert_id == alert_id).limit(1))
    if not found or not alert_in_scope(principal, found[0]):
        raise NotFound("预警", "alert", alert_id)
    row = dict(found[0])
    parties: list[PartyRow] = []
    if serving.has_table(PARTIES):
        p = serving.table(PARTIES)
        parties = cast(list[PartyRow], serving.query(
            p.filter(p.alert_id == alert_id).select("party_id", "role", "party_type", "account_id", "customer_id",
                                                     "staff_id", "in_bank").order_by(["role", "party_id"])))
    return {
        "snapshot": serving.build_id,
        "alert": cast(AlertRow, {k: row.get(k) for k in ALERT_COLUMNS}),
        "params": str(row.get("params") or ""),
        "txn_ids": [x for x in str(row.get("txn_ids") or "").split(",") if x],
        "parties": parties,
    }


def large_value(serving: Serving, principal: Principal, *, kind: str | None = None, since: date | None = None,
                until: date | None = None, page: int = 1, page_size: int = 20) -> Page[LargeValueRow]:
    """The large-value reports in scope, newest day first."""
    t = _table(serving, principal, LARGE_VALUE)
    if kind:
        if kind not in KINDS:
            raise AmlError(f"种类只能是 {', '.join(KINDS)} / kind must be one of {', '.join(KINDS)}")
        t = t.filter(t.report_kind == kind)
    if since is not None:
        t = t.filter(t.report_date >= since)
    if until is not None:
        t = t.filter(t.report_date <= until)
    if since is not None and until is not None and since > until:
        raise AmlError("开始日期晚于结束日期 / the start date is after the end date")
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = serving.query(t.select(*LARGE_VALUE_COLUMNS)
                         .order_by([ibis.desc("report_date"), ibis.desc("amount"), "customer_id", "direction"])
                         .limit(page_size, offset=(page - 1) * page_size))
    return Page(cast(list[LargeValueRow], rows), page, page_size, total)
