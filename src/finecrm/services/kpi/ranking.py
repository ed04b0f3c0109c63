"""The KPI ranking (业绩排名) of a month and a level: each unit's figures, targets, scores, total and ranks.

The figures come from the ``kpi_values`` mart of the published build (its month only) and, for visit completion,
from the ``visit_plan`` mart joined with the contact log here (the engine cannot read the operational database):
走访完成率 = the plan's customers visited in their cycle ÷ the customers planned, per manager the plan gives them
to and per the customers' branch — the workbench's own status rule, so the page and the plan agree.

Ranks are over every unit of the level in the bank; what a user sees is scoped by ``authz.decide``: a customer
manager their own row (and its rank), a branch head or a lobby manager the branches in scope and the managers
working there, an analyst everything. A collector (scope: assigned loans) has no KPI rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import ibis
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require, scope_customers
from finecrm.authz.roles import Scope
from finecrm.core import formats
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Indicator
from finecrm.db import workbench_repositories
from finecrm.services.kpi import scoring
from finecrm.services.kpi.outputs import IndicatorInfo, ItemScore, Ranking, RankingRow
from finecrm.services.kpi.targets import check_period, targets_of
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench import VISIT_KINDS, start_of, status_of
from finecrm.services.workspace import known_staff

LEVELS = ("branch", "manager")


class KpiError(FinecrmError):
    """A ranking asked for a level or a month the published build does not hold."""


def _info(i: Indicator) -> IndicatorInfo:
    return {"code": i.code, "zh": i.zh, "en": i.en, "unit": i.unit, "direction": i.direction, "base": i.base,
            "weight": i.weight, "full_marks": i.full_marks}


def published_period(serving: Serving) -> str | None:
    """The month (YYYY-MM) of the published build's KPI values; None before a build with KPIs."""
    if not serving.has_table("kpi_values"):
        return None
    t = serving.table("kpi_values")
    month = serving.scalar(t.period.max())
    return month.strftime("%Y-%m") if month is not None else None


def _values(serving: Serving, level: str) -> list[dict[str, Any]]:
    t = serving.table("kpi_values")
    return serving.query(t.filter(t.level == level))


def _visible(serving: Serving, principal: Principal, level: str) -> set[str]:
    """The units of ``level`` the principal may see, by ``authz.decide``'s customer scope: a manager's row carries
    the manager as ``manager_id`` and the branch they work at as ``branch_id``."""
    if principal.scope is Scope.ASSIGNED_LOANS:
        return set()
    t = serving.table("kpi_values")
    t = t.filter(t.level == level)
    t = t.mutate(manager_id=ibis.cases((t.level == "manager", t.unit_id), else_=ibis.null("string")))
    return {r["unit_id"] for r in serving.query(scope_customers(principal, t).select("unit_id").distinct())}


def visit_completion(session: Session, serving: Serving, level: str) -> dict[str, float | None]:
    """走访完成率 per unit of ``level``: visited in the cycle ÷ planned (None without a plan)."""
    if not serving.has_table("visit_plan"):
        return {}
    rows = serving.query(serving.table("visit_plan").select(
        "customer_id", "manager_id", "branch_id", "cycle_start", "previous_cycle_start", "due_last_cycle"))
    if not rows:
        return {}
    tz = serving.ws.settings.bank.timezone
    since = min(r["previous_cycle_start"] for r in rows)
    last = workbench_repositories.last_contacts(session, kinds=VISIT_KINDS, since=start_of(since, tz),
                                                customer_ids=[r["customer_id"] for r in rows])
    planned: dict[str, int] = defaultdict(int)
    done: dict[str, int] = defaultdict(int)
    key = "manager_id" if level == "manager" else "branch_id"
    for r in rows:
        seen = formats.local(last[r["customer_id"]], tz).date() if r["customer_id"] in last else None
        unit = r[key]
        if unit is None:
            continue
        planned[unit] += 1
        done[unit] += status_of(r, seen) == "done"
    return {u: round(done[u] / n, 4) for u, n in planned.items()}


def _number(v: Any) -> float | None:
    return None if v is None else float(v)


def ranking(session: Session, serving: Serving, principal: Principal, *, level: str = "branch",
            period: str | None = None) -> Ranking:
    """The ranking of ``level`` for ``period`` (default and only choice: the published build's month)."""
    require(principal, "view_kpi")
    if level not in LEVELS:
        raise KpiError(f"层级须为 branch 或 manager / the level must be branch or manager, got {level[:20]!r}")
    settings = serving.ws.settings.kpi
    indicators = [i for i in settings.indicators if level in i.levels]
    month = published_period(serving)
    if period:
        period = check_period(period)
        if month is not None and period != month:
            raise KpiError(f"已发布的快照只有 {month} 的考核数据 / the published build holds the KPIs of {month} only, "
                           f"not {period}")
    empty: Ranking = {"period": month, "level": level, "as_of_date": None, "units": 0, "targets_missing": 0,
                      "indicators": [_info(i) for i in indicators], "rows": []}
    if month is None:
        return empty
    values = _values(serving, level)
    if not values:
        return empty
    as_of: date = values[0]["as_of_date"]
    by_unit: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    branch_of: dict[str, str | None] = {}
    for r in values:
        by_unit[r["unit_id"]][r["indicator"]] = r
        branch_of[r["unit_id"]] = r["branch_id"]
    visits = visit_completion(session, serving, level) if any(
        i.code == "visit_completion" for i in indicators) else {}
    for unit, figures in by_unit.items():
        figures["visit_completion"] = {"value": visits.get(unit), "base_value": None, "result": visits.get(unit)}
    targets = targets_of(session, month)
    units = sorted(by_unit)
    visible = _visible(serving, principal, level)
    items: dict[str, list[ItemScore]] = {u: [] for u in units}
    missing = 0
    for ind in indicators:
        results = [_number(by_unit[u].get(ind.code, {}).get("result")) for u in units]
        ranks = scoring.competition_ranks(results, higher_is_better=ind.direction == "higher")
        for u, result, rank in zip(units, results, ranks, strict=True):
            f = by_unit[u].get(ind.code, {})
            target = targets.get((ind.code, level, u))
            missing += target is None and u in visible
            ach, score = scoring.score(result, target, ind.direction, ind.full_marks)
            items[u].append({"indicator": ind.code, "value": _number(f.get("value")),
                             "base_value": _number(f.get("base_value")), "result": result, "target": target,
                             "achievement": ach, "score": score, "weighted": round(ind.weight * score, 2),
                             "rank": rank})
    totals = [round(sum(i["weighted"] for i in items[u]), 2) for u in units]
    total_ranks = scoring.competition_ranks(totals)
    names = load_names(serving.ws)
    staff = known_staff(serving.ws) if level == "manager" else {}
    rows: list[RankingRow] = []
    for u, total, rank in zip(units, totals, total_ranks, strict=True):
        if u not in visible:
            continue
        name = names.of("branch", u) if level == "branch" else (staff.get(u) or {}).get("name")
        rows.append({"level": level, "unit_id": u, "name": name, "branch_id": branch_of.get(u), "total": total,
                     "rank": rank or 0, "items": items[u]})
    rows.sort(key=lambda r: (r["rank"], r["unit_id"]))
    return {"period": month, "level": level, "as_of_date": as_of, "units": len(units), "targets_missing": missing,
            "indicators": [_info(i) for i in indicators], "rows": rows}
