"""Audiences (目标客群): saved, versioned target lists defined by a rule over customer_360 and propensity.

An audience is a name and a series of versions; each version holds a rule such as
``signed_online AND NOT signed_mobile AND age < 40 AND txn_ci_30d >= 5``. An edit adds a version, so a
campaign drawn from version 2 keeps pointing at exactly that list. Counts are live: they are computed
against the published snapshot, within the viewer's scope, every time they are shown; the count and AUM
at save time are kept beside the version for comparison.

The rule is parsed by ``finecrm.rules`` against an allow-list of columns (customer_360 without personal
data, plus the propensity mart's scores when it exists) and compiled to an Ibis predicate: nothing a user
writes becomes SQL text. A rule that names a table, a subquery, DDL or a function outside the list is
refused with the parser's message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import ibis
from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import NotFound, Principal, allowed, mask_table, require
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.db.models import Audience, AudienceVersion
from finecrm.rules import MAX_LENGTH, Rule, RuleError, parse_rule
from finecrm.services import customers
from finecrm.services.common import Page, clamp_page, is_money
from finecrm.services.exports import export_customers
from finecrm.services.marketing.outputs import (
    AudienceDoc,
    AudienceMemberRow,
    AudiencePreview,
    AudienceVersionDoc,
    TierShare,
)
from finecrm.services.snapshot.serving import Serving

# The page shows the lifecycle code in its language; the workbook carries the Chinese label, as a report does.
LIST_COLUMNS = ("customer_id", "name", "phone", "branch_id", "grid_id", "manager_id", "tier", "age", "aum_avg",
                "lifecycle")
EXPORT_COLUMNS = (*LIST_COLUMNS[:-1], "lifecycle_label", "products_held", "txn_ci_30d", "signed_online",
                  "signed_mobile")
MAX_NAME = 100


class AudienceError(FinecrmError):
    """An audience that cannot be saved or evaluated (the message says why, in both languages)."""


# --- the rule and the table it selects from ----------------------------------------------------------------

def rule_columns(serving: Serving) -> dict[str, str]:
    """What an audience rule may name: the same columns as a segment rule (``customers.rule_columns``)."""
    return customers.rule_columns(serving)


def check_rule(serving: Serving, text: str) -> Rule:
    text = (text or "").strip()
    if not text:
        raise AudienceError("规则不能为空 / the rule is empty")
    if len(text) > MAX_LENGTH:
        raise AudienceError(f"规则太长（最多 {MAX_LENGTH} 个字符）/ the rule is too long (at most {MAX_LENGTH} characters)")
    try:
        return parse_rule(text, rule_columns(serving), {c: zh for c, (zh, _en) in customers.rule_labels(serving).items()})
    except RuleError as exc:
        raise AudienceError(f"规则无法使用 / the rule cannot be used: {exc}") from None


def base_table(serving: Serving, principal: Principal, *, in_scope: bool = True) -> ibis.Table:
    """customer_360 in the principal's scope, with the propensity columns joined when the mart exists.

    ``in_scope=False`` is the whole bank: only for counting, by a campaign's preview, how many customers an
    audience holds before the creator's scope is applied (its rows are never shown).
    """
    return customers.rule_table(serving, principal, in_scope=in_scope)


def _selected(serving: Serving, principal: Principal, rule: str, *, in_scope: bool = True
              ) -> tuple[Rule, ibis.Table]:
    checked = check_rule(serving, rule)
    t = base_table(serving, principal, in_scope=in_scope)
    try:
        return checked, t.filter(checked.to_ibis(t))
    except RuleError as exc:
        raise AudienceError(f"规则无法使用 / the rule cannot be used: {exc}") from None


def audience_table(serving: Serving, principal: Principal, rule: str, *, in_scope: bool = True) -> ibis.Table:
    """The customers the rule selects, within the principal's scope (campaigns draw from this);
    ``in_scope=False``: in the whole bank (see :func:`base_table`)."""
    return _selected(serving, principal, rule, in_scope=in_scope)[1]


def preview(serving: Serving, principal: Principal, rule: str) -> AudiencePreview:
    """Live count, AUM and tier mix of the rule's customers in scope (AUM only with view_balances)."""
    require(principal, "manage_campaigns")
    checked, t = _selected(serving, principal, rule)
    money = allowed(principal, "view_balances")
    agg: dict[str, Any] = {"customers": t.count()}
    if money:
        agg["aum"] = t.aum_avg.sum()
    totals = serving.query(t.aggregate(**agg))[0]
    mix = serving.query(t.group_by("tier").agg(**agg).order_by(ibis.desc("customers")))
    n = int(totals["customers"] or 0)
    tier_mix: list[TierShare] = [{"tier": r["tier"], "customers": int(r["customers"]),
                                  "share": round(int(r["customers"]) / n, 4) if n else 0.0,
                                  "aum": round(float(r.get("aum") or 0), 2) if money else None} for r in mix]
    return {
        "snapshot": serving.build_id,
        "rule": checked.normalized,
        "customers": n,
        "aum": round(float(totals.get("aum") or 0), 2) if money else None,
        "tier_mix": tier_mix,
    }


def members(serving: Serving, principal: Principal, rule: str, *, page: int = 1, page_size: int = 20
            ) -> Page[AudienceMemberRow]:
    """The rule's customers as a page of a masked list."""
    require(principal, "manage_campaigns")
    t = audience_table(serving, principal, rule)
    money = allowed(principal, "view_balances")
    cols = [c for c in LIST_COLUMNS if money or not is_money(c)]
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = cast(list[AudienceMemberRow], serving.query(  # LIST_COLUMNS
        mask_table(principal, t.select(*cols)).order_by("customer_id").limit(page_size, offset=(page - 1) * page_size)))
    return Page(rows, page, page_size, total)


# --- saved audiences -------------------------------------------------------------------------------------

def _version_dict(v: AudienceVersion) -> AudienceVersionDoc:
    return {"version": v.version, "rule": v.rule, "note": v.note, "created_by": v.created_by,
            "created_at": v.created_at, "build_id": v.build_id, "customers": v.customers,
            "aum": v.aum}


def _audience_dict(a: Audience, versions: list[AudienceVersion], version: int | None) -> AudienceDoc:
    """The audience with the chosen version's fields at the top level (its ``created_by``/``created_at`` are the
    version's: who wrote this rule, when)."""
    chosen = next((v for v in versions if v.version == (version or a.latest_version)), None)
    if chosen is None:
        raise NotFound("客群版本", "audience version", f"{a.id} v{version}")
    return {"id": a.id, "name": a.name, "description": a.description, "latest_version": a.latest_version,
            "archived": a.archived, **_version_dict(chosen), "versions": [_version_dict(v) for v in versions]}


def _versions(session: Session, audience_id: int) -> list[AudienceVersion]:
    return list(session.scalars(select(AudienceVersion).where(AudienceVersion.audience_id == audience_id)
                                .order_by(AudienceVersion.version)))


def create_audience(session: Session, serving: Serving, principal: Principal, *, name: str, rule: str,
                    description: str = "") -> AudienceDoc:
    """Save a new audience (version 1). The rule is checked and counted first; the save is audited."""
    require(principal, "manage_campaigns")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise AudienceError(f"名称须为 1–{MAX_NAME} 个字符 / the name must have 1–{MAX_NAME} characters")
    if session.scalar(select(Audience).where(Audience.name == name)) is not None:
        raise AudienceError(f"已有同名客群 “{name}” / an audience named '{name}' exists: edit it to add a version")
    counted = preview(serving, principal, rule)  # checks the rule; its counts are kept with the version
    now = datetime.now(UTC)
    a = Audience(name=name, description=(description or "").strip()[:2000], created_by=principal.username,
                 created_at=now, latest_version=1, archived=False)
    session.add(a)
    session.flush()
    session.add(AudienceVersion(audience_id=a.id, version=1, rule=counted["rule"], note="",
                                created_by=principal.username, created_at=now, build_id=counted["snapshot"],
                                customers=counted["customers"], aum=counted["aum"]))
    repositories.record_audit(session, actor=principal.username, action="audience_create", target=f"audience:{a.id}",
                              details={"name": name, "version": 1, "rule": counted["rule"],
                                       "customers": counted["customers"], "snapshot": counted["snapshot"]})
    session.flush()
    return _audience_dict(a, _versions(session, a.id), None)


def new_version(session: Session, serving: Serving, principal: Principal, *, audience_id: int, rule: str,
                note: str = "") -> AudienceDoc:
    """Add a version with a changed rule (earlier versions stay as they were); audited."""
    require(principal, "manage_campaigns")
    a = session.get(Audience, audience_id)
    if a is None:
        raise NotFound("客群", "audience", str(audience_id))
    counted = preview(serving, principal, rule)
    a.latest_version += 1
    session.add(AudienceVersion(audience_id=a.id, version=a.latest_version, rule=counted["rule"],
                                note=(note or "").strip()[:2000], created_by=principal.username,
                                created_at=datetime.now(UTC), build_id=counted["snapshot"],
                                customers=counted["customers"], aum=counted["aum"]))
    repositories.record_audit(session, actor=principal.username, action="audience_version",
                              target=f"audience:{a.id}",
                              details={"version": a.latest_version, "rule": counted["rule"],
                                       "customers": counted["customers"], "snapshot": counted["snapshot"]})
    session.flush()
    return _audience_dict(a, _versions(session, a.id), None)


def list_audiences(session: Session, principal: Principal) -> list[AudienceDoc]:
    require(principal, "manage_campaigns")
    out = []
    for a in session.scalars(select(Audience).order_by(Audience.id)):
        out.append(_audience_dict(a, _versions(session, a.id), None))
    return out


def get_audience(session: Session, audience_id: int, version: int | None = None) -> AudienceDoc:
    """An audience with the chosen version (default the latest) and the list of all versions."""
    a = session.get(Audience, audience_id)
    if a is None:
        raise NotFound("客群", "audience", str(audience_id))
    return _audience_dict(a, _versions(session, a.id), version)


def export_xlsx(session: Session, serving: Serving, principal: Principal, *, audience_id: int,
                version: int | None = None, ip: str | None = None) -> tuple[bytes, int]:
    """The audience's customers in scope as an Excel workbook, masked per role; audited before it is made."""
    require(principal, "export_list")
    require(principal, "manage_campaigns")
    aud = get_audience(session, audience_id, version)
    return export_customers(
        session, serving, principal, audience_table(serving, principal, aud["rule"]), columns=EXPORT_COLUMNS,
        title="目标客群 audience", target=f"audience:{audience_id}:v{aud['version']}", details={"rule": aud["rule"]},
        about=[["客群 audience", f"{aud['name']} (v{aud['version']})"], ["规则 rule", aud["rule"]]],
        too_many=(AudienceError, "一次最多导出 {limit:,} 名客户，此客群有 {n:,} 名 / at most {limit:,} customers per "
                  "export; this audience has {n:,}"), ip=ip)
