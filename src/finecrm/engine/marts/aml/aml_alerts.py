"""aml_alerts — one row per suspicious-typology alert (可疑交易预警), with its rule, parameters, score and evidence.

The rules and their parameters (finecrm.yaml, section ``aml``): ``_flows`` (fan-in/fan-out, concentrated in
and fanned out, pass-through, cash structuring, dormant reactivation) and ``_links`` (cycles between
accounts of this bank, e-banking registered by staff of another outlet followed by time deposits moved
out). docs/aml.md says what each rule looks for and what its evidence shows.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.labels import AML_RULES
from finecrm.engine.marts.aml import _flows, _links
from finecrm.engine.marts.aml._common import ALERT_COLUMNS, TXN_DEPS, owned_transactions
from finecrm.engine.model import BuildContext, Invariant, Model

DEPS = (*TXN_DEPS, "stg_account_month", "stg_signups", "stg_staff", "int_accounts_enriched")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    t = owned_transactions(src)
    parts = [
        _flows.fan_in_fan_out(t, ctx),
        _flows.concentrated_in_fan_out(t, ctx),
        _flows.pass_through(t, src["stg_account_month"], ctx),
        _flows.cash_structuring(t, ctx),
        _flows.dormant_reactivation(t, ctx),
        _links.cycle(t, src["stg_accounts"], ctx),
        _links.insider_ebanking(t, src, ctx),
    ]
    alerts = ibis.union(*[p.select(*ALERT_COLUMNS) for p in parts], distinct=False)
    # The outlet of the staff member an alert names: the pages hide such an alert from that person and from
    # colleagues of the same outlet (insider monitoring is for compliance, not for those it concerns).
    staff = src["stg_staff"].select(named_staff=ibis._.staff_id, staff_branch_id=ibis._.branch_id)
    return alerts.left_join(staff, alerts.staff_id == staff.named_staff).drop("named_staff")


MODEL = Model(
    "aml_alerts", "mart", DEPS, build,
    "One row per AML typology alert: rule (code, Chinese, English), parameters, score 0–100, the main customer "
    "and account, the staff member where the rule names one and their outlet, evidence amounts, counts, dates, transaction ids "
    "and a sentence in each language.",
    grain="alert", key=("alert_id",),
    not_null=("rule", "customer_id", "account_id", "alert_date", "evidence_zh", "evidence_en", "txn_ids"),
    invariants=(
        Invariant("known rule", lambda t: t.rule.isin(list(AML_RULES)), "every alert names a rule of labels.AML_RULES"),
        Invariant("score in range", lambda t: (t.score >= 50) & (t.score <= 100),
                  "50 at the rule's thresholds, 100 at twice them or beyond"),
        Invariant("dates in order", lambda t: (t.first_date <= t.last_date) & (t.alert_date <= t.last_date)
                  & (t.alert_date >= t.first_date), "the alert day lies within its evidence"),
        Invariant("insider names staff", lambda t: (t.rule != "insider_ebanking") | t.staff_id.notnull(),
                  "an insider alert names the staff member"),
    ),
)
