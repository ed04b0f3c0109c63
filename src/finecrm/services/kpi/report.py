"""The KPI report (业绩通报): the ranking of a month as an Excel workbook, one sheet per level, audited as an export.

The figures are the ranking's own (``ranking.ranking``), so the file equals the page: the same values, targets,
scores and ranks, scoped to what the user may see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.db import repositories
from finecrm.services.exports import add_about, sheet, to_bytes
from finecrm.services.kpi.outputs import Ranking
from finecrm.services.kpi.ranking import LEVELS, ranking
from finecrm.services.snapshot.serving import Serving

LEVEL_TITLES = {"branch": "网点 branches", "manager": "客户经理 managers"}


def header(r: Ranking) -> list[str]:
    cols = ["排名 rank", "编号 id", "名称 name", "总分 total"]
    for i in r["indicators"]:
        cols += [f"{i['zh']} {i['code']} 考核值 result", f"{i['zh']} {i['code']} 目标 target",
                 f"{i['zh']} {i['code']} 得分 score", f"{i['zh']} {i['code']} 单项排名 rank"]
    return cols


def lines(r: Ranking) -> list[list[Any]]:
    out = []
    for row in r["rows"]:
        line: list[Any] = [row["rank"], row["unit_id"], row["name"], row["total"]]
        for item in row["items"]:
            line += [item["result"], item["target"], item["score"], item["rank"]]
        out.append(line)
    return out


def report(session: Session, serving: Serving, principal: Principal, *, period: str | None = None,
           levels: tuple[str, ...] = LEVELS) -> tuple[str | None, bytes]:
    """(period, .xlsx bytes): the ranking of each level the principal sees; audited (``export_list``)."""
    from openpyxl import Workbook

    require(principal, "view_kpi")
    wb = Workbook(write_only=True)
    month = None
    shown = 0
    for level in levels:
        r = ranking(session, serving, principal, level=level, period=period)
        month = r["period"]
        s = sheet(wb, LEVEL_TITLES[level])
        s.append(header(r))
        for line in lines(r):
            s.append(line)
        shown += len(r["rows"])
    add_about(wb, build_id=serving.build_id, exported_by=principal.username,
              extra=[["考核月份 period", month or ""],
                     ["得分 scoring", "得分 = min(满分, 满分 × 完成率)；无目标得 0 分 / score = min(full marks, full marks × "
                      "achievement); 0 without a target"]])
    repositories.record_audit(session, actor=principal.username, action="export_list", target="kpi:report",
                              details={"period": month, "rows": shown, "snapshot": serving.build_id})
    return month, to_bytes(wb)
