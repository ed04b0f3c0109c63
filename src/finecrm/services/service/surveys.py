"""Satisfaction surveys (满意度调查) on the five dimensions of service quality: a sample drawn like a campaign's
audience (random, optionally stratified by branch or tier; the sample recorded with its seed), answers taken on a
public page from a one-use link, entered by staff or imported from a file, and scores with their intervals.

Links: each member of a drawn sample gets a random token (``secrets.token_urlsafe``); only its SHA-256 is stored,
so the database cannot give the links back — the draw hands them out once (the send list). The public page shows
the questions and nothing about the customer; a token answers once; an unknown (forged) or used token is refused,
and an address refused :data:`LINK_REFUSALS` times in :data:`LINK_WINDOW` is refused everything for that window
(429). Refusals are written to the audit log under ``public:<address>``, which is what the limit counts.

Scores (``results``): per dimension, a respondent is satisfied when their mean score on its questions is at
least 4 (``questionnaire.SATISFIED_FROM``); the satisfied share is given with a 95% Wilson interval, the mean score
with a normal 95% interval, by branch and for the whole scope; the response rate with its Wilson interval.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import NotFound, Principal, customer_in_scope, require
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.db.models import Survey, SurveyAnswer, SurveyMember
from finecrm.services.service.inputs import DrawSurvey, SurveyAnswers
from finecrm.services.service.outputs import (
    Cell,
    DimensionResult,
    DrawnSurvey,
    ResponseRate,
    SurveyComment,
    SurveyLink,
    SurveyResults,
    SurveyRow,
)
from finecrm.services.service.questionnaire import DIMENSIONS, SATISFIED_FROM, questions
from finecrm.services.snapshot.serving import Serving

Z95 = 1.959963984540054
#: An address refused this many times within LINK_WINDOW is refused everything until the window passes.
LINK_REFUSALS = 10
LINK_WINDOW = timedelta(minutes=10)


class SurveyError(FinecrmError):
    """A survey step that cannot be taken as asked (the message says why, in both languages)."""


class LinkRefused(FinecrmError):
    """A survey link that is unknown, used or from an address over the limit: one answer for all, so a forged
    token learns nothing."""

    http_status = 404


class TooManyTries(FinecrmError):
    http_status = 429


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion (good at small n and near 0 or 1)."""
    if n <= 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _survey_row(s: Survey, members: int, responded: int) -> SurveyRow:
    return {"id": s.id, "name": s.name, "kind": s.kind, "strata": s.strata, "sample_size": members,
            "responded": responded, "seed": s.seed, "branch_id": s.branch_id, "created_by": s.created_by,
            "created_at": s.created_at.isoformat(), "snapshot": s.snapshot}


def _counts(session: Session, survey_id: int) -> tuple[int, int]:
    members = session.scalars(select(SurveyMember).where(SurveyMember.survey_id == survey_id)).all()
    return len(members), sum(1 for m in members if m.responded_at is not None)


def _home(principal: Principal) -> str | None:
    """The branch a survey belongs to: none (the whole bank's) for a user who sees every branch, else their home."""
    return None if principal.branch_scope is None else principal.branch_id


def _visible(principal: Principal, s: Survey) -> bool:
    """A survey of the whole bank (no branch) is everyone's, each seeing only their branches' members and results;
    a branch's survey is its branches' and its author's."""
    return (s.branch_id is None or principal.branch_scope is None or s.branch_id in principal.branch_scope
            or s.created_by == principal.username)


def _get(session: Session, principal: Principal, survey_id: int) -> Survey:
    require(principal, "run_surveys")
    s = session.get(Survey, survey_id)
    if s is None or not _visible(principal, s):
        raise NotFound("调查", "survey", str(survey_id))
    return s


def survey_questions(session: Session, principal: Principal, survey_id: int) -> list[dict[str, Any]]:
    """The questions a survey was drawn with (for staff entering a member's answers)."""
    return [dict(q) for q in _get(session, principal, survey_id).questions]


def list_surveys(session: Session, principal: Principal) -> list[SurveyRow]:
    require(principal, "run_surveys")
    rows = []
    for s in session.scalars(select(Survey).order_by(Survey.id.desc())):
        if _visible(principal, s):
            rows.append(_survey_row(s, *_counts(session, s.id)))
    return rows


# --- the sample -------------------------------------------------------------------------------------------------


def _allocate(sizes: Mapping[str, int], total: int) -> dict[str, int]:
    """Proportional allocation by largest remainder: each stratum's share of ``total``, never above its size."""
    population = sum(sizes.values())
    total = min(total, population)
    exact = {k: total * n / population for k, n in sizes.items()}
    out = {k: min(sizes[k], math.floor(v)) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (-(exact[k] - math.floor(exact[k])), k)):
        if sum(out.values()) >= total:
            break
        if out[k] < sizes[k]:
            out[k] += 1
    return out


def draw(session: Session, serving: Serving, principal: Principal, spec: DrawSurvey, *, now: datetime) -> DrawnSurvey:
    """Draw a random sample of individual customers in the principal's scope (within ``spec.branch_id`` if given),
    stratified by branch or tier with proportional allocation; record it; hand out each member's link once."""
    require(principal, "run_surveys")
    where, params = ["kind = 'individual'"], []
    if spec.branch_id:
        where.append("branch_id = ?")
        params.append(spec.branch_id)
    rows = [r for r in serving.sql("SELECT customer_id, branch_id, manager_id, grid_id, tier FROM customer_360 WHERE "
                                   + " AND ".join(where) + " ORDER BY customer_id", params)
            if customer_in_scope(principal, r)]
    if not rows:
        raise SurveyError("范围内没有可抽样的个人客户 / no individual customers in scope to sample")
    rng = np.random.default_rng(spec.seed)
    strata: dict[str, list[dict[str, Any]]] = defaultdict(list)
    column = {"branch": "branch_id", "tier": "tier"}.get(spec.strata)
    for r in rows:
        strata[str(r.get(column) or "") if column else ""].append(r)
    take = _allocate({k: len(v) for k, v in strata.items()}, spec.size)
    chosen: list[dict[str, Any]] = []
    for key in sorted(strata):
        members = strata[key]
        idx = [int(i) for i in rng.choice(len(members), size=take[key], replace=False)] if take[key] else []
        chosen += [members[i] for i in sorted(idx)]
    at = now if now.tzinfo else now.replace(tzinfo=UTC)
    s = Survey(name=spec.name, kind="drawn", questions=questions(), strata=spec.strata, sample_size=len(chosen),
               seed=spec.seed, branch_id=spec.branch_id or _home(principal), created_by=principal.username,
               created_at=at, snapshot=serving.build_id)
    session.add(s)
    session.flush()
    links: list[SurveyLink] = []
    for r in chosen:
        token = secrets.token_urlsafe(18)
        session.add(SurveyMember(survey_id=s.id, customer_id=r["customer_id"], branch_id=r["branch_id"],
                                 manager_id=r.get("manager_id"), grid_id=r.get("grid_id"), tier=r.get("tier"),
                                 token_hash=token_hash(token)))
        links.append({"customer_id": str(r["customer_id"]), "token": token})
    session.flush()
    repositories.record_audit(session, actor=principal.username, action="survey_drawn", target=f"survey:{s.id}",
                              details={"size": len(chosen), "population": len(rows), "strata": spec.strata,
                                       "seed": spec.seed, "branch_id": spec.branch_id, "snapshot": serving.build_id})
    return {"survey": _survey_row(s, len(chosen), 0), "links": links}


# --- answers ----------------------------------------------------------------------------------------------------


def _check_answers(s: Survey, answers: Mapping[str, Any]) -> list[tuple[dict[str, Any], int | None, str | None]]:
    by_code = {q["code"]: q for q in s.questions}
    unknown = sorted(set(answers) - set(by_code))
    if unknown:
        raise SurveyError(f"没有这些问题：{', '.join(unknown)} / no such questions: {', '.join(unknown)}")
    out: list[tuple[dict[str, Any], int | None, str | None]] = []
    for code, q in by_code.items():
        v = answers.get(code)
        if v in (None, ""):
            continue
        if q["kind"] == "scale":
            try:
                score = int(v)
            except (TypeError, ValueError):
                score = 0
            if score not in (1, 2, 3, 4, 5):
                raise SurveyError(f"{code}：请选择 1–5 分 / {code}: choose 1 to 5")
            out.append((q, score, None))
        else:
            out.append((q, None, str(v)[:2000]))
    if not any(score is not None for _q, score, _t in out):
        raise SurveyError("请至少回答一道评分题 / answer at least one scored question")
    return out


def _store(session: Session, s: Survey, m: SurveyMember, answers: Mapping[str, Any], *, via: str, at: datetime,
           entered_by: str | None) -> int:
    checked = _check_answers(s, answers)
    for q, score, text in checked:
        session.add(SurveyAnswer(survey_id=s.id, member_id=m.id, question=q["code"], dimension=q["dimension"],
                                 score=score, text=text))
    m.responded_at, m.responded_via, m.entered_by = at, via, entered_by
    session.flush()
    return len(checked)


def _refuse(session: Session, ip: str | None, why: str, now: datetime) -> LinkRefused:
    repositories.record_audit(session, actor=f"public:{ip or '-'}", action="survey_link_refused", target=None,
                              details={"why": why})
    return LinkRefused("链接无效或已使用 / this link is not valid or has been used")


def _throttle(session: Session, ip: str | None, now: datetime) -> None:
    since = (now if now.tzinfo else now.replace(tzinfo=UTC)) - LINK_WINDOW
    if repositories.count_audit(session, actor=f"public:{ip or '-'}", action="survey_link_refused",
                                since=since) >= LINK_REFUSALS:
        raise TooManyTries("尝试次数过多，请稍后再试 / too many tries: try again later")


def _member_by_token(session: Session, token: str, ip: str | None, now: datetime) -> tuple[Survey, SurveyMember]:
    _throttle(session, ip, now)
    m = session.scalars(select(SurveyMember).where(SurveyMember.token_hash == token_hash(token))).first() \
        if 8 <= len(token) <= 64 else None
    if m is None:
        raise _refuse(session, ip, "unknown", now)
    if m.responded_at is not None:
        raise _refuse(session, ip, "used", now)
    s = session.get(Survey, m.survey_id)
    assert s is not None
    return s, m


def open_link(session: Session, token: str, *, ip: str | None, now: datetime) -> list[dict[str, Any]]:
    """The questions a link's holder is asked: nothing about them, nothing about the survey's sample."""
    s, _m = _member_by_token(session, token, ip, now)
    return [dict(q) for q in s.questions]


def answer_link(session: Session, token: str, body: SurveyAnswers, *, ip: str | None, now: datetime) -> int:
    """Store a link's answers; the token is used up. Returns how many answers were stored."""
    s, m = _member_by_token(session, token, ip, now)
    n = _store(session, s, m, body.answers, via="link", at=now, entered_by=None)
    repositories.record_audit(session, actor=f"public:{ip or '-'}", action="survey_answered",
                              target=f"survey:{s.id}", details={"member": m.id, "via": "link", "answers": n})
    return n


def enter(session: Session, principal: Principal, survey_id: int, member_id: int, body: SurveyAnswers, *,
          now: datetime) -> int:
    """Staff enter a member's answers (a phone survey, a paper form): the member's link is used up too."""
    s = _get(session, principal, survey_id)
    m = session.get(SurveyMember, member_id)
    if m is None or m.survey_id != s.id or not customer_in_scope(principal, {
            "customer_id": m.customer_id, "branch_id": m.branch_id, "manager_id": m.manager_id, "grid_id": m.grid_id}):
        raise NotFound("调查对象", "survey member", str(member_id))
    if m.responded_at is not None:
        raise SurveyError("这位客户已经答过了 / this customer has already answered")
    n = _store(session, s, m, body.answers, via="staff", at=now, entered_by=principal.username)
    repositories.record_audit(session, actor=principal.username, action="survey_answered", target=f"survey:{s.id}",
                              details={"member": m.id, "via": "staff", "answers": n})
    return n


def import_answers(session: Session, serving: Serving, principal: Principal, *, name: str, sample: Iterable[str],
                   answers: Iterable[Mapping[str, Any]], now: datetime) -> SurveyRow:
    """A survey run outside finecrm (a survey firm's file): ``sample`` the customers asked, ``answers`` rows of
    customer_id, question, score (or text). Customers outside the principal's scope or unknown are refused."""
    require(principal, "run_surveys")
    ids = sorted({str(c) for c in sample})
    if not ids:
        raise SurveyError("样本为空 / the sample is empty")
    found = {str(r["customer_id"]): r for r in serving.sql(
        "SELECT customer_id, branch_id, manager_id, grid_id, tier FROM customer_360 WHERE customer_id IN (SELECT "
        "unnest(?::VARCHAR[]))", [ids])}
    missing = [c for c in ids if c not in found or not customer_in_scope(principal, found[c])]
    if missing:
        raise SurveyError(f"{len(missing)} 位客户不存在或不在范围内（如 {missing[0]}）/ {len(missing)} customers unknown "
                          f"or out of scope (e.g. {missing[0]})")
    at = now if now.tzinfo else now.replace(tzinfo=UTC)
    s = Survey(name=name, kind="imported", questions=questions(), strata="none", sample_size=len(ids), seed=0,
               branch_id=_home(principal), created_by=principal.username, created_at=at, snapshot=serving.build_id)
    session.add(s)
    session.flush()
    members = {}
    for c in ids:
        r = found[c]
        m = SurveyMember(survey_id=s.id, customer_id=c, branch_id=r["branch_id"], manager_id=r.get("manager_id"),
                         grid_id=r.get("grid_id"), tier=r.get("tier"), token_hash=None)
        session.add(m)
        members[c] = m
    session.flush()
    per: dict[str, dict[str, Any]] = defaultdict(dict)
    for a in answers:
        c = str(a["customer_id"])
        if c not in members:
            raise SurveyError(f"客户 {c} 有答案但不在样本中 / customer {c} answered but is not in the sample")
        per[c][str(a["question"])] = a.get("score") if a.get("score") not in (None, "") else a.get("text")
    for c, given in per.items():
        _store(session, s, members[c], given, via="import", at=at, entered_by=principal.username)
    repositories.record_audit(session, actor=principal.username, action="survey_imported", target=f"survey:{s.id}",
                              details={"sample": len(ids), "responded": len(per)})
    return _survey_row(s, len(ids), len(per))


# --- results ------------------------------------------------------------------------------------------------------


def _cell(satisfied: int, scores: list[float]) -> Cell:
    n = len(scores)
    mean = sum(scores) / n if n else None
    sd = math.sqrt(sum((x - mean) ** 2 for x in scores) / (n - 1)) if n > 1 and mean is not None else None
    half = Z95 * sd / math.sqrt(n) if sd is not None else None
    low, high = wilson(satisfied, n)
    return {"n": n, "satisfied": satisfied, "share": satisfied / n if n else None, "share_low": low,
            "share_high": high, "mean": mean, "mean_low": mean - half if mean is not None and half is not None else None,
            "mean_high": mean + half if mean is not None and half is not None else None}


def results(session: Session, principal: Principal, survey_id: int) -> SurveyResults:
    """Scores per dimension for the whole scope and per branch, with 95% intervals, and the response rate."""
    s = _get(session, principal, survey_id)
    members = [m for m in session.scalars(select(SurveyMember).where(SurveyMember.survey_id == s.id))
               if principal.branch_scope is None or m.branch_id in principal.branch_scope]
    ids = {m.id: m for m in members}
    per_member: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    comments: list[SurveyComment] = []
    for a in session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == s.id)):
        if a.member_id not in ids:
            continue
        if a.score is not None:
            per_member[a.member_id][a.dimension].append(a.score)
        elif a.text:
            comments.append({"branch_id": ids[a.member_id].branch_id, "text": a.text})
    dims: list[DimensionResult] = []
    branches = sorted({m.branch_id or "" for m in members})
    for code, zh, en in DIMENSIONS:
        def cell(keep: Any, code: str = code) -> Cell:
            means = [sum(v[code]) / len(v[code]) for mid, v in per_member.items() if v.get(code) and keep(ids[mid])]
            return _cell(sum(1 for x in means if x >= SATISFIED_FROM), means)

        dims.append({"dimension": code, "zh": zh, "en": en, "all": cell(lambda m: True),
                     "by_branch": {b: cell(lambda m, b=b: (m.branch_id or "") == b) for b in branches}})
    responded = sum(1 for m in members if m.responded_at is not None)
    rate_low, rate_high = wilson(responded, len(members))
    by_branch_rate: dict[str, ResponseRate] = {}
    for b in branches:
        mb = [m for m in members if (m.branch_id or "") == b]
        r = sum(1 for m in mb if m.responded_at is not None)
        lo, hi = wilson(r, len(mb))
        by_branch_rate[b] = {"sample": len(mb), "responded": r, "rate": r / len(mb) if mb else None, "low": lo,
                             "high": hi}
    return {"survey": _survey_row(s, *_counts(session, s.id)), "sample": len(members), "responded": responded,
            "response_rate": responded / len(members) if members else None, "response_low": rate_low,
            "response_high": rate_high, "response_by_branch": by_branch_rate, "branches": branches,
            "dimensions": dims, "comments": comments[:200]}


def members(session: Session, principal: Principal, survey_id: int) -> list[dict[str, Any]]:
    """The recorded sample in the principal's scope (customer ids only: the 360 masks the rest)."""
    s = _get(session, principal, survey_id)
    return [{"id": m.id, "customer_id": m.customer_id, "branch_id": m.branch_id, "tier": m.tier,
             "responded_at": m.responded_at.isoformat() if m.responded_at else None, "via": m.responded_via}
            for m in session.scalars(select(SurveyMember).where(SurveyMember.survey_id == s.id)
                                     .order_by(SurveyMember.id))
            if customer_in_scope(principal, {"customer_id": m.customer_id, "branch_id": m.branch_id,
                                             "manager_id": m.manager_id, "grid_id": m.grid_id})]
