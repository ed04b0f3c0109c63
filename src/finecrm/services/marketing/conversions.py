"""Conversion detection: did the product appear in the bank's own data after the campaign started?

For every member of **both** arms, ``converted_on`` is the day the product first appeared for the customer
(``product_adoption.first_<target>_on`` of the published snapshot) when that day lies in the detection
window::

    campaign start  ≤  first appearance  ≤  campaign end + horizon_days

``horizon_days`` is ``marketing.horizon_days`` as it was when the campaign was created (kept in its
``details``), the same window the propensity models predict over: a customer called on the last day of the
campaign still has the full horizon to act. A first appearance before the start is not a conversion (the
customer acted before anyone called); one after the window is too late to credit to the campaign.

The same rule for both arms is what makes the comparison fair: the control group is never called, so only
data can say who in it converted. Self-reported outcomes are kept apart (``campaign_tasks``).

Detection is idempotent: it recomputes every member from the snapshot and stores exactly that, so running
it again on a later snapshot extends the record as the window fills. When the snapshot's business date is
before the window's end the result says the window is still open (``complete: false``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.db import repositories
from finecrm.db.models import Campaign
from finecrm.services.marketing.campaigns import (
    day_of,
    load_campaign,
    utc_day,
)
from finecrm.services.marketing.members import ARMS
from finecrm.services.marketing.outputs import Detection
from finecrm.services.marketing.sources import ADOPTION_MART, require_mart, snapshot_as_of
from finecrm.services.snapshot.serving import Serving


def horizon_of(c: Campaign, default: int) -> int:
    value = (c.details or {}).get("horizon_days")
    return int(value) if isinstance(value, int) and value > 0 else default


def detection_window(c: Campaign, horizon_days: int) -> tuple[date, date]:
    """``(first day, last day)`` in which a first appearance counts as a conversion."""
    start, end = day_of(c.start_date), day_of(c.end_date)
    assert start is not None and end is not None
    return start, end + timedelta(days=horizon_days)


def first_appearances(serving: Serving, target: str, customer_ids: list[str]) -> dict[str, date]:
    """``{customer_id: first day the target product appeared}`` for those of ``customer_ids`` who have one."""
    col = f"first_{target}_on"
    a = require_mart(serving, ADOPTION_MART, zh="识别转化", en="conversion detection", columns=(col,))
    if not customer_ids:
        return {}
    with serving.registered(pa.table({"customer_id": pa.array(customer_ids, pa.string())})) as ids:
        expr = ids.join(a, "customer_id").filter(a[col].notnull()).select(ids.customer_id, first=a[col].cast("date"))
        rows = serving.arrow(expr).to_pylist()
    return {r["customer_id"]: r["first"] for r in rows}


def detect_conversions(session: Session, serving: Serving, principal: Principal, campaign_id: int
                       ) -> Detection:
    """Set ``converted_on`` of every member from the published snapshot (see the module doc); audited.

    Returns ``{campaign_id, snapshot, as_of, window: {start, end, horizon_days}, complete, members,
    converted: {treatment, control}, adopted_before_start, adopted_after_window, changed}``.
    """
    require(principal, "manage_campaigns")
    c = load_campaign(session, campaign_id)
    horizon = horizon_of(c, serving.ws.settings.marketing.horizon_days)
    start, last = detection_window(c, horizon)
    members = repositories.list_campaign_members(session, campaign_id=c.id)
    first = first_appearances(serving, c.target, [m.customer_id for m in members])
    as_of = snapshot_as_of(serving)
    converted = dict.fromkeys(ARMS, 0)
    before = after = 0
    changes = []
    for m in members:
        day = first.get(m.customer_id)
        hit = day if day is not None and start <= day <= last else None
        if day is not None and day < start:
            before += 1
        elif day is not None and day > last:
            after += 1
        if hit is not None:
            converted[m.arm] = converted.get(m.arm, 0) + 1
        if day_of(m.converted_on) != hit:
            changes.append({"customer_id": m.customer_id, "converted_on": utc_day(hit) if hit else None})
    repositories.update_campaign_members(session, campaign_id=c.id, changes=changes)
    result: Detection = {
        "campaign_id": c.id, "snapshot": serving.build_id, "as_of": as_of.isoformat(),
        "window": {"start": start.isoformat(), "end": last.isoformat(), "horizon_days": horizon},
        "complete": as_of >= last, "members": len(members), "converted": converted,
        "adopted_before_start": before, "adopted_after_window": after, "changed": len(changes),
        "detected_at": datetime.now(UTC).isoformat(),
    }
    c.details = {**(c.details or {}), "detection": result}  # a new dict: JSON columns track assignment only
    repositories.record_audit(session, actor=principal.username, action="campaign_detect", target=f"campaign:{c.id}",
                              details={k: v for k, v in result.items() if k != "detected_at"})
    session.flush()
    return result
