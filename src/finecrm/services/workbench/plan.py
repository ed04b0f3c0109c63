"""The month's visit plan (月访客户计划表): the ``visit_plan`` mart joined with the contact log.

The mart (engine) says who is due a visit in the cycle holding the build month, by tier frequency; it cannot
read the operational database, so whether the visit was made is joined here from the contact log:

- **done** 已走访: a visit (``VISIT_KINDS``) of the customer recorded on or after the cycle's first day;
- **overdue** 逾期: not done, and the customer was due in the previous cycle too (``due_last_cycle``) with no
  visit in it — a visit owed since the cycle before;
- **due** 待走访: the rest.

A visit by anyone counts for the customer (the customer was seen); the statistics are by the manager the
plan gives the customer to. A customer manager sees their own plan; a branch head or an analyst sees the
plans of the managers in their scope (statistics per manager): ``supervises``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, require, scope_customers
from finecrm.authz.masking import mask_table
from finecrm.core import formats
from finecrm.core.errors import FinecrmError
from finecrm.db import workbench_repositories
from finecrm.services.common import Page, clamp_page
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.outputs import PlanRow, PlanStats

#: Contacts that are a visit for the plan and the daily standard: a visit, or a meeting face to face.
VISIT_KINDS = ("visit", "meeting")
STATUSES = ("due", "overdue", "done")
#: Overdue first, then due, then done; within each, the nearest deadline and the highest tier first.
_ORDER = {"overdue": 0, "due": 1, "done": 2}


class PlanError(FinecrmError):
    """A filter of the visit plan that is not one of its choices."""


def start_of(day: date, tz: str | None) -> datetime:
    """The first moment of ``day`` in the bank's time zone, in UTC (how the log's times are kept)."""
    return datetime.combine(day, time(), tzinfo=formats.zone(tz)).astimezone(UTC)


def status_of(row: dict[str, Any], last_visit: date | None) -> str:
    """done / overdue / due of one plan row given the customer's last visit (see the module doc)."""
    if last_visit is not None and last_visit >= row["cycle_start"]:
        return "done"
    if row["due_last_cycle"] and (last_visit is None or last_visit < row["previous_cycle_start"]):
        return "overdue"
    return "due"


def supervises(principal: Principal) -> bool:
    """Sees the plans of the managers in scope: who watches results (``view_kpi``) and tiers across customers
    (``view_segments``) — a branch head, an analyst; not a lobby manager or a collector."""
    return allowed(principal, "view_kpi") and allowed(principal, "view_segments")


def _may_see_plans(principal: Principal) -> None:
    if not (allowed(principal, "record_visit") or supervises(principal)):
        require(principal, "record_visit")  # raises Forbidden naming the action


def _own_only(principal: Principal) -> bool:
    """A customer manager's plan is their own customers only (not the grid's customers of other managers)."""
    return allowed(principal, "record_visit") and principal.staff_id is not None


def plan_rows(session: Session, serving: Serving, principal: Principal, *,
              manager_id: str | None = None) -> tuple[date | None, list[PlanRow]]:
    """Every plan row the principal sees (their own as a manager), with its status; (plan month, rows)."""
    _may_see_plans(principal)
    if not serving.has_table("visit_plan"):
        return None, []
    if _own_only(principal):
        manager_id = principal.staff_id
    elif not supervises(principal):
        return None, []
    t = scope_customers(principal, serving.table("visit_plan"))
    if manager_id is not None:
        t = t.filter(t.manager_id == manager_id)
    rows = serving.query(t.order_by("customer_id"))
    if not rows:
        return None, []
    tz = serving.ws.settings.bank.timezone
    since = min(r["previous_cycle_start"] for r in rows)
    last = workbench_repositories.last_contacts(session, kinds=VISIT_KINDS, since=start_of(since, tz),
                                      customer_ids=[r["customer_id"] for r in rows])
    names = load_names(serving.ws)
    labels = _labels(serving, principal, [r["customer_id"] for r in rows])
    out: list[PlanRow] = []
    for r in rows:
        seen = formats.local(last[r["customer_id"]], tz).date() if r["customer_id"] in last else None
        out.append({"customer_id": r["customer_id"], "name": labels.get(r["customer_id"]),
                    "manager_id": r["manager_id"], "manager_name": names.of("staff", r["manager_id"]),
                    "tier": r["tier"], "frequency_months": int(r["frequency_months"]),
                    "cycle_start": r["cycle_start"], "due_by": r["due_by"], "last_visit": seen,
                    "status": status_of(r, seen)})
    return rows[0]["plan_month"], out


def _labels(serving: Serving, principal: Principal, ids: list[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    t = serving.table("customer_360")
    t = t.filter(t.customer_id.isin(sorted(set(ids)))).select("customer_id", "kind", "name")
    return {r["customer_id"]: r["name"] for r in serving.query(mask_table(principal, t))}


def plan_stats(rows: Iterable[PlanRow]) -> list[PlanStats]:
    """The month's plan statistics per manager: planned, done, due, overdue and the completion rate."""
    by: dict[str, PlanStats] = {}
    for r in rows:
        s = by.setdefault(r["manager_id"], {"manager_id": r["manager_id"], "manager_name": r["manager_name"],
                                             "planned": 0, "done": 0, "due": 0, "overdue": 0, "completion": None})
        s["planned"] += 1
        s[r["status"]] += 1  # type: ignore[literal-required]
    for s in by.values():
        s["completion"] = round(s["done"] / s["planned"], 4) if s["planned"] else None
    return sorted(by.values(), key=lambda s: (-(s["overdue"]), s["manager_id"]))


def month_plan(session: Session, serving: Serving, principal: Principal, *, status: str | None = None,
               manager_id: str | None = None, page: int = 1, page_size: int = 50
               ) -> tuple[date | None, Page[PlanRow], list[PlanStats]]:
    """The plan of the month: a page of rows (overdue first; ``status`` one of :data:`STATUSES`) and the
    statistics per manager over every row (not only the page)."""
    if status not in (None, "", *STATUSES):
        raise PlanError(f"状态须为 {', '.join(STATUSES)} 之一 / the status must be one of {', '.join(STATUSES)}, "
                        f"got {status!r}")
    page, page_size = clamp_page(page, page_size, default=50)
    month, rows = plan_rows(session, serving, principal, manager_id=manager_id)
    stats = plan_stats(rows)
    shown = [r for r in rows if not status or r["status"] == status]
    shown.sort(key=lambda r: (_ORDER[r["status"]], r["due_by"], r["frequency_months"], r["customer_id"]))
    start = (page - 1) * page_size
    return month, Page(shown[start:start + page_size], page, page_size, len(shown)), stats

