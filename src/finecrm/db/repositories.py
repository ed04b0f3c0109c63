"""Reading and writing the operational database. Functions take keyword arguments only."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from finecrm.core.clock import utc
from finecrm.db.models import (
    AuditEvent,
    Campaign,
    CampaignMember,
    Contact,
    IngestRun,
    LoginAttempt,
    User,
    UserSession,
)


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. There is deliberately no update or delete counterpart."""
    event = AuditEvent(
        at=datetime.now(UTC), actor=actor, action=action, target=target, reason=reason, details=details
    )
    session.add(event)
    session.flush()
    return event


def count_audit(session: Session, *, actor: str, action: str, since: datetime) -> int:
    """How many ``action`` events ``actor`` has done since ``since`` (for limits such as searches per user)."""
    stmt = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor == actor, AuditEvent.action == action, AuditEvent.at >= since)
    return int(session.scalar(stmt) or 0)


def list_audit(session: Session, *, action: str | None = None, limit: int = 100) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))


def save_ingest_run(session: Session, *, run: IngestRun) -> None:
    session.merge(run)
    session.flush()


def list_ingest_runs(session: Session, *, limit: int = 20) -> list[IngestRun]:
    return list(session.scalars(select(IngestRun).order_by(IngestRun.started_at.desc()).limit(limit)))


# --- users ------------------------------------------------------------------------------------------


def get_user(session: Session, *, username: str) -> User | None:
    """The user called ``username`` (exact match; usernames are stored lower-case), or None."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get_user_by_id(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def add_user(session: Session, *, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    active: bool | None = None,
    role: str | None = None,
    branch_id: str | None = None,
    demo: bool | None = None,
) -> list[User]:
    """Users ordered by username; each filter applies only when given."""
    stmt = select(User).order_by(User.username)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if branch_id is not None:
        stmt = stmt.where(User.branch_id == branch_id)
    if demo is not None:
        stmt = stmt.where(User.demo == demo)
    return list(session.scalars(stmt))


def count_active_users(session: Session, *, role: str) -> int:
    stmt = select(func.count()).select_from(User).where(User.role == role, User.active.is_(True))
    return int(session.scalar(stmt) or 0)


# --- sessions ---------------------------------------------------------------------------------------


def add_session(session: Session, *, row: UserSession) -> UserSession:
    session.add(row)
    session.flush()
    return row


def get_session(session: Session, *, token_hash: str) -> UserSession | None:
    """The session whose id is ``token_hash`` (the sha256 of the cookie's token), revoked or not."""
    return session.get(UserSession, token_hash)


def list_user_sessions(session: Session, *, user_id: int, include_revoked: bool = False) -> list[UserSession]:
    stmt = select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.created_at)
    if not include_revoked:
        stmt = stmt.where(UserSession.revoked_at.is_(None))
    return list(session.scalars(stmt))


def revoke_user_sessions(session: Session, *, user_id: int, at: datetime, keep_id: str | None = None) -> int:
    """Revoke every open session of a user (except ``keep_id``); returns how many were open."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utc(at))
        .execution_options(synchronize_session="fetch")
    )
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    result = session.execute(stmt)
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# --- login attempts ---------------------------------------------------------------------------------


def record_login_attempt(
    session: Session, *, username: str, at: datetime, ip: str | None, success: bool, reason: str
) -> LoginAttempt:
    row = LoginAttempt(username=username[:100], at=utc(at), ip=ip, success=success, reason=reason)
    session.add(row)
    session.flush()
    return row


def count_login_failures(
    session: Session,
    *,
    since: datetime,
    reasons: Collection[str],
    username: str | None = None,
    ip: str | None = None,
) -> int:
    """Failed attempts after ``since`` with one of ``reasons``, for a username and/or an address."""
    if username is None and ip is None:
        raise ValueError("count_login_failures needs a username or an ip")
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.at > utc(since), LoginAttempt.reason.in_(reasons))
    )
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return int(session.scalar(stmt) or 0)


def last_login_attempt_at(session: Session, *, username: str, reason: str) -> datetime | None:
    """When ``username`` last had an attempt with ``reason`` (UTC), or None."""
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.reason == reason
    )
    at = session.scalar(stmt)
    if at is None:
        return None
    return utc(at)


def list_login_attempts(
    session: Session, *, username: str | None = None, ip: str | None = None, limit: int = 100
) -> list[LoginAttempt]:
    stmt = select(LoginAttempt).order_by(LoginAttempt.id.desc()).limit(limit)
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return list(session.scalars(stmt))


def prune_login_attempts(session: Session, *, before: datetime) -> int:
    """Delete attempts older than ``before`` (the audit log keeps the durable record); returns the count."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < utc(before)))
    return int(getattr(result, "rowcount", 0) or 0)


# --- campaigns --------------------------------------------------------------------------------------

#: Columns of campaign_members that counts may be grouped by (a fixed list: never a caller's text in SQL).
MEMBER_GROUP_COLUMNS = ("arm", "stratum", "branch_id", "grid_id", "manager_id", "decile", "assigned_to", "outcome")


def add_campaign(session: Session, *, campaign: Campaign) -> Campaign:
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, *, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def get_campaign_by_name(session: Session, *, name: str) -> Campaign | None:
    return session.scalars(select(Campaign).where(Campaign.name == name)).one_or_none()


def list_campaigns(session: Session, *, status: str | None = None) -> list[Campaign]:
    """Campaigns, newest first; ``status`` filters when given."""
    stmt = select(Campaign).order_by(Campaign.id.desc())
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    return list(session.scalars(stmt))


def add_campaign_members(session: Session, *, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert members in one executemany (a list of column → value mappings); returns how many."""
    if rows:
        session.execute(insert(CampaignMember), [dict(r) for r in rows])
        session.flush()
    return len(rows)


def get_campaign_member(session: Session, *, campaign_id: int, customer_id: str) -> CampaignMember | None:
    return session.get(CampaignMember, (campaign_id, customer_id))


def list_campaign_members(
    session: Session,
    *,
    campaign_id: int,
    arm: str | None = None,
    assigned: bool | None = None,
    assigned_to: str | None = None,
    customer_ids: Collection[str] | None = None,
) -> list[CampaignMember]:
    """Members of a campaign ordered by customer id; each filter applies only when given."""
    stmt = select(CampaignMember).where(CampaignMember.campaign_id == campaign_id).order_by(CampaignMember.customer_id)
    if arm is not None:
        stmt = stmt.where(CampaignMember.arm == arm)
    if assigned is not None:
        stmt = stmt.where(CampaignMember.assigned_to.is_not(None) if assigned else CampaignMember.assigned_to.is_(None))
    if assigned_to is not None:
        stmt = stmt.where(CampaignMember.assigned_to == assigned_to)
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        if not ids:
            return []
        stmt = stmt.where(CampaignMember.customer_id.in_(ids))
    return list(session.scalars(stmt))


def campaign_member_counts(session: Session, *, campaign_id: int, by: Sequence[str]) -> list[dict[str, Any]]:
    """Members counted by the given columns (from :data:`MEMBER_GROUP_COLUMNS`), with how many have a
    detected conversion: ``[{<col>: value, ..., "members": n, "converted": x}]``."""
    unknown = [c for c in by if c not in MEMBER_GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"cannot group campaign members by {unknown}; allowed: {MEMBER_GROUP_COLUMNS}")
    cols = [getattr(CampaignMember, c) for c in by]
    stmt = (
        select(*cols, func.count().label("members"), func.count(CampaignMember.converted_on).label("converted"))
        .where(CampaignMember.campaign_id == campaign_id)
        .group_by(*cols)
        .order_by(*cols)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def campaign_assignment_load(session: Session, *, campaign_id: int) -> dict[str, int]:
    """``{staff_id: members assigned}`` in one campaign (capacity is per manager per campaign)."""
    stmt = (
        select(CampaignMember.assigned_to, func.count())
        .where(CampaignMember.campaign_id == campaign_id, CampaignMember.assigned_to.is_not(None))
        .group_by(CampaignMember.assigned_to)
    )
    return {str(staff): int(n) for staff, n in session.execute(stmt)}


def update_campaign_members(session: Session, *, campaign_id: int, changes: Sequence[Mapping[str, Any]]) -> int:
    """Update members by primary key in one statement per batch: each mapping holds ``customer_id`` and the
    columns to set. Returns how many mappings were applied."""
    if not changes:
        return 0
    rows = [{**dict(c), "campaign_id": campaign_id} for c in changes]
    session.execute(update(CampaignMember), rows)
    session.flush()
    return len(rows)


#: Outcomes after which a task is finished; "interested" keeps it open until its follow-up date.
DONE_OUTCOMES = ("contacted", "converted", "refused", "unreachable")
#: Views of a task list (see :func:`list_tasks`).
TASK_VIEWS = ("open", "due", "upcoming", "overdue", "done")
#: How a task list may be sorted: name → the columns, in order (each ascending; "-" reverses the first).
TASK_SORTS = ("due", "campaign", "customer_id", "decile", "outcome_at")


def _midnight(d: date) -> datetime:
    """A calendar date as campaign dates are stored: midnight UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def task_conditions(view: str, today: date) -> Any:
    """The SQL condition of a task view on ``today`` (members joined with their campaign).

    open: nothing recorded yet, or "interested" (waiting for its follow-up); due: open, the campaign has
    started and any follow-up date has come; upcoming: open, but the campaign starts later or the follow-up
    is later; overdue: open, and the follow-up date has passed or the campaign has ended; done: a final
    outcome (:data:`DONE_OUTCOMES`).
    """
    m = CampaignMember
    is_open = or_(m.outcome.is_(None), m.outcome == "interested")
    started = Campaign.start_date <= _midnight(today)
    follow_due = or_(m.follow_up_on.is_(None), m.follow_up_on <= today)
    if view == "open":
        return is_open
    if view == "due":
        return and_(is_open, started, follow_due)
    if view == "upcoming":
        return and_(is_open, or_(~started, m.follow_up_on > today))
    if view == "overdue":
        return and_(is_open, started, or_(m.follow_up_on < today,
                                          and_(m.follow_up_on.is_(None), Campaign.end_date < _midnight(today))))
    if view == "done":
        return m.outcome.in_(DONE_OUTCOMES)
    raise ValueError(f"unknown task view {view!r}; one of {TASK_VIEWS}")


def _task_order(sort: str) -> list[Any]:
    column, descending = sort.removeprefix("-"), sort.startswith("-")
    if column not in TASK_SORTS:
        raise ValueError(f"cannot sort tasks by {column!r}; one of {TASK_SORTS}")
    m = CampaignMember
    # the day a task is (or was) due: its follow-up date, else its campaign's start (SQL date() on both sides:
    # SQLite keeps dates as text, PostgreSQL as dates)
    due = func.coalesce(m.follow_up_on, func.date(Campaign.start_date))
    columns: dict[str, Any] = {"due": due, "campaign": Campaign.id, "customer_id": m.customer_id,
                               "decile": m.decile, "outcome_at": m.outcome_at}
    col = columns[column]
    first = [col.desc().nulls_last() if descending else col.asc().nulls_last()]
    # then a fixed order, so that pages never overlap
    return [*first, Campaign.id.desc(), m.decile.asc().nulls_last(), m.customer_id]


def task_query(
    *,
    staff_id: str | None = None,
    campaign_id: int | None = None,
    customer_id: str | None = None,
    outcomes: Collection[str | None] | None = None,
    view: str | None = None,
    due_by: date | None = None,
    today: date | None = None,
) -> Any:
    """The select of treatment members with their campaign that the filters keep (see :func:`list_tasks`)."""
    stmt = (
        select(CampaignMember, Campaign)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.arm == "treatment", CampaignMember.assigned_to.is_not(None))
        # A cancelled campaign's tasks are withdrawn; a closed one's open tasks are no longer due (done ones stay).
        .where(Campaign.status != "cancelled",
               or_(Campaign.status != "closed", CampaignMember.outcome.is_not(None)))
    )
    if staff_id is not None:
        stmt = stmt.where(CampaignMember.assigned_to == staff_id)
    if campaign_id is not None:
        stmt = stmt.where(CampaignMember.campaign_id == campaign_id)
    if customer_id is not None:
        stmt = stmt.where(CampaignMember.customer_id == customer_id)
    if outcomes is not None:
        named = [o for o in outcomes if o is not None]
        conds = [CampaignMember.outcome.in_(named)] if named else []
        if None in outcomes:
            conds.append(CampaignMember.outcome.is_(None))
        stmt = stmt.where(or_(*conds) if conds else Campaign.id.is_(None))
    day = today or date.today()
    if view is not None:
        stmt = stmt.where(task_conditions(view, day))
    if due_by is not None:  # due on or before that day: open, the campaign started and any follow-up come by then
        stmt = stmt.where(task_conditions("due", due_by))
    return stmt


def list_tasks(
    session: Session,
    *,
    staff_id: str | None,
    campaign_id: int | None = None,
    customer_id: str | None = None,
    outcomes: Collection[str | None] | None = None,
    view: str | None = None,
    due_by: date | None = None,
    today: date | None = None,
    sort: str = "due",
    limit: int | None = 20,
    offset: int = 0,
) -> tuple[list[tuple[CampaignMember, Campaign]], int]:
    """Treatment members assigned to ``staff_id`` (``None``: to anyone) with their campaign, and the total.

    ``outcomes`` keeps members whose recorded outcome is one of them (``None`` in it: not yet recorded);
    ``view`` is one of :data:`TASK_VIEWS` on ``today``; ``due_by`` keeps tasks due on or before that day;
    ``sort`` one of :data:`TASK_SORTS` ("-" first: descending).
    """
    stmt = task_query(staff_id=staff_id, campaign_id=campaign_id, customer_id=customer_id, outcomes=outcomes,
                      view=view, due_by=due_by, today=today)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    # decile, not score: score is a JSON column, which PostgreSQL cannot order by
    page = stmt.order_by(*_task_order(sort))
    if limit is not None:
        page = page.limit(limit).offset(offset)
    rows = [(m, c) for m, c in session.execute(page)]
    return rows, total


def task_campaigns(session: Session, *, staff_id: str) -> list[tuple[int, str]]:
    """``(id, name)`` of the campaigns in which ``staff_id`` holds tasks, newest first."""
    stmt = (select(Campaign.id, Campaign.name).where(Campaign.id.in_(
        select(CampaignMember.campaign_id).where(CampaignMember.assigned_to == staff_id,
                                                 CampaignMember.arm == "treatment"))).order_by(Campaign.id.desc()))
    return [(int(i), str(n)) for i, n in session.execute(stmt)]


def count_due_tasks(session: Session, *, staff_id: str, today: date) -> int:
    """How many of ``staff_id``'s tasks are due on ``today`` (the menu's badge): one count query."""
    stmt = (
        select(func.count())
        .select_from(CampaignMember)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.assigned_to == staff_id, CampaignMember.arm == "treatment",
               task_conditions("due", today))
    )
    return int(session.scalar(stmt) or 0)


def manager_progress(session: Session, *, campaign_id: int | None, today: date,
                     branch_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Per assigned manager: members assigned, contacted (an outcome other than unreachable), converted (found
    in the data), interested and overdue (:func:`task_conditions`). ``branch_ids`` keeps members of those
    branches (the members' branch when drawn); ``campaign_id`` None: every campaign."""
    m = CampaignMember
    reached = and_(m.outcome.is_not(None), m.outcome != "unreachable")
    stmt = (
        select(
            m.assigned_to.label("staff_id"),
            func.count().label("assigned"),
            func.count(case((reached, 1))).label("contacted"),
            func.count(case((m.outcome == "interested", 1))).label("interested"),
            func.count(m.converted_on).label("converted"),
            func.count(case((task_conditions("overdue", today), 1))).label("overdue"),
            func.count(case((task_conditions("due", today), 1))).label("due"),
        )
        .select_from(m)
        .join(Campaign, Campaign.id == m.campaign_id)
        .where(m.arm == "treatment", m.assigned_to.is_not(None))
        .group_by(m.assigned_to)
        .order_by(m.assigned_to)
    )
    if campaign_id is not None:
        stmt = stmt.where(m.campaign_id == campaign_id)
    if branch_ids is not None:
        ids = sorted(set(branch_ids))
        if not ids:
            return []
        stmt = stmt.where(m.branch_id.in_(ids))
    return [dict(r._mapping) for r in session.execute(stmt)]


# --- contacts -------------------------------------------------------------------------------------------


def add_contact(session: Session, *, contact: Contact) -> Contact:
    """Append one contact. There is deliberately no update or delete counterpart: the history is kept."""
    session.add(contact)
    session.flush()
    return contact


def list_contacts(session: Session, *, customer_id: str, limit: int = 50) -> list[Contact]:
    """A customer's contacts, newest first."""
    stmt = (select(Contact).where(Contact.customer_id == customer_id)
            .order_by(Contact.at.desc(), Contact.id.desc()).limit(limit))
    return list(session.scalars(stmt))

