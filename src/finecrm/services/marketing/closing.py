"""Ending a campaign: closing it (结束活动) or cancelling one that has not started (取消活动).

- **Close**: the campaign ends at its end date or today, whichever is earlier. Open tasks stop being due (the
  managers' task lists no longer show them); recorded outcomes, detected conversions and the evaluation stay.
  A campaign that has not started is cancelled instead (closing it would end it before it began).
- **Cancel**: only before the start date. Its tasks are withdrawn: they leave every manager's task list, and no
  outcome can be recorded. The members and arms stay, so what was drawn can still be seen and checked.

Both need ``manage_campaigns`` and a reason, and are audited (``campaign_close``, ``campaign_cancel``). The
reason, who and when are kept in the campaign's ``details.closing`` with the end date it had before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.db import repositories
from finecrm.db.models import Campaign
from finecrm.services.marketing.campaigns import CampaignError, day_of, load_campaign, utc_day
from finecrm.services.marketing.members import TREATMENT
from finecrm.services.marketing.outputs import Closing

#: A campaign in one of these has ended: no new assignment, no outcome, no task due.
ENDED = ("closed", "cancelled")
MAX_REASON = 500


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise CampaignError("请填写原因 / give a reason")
    if len(reason) > MAX_REASON:
        raise CampaignError(f"原因最多 {MAX_REASON} 个字，当前 {len(reason)} 个 / the reason may have at most "
                            f"{MAX_REASON} characters; it has {len(reason)}")
    return reason


def _open_tasks(session: Session, c: Campaign) -> int:
    members = repositories.list_campaign_members(session, campaign_id=c.id, arm=TREATMENT, assigned=True)
    return sum(1 for m in members if m.outcome is None)


def _end(session: Session, principal: Principal, campaign_id: int, reason: str, *, status: str,
         today: date | None) -> Closing:
    require(principal, "manage_campaigns")
    c = load_campaign(session, campaign_id)
    why = _reason(reason)
    if c.status in ENDED:
        raise CampaignError(f"营销活动 {c.id} 已{'取消' if c.status == 'cancelled' else '结束'} / campaign {c.id} is "
                            f"already {c.status}")
    day = today or date.today()
    start, end = day_of(c.start_date), day_of(c.end_date)
    assert start is not None and end is not None  # both are required columns
    if status == "closed" and day < start:
        raise CampaignError(f"活动 {start} 才开始，尚未开始的活动请取消而不是结束 / the campaign starts on {start}: "
                            "cancel a campaign that has not started instead of closing it")
    if status == "cancelled" and day >= start:
        raise CampaignError(f"活动已于 {start} 开始，只能结束不能取消 / the campaign started on {start}: close it "
                            "instead (only a campaign that has not started can be cancelled)")
    closing: Closing = {"status": status, "by": principal.username, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "reason": why, "end_date_was": end.isoformat(), "tasks_withdrawn": _open_tasks(session, c)}
    c.status = status
    if status == "closed" and day < end:
        c.end_date = utc_day(day)  # ended early: the detection window ends today too
    c.details = {**(c.details or {}), "closing": closing}  # a new dict: JSON columns track assignment only
    repositories.record_audit(session, actor=principal.username,
                              action="campaign_close" if status == "closed" else "campaign_cancel",
                              target=f"campaign:{c.id}", details={**closing, "end_date": str(day_of(c.end_date))})
    session.flush()
    return closing


def close_campaign(session: Session, principal: Principal, campaign_id: int, *, reason: str,
                   today: date | None = None) -> Closing:
    """End a started campaign at its end date or today (audited); its open tasks stop being due."""
    return _end(session, principal, campaign_id, reason, status="closed", today=today)


def cancel_campaign(session: Session, principal: Principal, campaign_id: int, *, reason: str,
                    today: date | None = None) -> Closing:
    """Cancel a campaign that has not started (audited); its tasks are withdrawn."""
    return _end(session, principal, campaign_id, reason, status="cancelled", today=today)
