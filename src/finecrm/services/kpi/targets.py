"""KPI targets (考核目标): set one on the page, import a month's from Excel, list them, draft a workbook.

A target belongs to an indicator of ``kpi.indicators``, a month (YYYY-MM), a level the indicator applies to and a
unit of that level (a branch of the bank, a staff member). Setting a target again replaces it; the audit log keeps
the old and the new value (``kpi_target_set``, ``kpi_targets_import``). Only the head office's analysts set them
(``manage_kpi_targets``).

Import: the first sheet of an .xlsx workbook, a header row with ``indicator``, ``period``, ``level``, ``unit_id``,
``target`` (or 指标, 月份, 层级, 单位, 目标), one target a row. Every row is checked first; one bad row refuses the
whole file, naming each bad row's number and reason, so nothing is ever half imported.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Indicator, Workspace
from finecrm.db import repositories
from finecrm.db.models import KpiTarget
from finecrm.services.kpi.inputs import TargetIn
from finecrm.services.kpi.outputs import ImportResult, TargetList, TargetRow
from finecrm.services.names import load_names
from finecrm.services.workspace import known_staff

COLUMNS = ("indicator", "period", "level", "unit_id", "target")
ALIASES = {"指标": "indicator", "月份": "period", "层级": "level", "单位": "unit_id", "目标": "target"}
MAX_ROWS = 10_000
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class TargetError(FinecrmError):
    """A target or a file of targets that cannot be taken (the message names the row and the reason)."""


def check_period(period: str) -> str:
    if not isinstance(period, str) or not PERIOD.match(period.strip()):
        raise TargetError(f"月份须为 YYYY-MM / the month must be YYYY-MM, got {str(period)[:20]!r}")
    return period.strip()


def _problem(ws: Workspace, t: TargetIn) -> str | None:
    """Why ``t`` cannot be a target (both languages), or None."""
    ind: Indicator | None = ws.settings.kpi.indicator(t.indicator)
    if ind is None:
        codes = ", ".join(i.code for i in ws.settings.kpi.indicators)
        return f"没有指标 {t.indicator} / no indicator {t.indicator!r} (one of {codes})"
    if t.level not in ind.levels:
        return f"指标 {t.indicator} 不考核 {t.level} / {t.indicator} is not scored at level {t.level}"
    if t.level == "branch" and load_names(ws).of("branch", t.unit_id) is None:
        return f"没有网点 {t.unit_id} / no branch {t.unit_id!r}"
    if t.level == "manager" and t.unit_id not in known_staff(ws):
        return f"没有员工 {t.unit_id} / no staff member {t.unit_id!r}"
    if ind.direction == "higher" and t.target <= 0:
        return "越高越好的指标目标须大于 0 / a higher-is-better target must be above 0"
    if t.target < 0:
        return "目标不能为负 / a target cannot be negative"
    if ind.unit == "percent" and t.target > 1:
        return "比率目标为小数（5% 填 0.05）/ a ratio's target is a fraction (5 % is 0.05)"
    return None


def _existing(session: Session, t: TargetIn) -> KpiTarget | None:
    return session.scalar(select(KpiTarget).where(
        KpiTarget.indicator == t.indicator, KpiTarget.period == t.period, KpiTarget.level == t.level,
        KpiTarget.unit_id == t.unit_id))


def _put(session: Session, t: TargetIn, *, by: str, source: str) -> tuple[KpiTarget, float | None]:
    row = _existing(session, t)
    old = row.target if row is not None else None
    now = datetime.now(UTC)
    if row is None:
        row = KpiTarget(indicator=t.indicator, period=t.period, level=t.level, unit_id=t.unit_id, target=t.target,
                        set_by=by, set_at=now, source=source)
        session.add(row)
    else:
        row.target, row.set_by, row.set_at, row.source = t.target, by, now, source
    session.flush()
    return row, old


def set_target(session: Session, ws: Workspace, principal: Principal, t: TargetIn) -> TargetRow:
    """Set (or replace) one target; audited with the old and the new value."""
    require(principal, "manage_kpi_targets")
    problem = _problem(ws, t)
    if problem:
        raise TargetError(problem)
    row, old = _put(session, t, by=principal.username, source="page")
    repositories.record_audit(session, actor=principal.username, action="kpi_target_set",
                              target=f"kpi:{t.indicator}:{t.period}:{t.level}:{t.unit_id}",
                              details={"old": old, "new": t.target})
    return _row(row, load_names(ws), known_staff(ws))


def _row(r: KpiTarget, names: Any, staff: dict[str, dict[str, Any]]) -> TargetRow:
    name = names.of("branch", r.unit_id) if r.level == "branch" else (staff.get(r.unit_id) or {}).get("name")
    return {"indicator": r.indicator, "period": r.period, "level": r.level, "unit_id": r.unit_id, "unit_name": name,
            "target": r.target, "set_by": r.set_by, "set_at": r.set_at, "source": r.source}


def targets_of(session: Session, period: str) -> dict[tuple[str, str, str], float]:
    """``{(indicator, level, unit_id): target}`` of a month (no authz: the ranking use case scopes its rows)."""
    rows = session.scalars(select(KpiTarget).where(KpiTarget.period == period))
    return {(r.indicator, r.level, r.unit_id): r.target for r in rows}


def list_targets(session: Session, ws: Workspace, principal: Principal, period: str) -> TargetList:
    """Every target of a month, by indicator, level and unit (the analyst's page)."""
    require(principal, "manage_kpi_targets")
    period = check_period(period)
    rows = session.scalars(select(KpiTarget).where(KpiTarget.period == period)
                           .order_by(KpiTarget.indicator, KpiTarget.level, KpiTarget.unit_id))
    names, staff = load_names(ws), known_staff(ws)
    return {"period": period, "rows": [_row(r, names, staff) for r in rows]}


def _read_rows(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise TargetError(f"不是可读的 .xlsx 工作簿 / not a readable .xlsx workbook ({str(exc)[:80]})") from None
    try:
        header: list[str] | None = None
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if header is None:
                header = [ALIASES.get(str(v or "").strip(), str(v or "").strip()) for v in values]
                missing = [c for c in COLUMNS if c not in header]
                if missing:
                    raise TargetError(f"表头缺少列 {', '.join(missing)} / the header lacks {', '.join(missing)} "
                                      f"(expected {', '.join(COLUMNS)})")
                continue
            if len(out) >= MAX_ROWS:
                raise TargetError(f"最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows")
            out.append((number, {c: values[header.index(c)] if header.index(c) < len(values) else None
                                 for c in COLUMNS}))
    finally:
        wb.close()
    if header is None:
        raise TargetError("第一张工作表为空 / the first sheet is empty")
    return out


def _text(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip() if v is not None and not isinstance(v, str) else (v.strip() if v else v)


def import_targets(session: Session, ws: Workspace, principal: Principal, content: bytes) -> ImportResult:
    """Import a workbook of targets: all rows or none (errors name each row); audited once with the count."""
    require(principal, "manage_kpi_targets")
    rows = _read_rows(content)
    if not rows:
        raise TargetError("没有目标行 / the file has no target rows")
    errors: list[str] = []
    good: list[TargetIn] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, raw in rows:
        try:
            target = raw["target"]
            t = TargetIn(indicator=_text(raw["indicator"]) or "", period=_text(raw["period"]) or "",
                         level=_text(raw["level"]) or "", unit_id=_text(raw["unit_id"]) or "",
                         target=target if isinstance(target, int | float) else str(target or "").strip())
        except ValidationError as exc:
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
            errors.append(f"第 {number} 行 row {number}: 无效的 {fields} / invalid {fields}")
            continue
        key = (t.indicator, t.period, t.level, t.unit_id)
        if key in seen:
            errors.append(f"第 {number} 行 row {number}: 与第 {seen[key]} 行重复 / repeats row {seen[key]}")
            continue
        seen[key] = number
        problem = _problem(ws, t)
        if problem:
            errors.append(f"第 {number} 行 row {number}: {problem}")
            continue
        good.append(t)
    if errors:
        more = f"（另有 {len(errors) - 20} 处 / and {len(errors) - 20} more）" if len(errors) > 20 else ""
        raise TargetError("未导入任何目标 / nothing imported: " + "; ".join(errors[:20]) + more)
    replaced = 0
    for t in good:
        _, old = _put(session, t, by=principal.username, source="import")
        replaced += old is not None
    repositories.record_audit(session, actor=principal.username, action="kpi_targets_import", target="kpi:targets",
                              details={"rows": len(good), "replaced": replaced,
                                       "periods": sorted({t.period for t in good})})
    return {"imported": len(good), "replaced": replaced}


def workbook(rows: list[dict[str, Any]]) -> bytes:
    """An import file of ``rows`` (``COLUMNS``): what an analyst fills in, or a draft to edit."""
    from openpyxl import Workbook

    from finecrm.services.exports import sheet, to_bytes

    wb = Workbook(write_only=True)
    s = sheet(wb, "targets")
    s.append(list(COLUMNS))
    for r in rows:
        s.append([r[c] for c in COLUMNS])
    return to_bytes(wb)


def draft(serving: Any, principal: Principal, *, uplift: float = 0.1) -> tuple[str | None, bytes]:
    """A workbook of targets to edit and import for the published build's month: one bar for every unit of a
    level — the level's mean figure raised by ``uplift`` (lowered for a lower-is-better indicator; the mean of the
    positive figures for a higher-is-better one, 1 when there is none); visit completion gets 80 %. A starting
    point for the analyst, not a rule."""
    require(principal, "manage_kpi_targets")
    if not 0 <= uplift <= 10:
        raise TargetError(f"上调比例须在 0 到 10 之间 / the uplift must be between 0 and 10, got {uplift}")
    if not serving.has_table("kpi_values"):
        return None, workbook([])
    values = serving.query(serving.table("kpi_values"))
    kpi = serving.ws.settings.kpi
    rows: list[dict[str, Any]] = []
    period = values[0]["period"].strftime("%Y-%m") if values else None
    for ind in kpi.indicators:
        for level in ind.levels:
            mine = [v for v in values if v["indicator"] == ind.code and v["level"] == level]
            if ind.code == "visit_completion":
                units = sorted({v["unit_id"] for v in values if v["level"] == level})
                rows += [{"indicator": ind.code, "period": period, "level": level, "unit_id": u, "target": 0.8}
                         for u in units]
                continue
            known = [float(v["result"]) for v in mine if v["result"] is not None]
            positive = [x for x in known if x > 0]
            if ind.direction == "lower":
                bar = round(max(0.0, sum(known) / len(known) * (1 - uplift)), 4) if known else 0.0
            else:
                bar = round(sum(positive) / len(positive) * (1 + uplift), 2) if positive else 1.0
            for v in sorted(mine, key=lambda v: v["unit_id"]):
                target = bar
                if ind.unit == "percent":
                    target = min(1.0, target)
                rows.append({"indicator": ind.code, "period": period, "level": level, "unit_id": v["unit_id"],
                             "target": target})
    return period, workbook(rows)
