"""Service-quality indicators (服务质量指标) by branch and by staff member, over a period: what the KPI module (issue 17)
will read through :func:`service_quality` when it lands, and what the service-quality page shows until then.

Per branch (the branch a complaint concerns; a survey member's branch):

- ``customers``: the branch's customers in the published snapshot;
- ``complaints``: complaints received in the period; ``per_10k``: complaints per 10,000 customers in the period;
- ``due`` and ``on_time``: complaints received in the period whose deadline has passed or that were answered, and
  how many of them had their first answer by the deadline; ``on_time_share`` = on_time ÷ due;
- ``overdue_now``: complaints still to answer past their deadline at ``now`` (whenever received);
- ``appeals``: appeals on complaints received in the period;
- ``satisfied``: per dimension, the share of respondents in the period satisfied (mean score ≥ 4), with n;
- ``response_rate``: of the survey members drawn in the period, the share who answered.

Per staff member: complaints received in the period that name them as the staff concerned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, require
from finecrm.core.clock import utc
from finecrm.core.settings import ServiceSettings
from finecrm.db.models import Complaint, Survey, SurveyAnswer, SurveyMember
from finecrm.services.service.complaints import TO_ANSWER, ComplaintError, bank_day
from finecrm.services.service.outputs import BranchQuality, QualityReport
from finecrm.services.service.questionnaire import DIMENSION_CODES, SATISFIED_FROM
from finecrm.services.snapshot.serving import Serving

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def service_quality(session: Session, serving: Serving, principal: Principal, settings: ServiceSettings, *,
                    since: date, until: date, now: datetime, tz: str) -> QualityReport:
    """The indicators for the principal's branches over [since, until] (bank dates, both included)."""
    if not allowed(principal, "run_surveys"):
        require(principal, "handle_complaints")
    if not (EARLIEST <= since <= until <= LATEST):
        raise ComplaintError(f"期间须在 {EARLIEST} 与 {LATEST} 之间且开始日期不晚于结束日期 / the period must lie "
                             f"between {EARLIEST} and {LATEST}, since not after until")
    scope = principal.branch_scope

    def mine(branch: str | None) -> bool:
        return scope is None or branch in scope

    customers = {str(r["branch_id"]): int(r["n"]) for r in serving.sql(
        "SELECT branch_id, count(*) AS n FROM customer_360 GROUP BY branch_id") if mine(r["branch_id"])}
    today = bank_day(now, tz)
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"complaints": 0, "due": 0, "on_time": 0, "overdue_now": 0,
                                                           "appeals": 0})
    staff: dict[str, int] = defaultdict(int)
    for c in session.scalars(select(Complaint)):
        if not mine(c.branch_id):
            continue
        r = rows[c.branch_id]
        if c.status in TO_ANSWER and today > c.due_on:
            r["overdue_now"] += 1
        received = bank_day(utc(c.received_at), tz)
        if not since <= received <= until:
            continue
        r["complaints"] += 1
        r["appeals"] += c.appeals or 0
        if c.staff_id:
            staff[c.staff_id] += 1
        if c.first_replied_at is not None or today > c.due_on:
            r["due"] += 1
            r["on_time"] += 1 if c.replied_on_time else 0
    start = datetime.combine(since, time.min, tzinfo=UTC)
    drawn = {s.id for s in session.scalars(select(Survey)) if start <= utc(s.created_at)}
    members = {m.id: m for m in session.scalars(select(SurveyMember)) if mine(m.branch_id)}
    asked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m in members.values():
        if m.survey_id in drawn:
            asked[m.branch_id or ""][0] += 1
            asked[m.branch_id or ""][1] += 1 if m.responded_at is not None else 0
    scores: dict[tuple[int, str], list[int]] = defaultdict(list)
    for a in session.scalars(select(SurveyAnswer).where(SurveyAnswer.score.is_not(None))):
        who = members.get(a.member_id)
        if who is None or who.responded_at is None or not since <= bank_day(utc(who.responded_at), tz) <= until:
            continue
        scores[(a.member_id, a.dimension)].append(int(a.score or 0))
    satisfied: dict[str, dict[str, list[int]]] = defaultdict(lambda: {d: [0, 0] for d in DIMENSION_CODES})
    for (member_id, dimension), values in scores.items():
        if dimension not in DIMENSION_CODES:
            continue
        cell = satisfied[members[member_id].branch_id or ""][dimension]
        cell[1] += 1
        cell[0] += 1 if sum(values) / len(values) >= SATISFIED_FROM else 0
    out: list[BranchQuality] = []
    for b in sorted(set(customers) | set(rows) | set(asked) | set(satisfied)):
        r = rows[b]
        n_customers = customers.get(b, 0)
        sat = satisfied[b]
        out.append({
            "branch_id": b, "customers": n_customers, "complaints": r["complaints"],
            "per_10k": r["complaints"] * 10_000 / n_customers if n_customers else None,
            "due": r["due"], "on_time": r["on_time"], "on_time_share": r["on_time"] / r["due"] if r["due"] else None,
            "overdue_now": r["overdue_now"], "appeals": r["appeals"],
            "satisfied": {d: {"share": k / n if n else None, "n": n} for d, (k, n) in sat.items()},
            "asked": asked[b][0], "responded": asked[b][1],
            "response_rate": asked[b][1] / asked[b][0] if asked[b][0] else None,
        })
    return {"since": since.isoformat(), "until": until.isoformat(), "branches": out,
            "staff": [{"staff_id": k, "complaints": v} for k, v in sorted(staff.items(), key=lambda kv: -kv[1])]}
