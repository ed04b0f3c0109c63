"""The KPI area's commands: the report (业绩通报) of a month as Excel, the ranking, and the month's targets (import a
workbook, draft one from the month's figures)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from finecrm.cli.common import Home, Json, command_context, emit, out, requires

kpi_app = typer.Typer(help="绩效考核 / KPIs: the report of a month, the ranking, targets.", no_args_is_help=True)
targets_app = typer.Typer(help="考核目标 / KPI targets: import a workbook, draft one (action: manage_kpi_targets).",
                          no_args_is_help=True)
kpi_app.add_typer(targets_app, name="targets")

Period = Annotated[str | None, typer.Option("--period", help="月份 YYYY-MM（默认：已发布快照的月份）/ the month "
                                            "(default: the published build's)")]


@kpi_app.command("report")
@requires("view_kpi")
def report(out_file: Annotated[Path, typer.Option("--out", help="输出的 .xlsx 文件 / the .xlsx file to write")],
           period: Period = None, home: Home = None, as_json: Json = False) -> None:
    """业绩通报 / The ranking of the month (branches and managers you may see) as an Excel workbook; audited."""
    from finecrm.services.kpi import report as service

    with command_context(home) as c:
        month, content = service.report(c.session, c.serving, c.principal, period=period)
    out_file.write_bytes(content)
    if as_json:
        emit(True, {"period": month, "file": str(out_file), "bytes": len(content)})
        return
    out.print(f"业绩通报 report {month or '-'} → {out_file}")


@kpi_app.command("ranking")
@requires("view_kpi")
def ranking(level: Annotated[str, typer.Option("--level", help="branch 网点 | manager 客户经理")] = "branch",
            period: Period = None, home: Home = None, as_json: Json = False) -> None:
    """考核排名 / The total ranking of a level with each indicator's score."""
    from finecrm.services.kpi import ranking as service

    with command_context(home) as c:
        result = service.ranking(c.session, c.serving, c.principal, level=level, period=period)
    if as_json:
        emit(True, result)
        return
    table = Table("排名 rank", "编号 id", "名称 name", "总分 total", *[i["code"] for i in result["indicators"]])
    for r in result["rows"]:
        table.add_row(str(r["rank"]), r["unit_id"], r["name"] or "", f"{r['total']:.2f}",
                      *[f"{i['score']:.1f}" for i in r["items"]])
    out.print(table)
    out.print(f"{result['period'] or '-'} · {len(result['rows'])}/{result['units']} · 无目标 without a target "
              f"{result['targets_missing']}")


@targets_app.command("import")
@requires("manage_kpi_targets")
def targets_import(file: Annotated[Path, typer.Argument(help=".xlsx：indicator, period, level, unit_id, target")],
                   home: Home = None, as_json: Json = False) -> None:
    """导入考核目标 / Import targets from the first sheet of a workbook: all rows or none (a bad row is named)."""
    from finecrm.services.kpi import targets

    content = file.read_bytes()
    with command_context(home) as c:
        result = targets.import_targets(c.session, c.ws, c.principal, content)
    if as_json:
        emit(True, result)
        return
    out.print(f"导入 imported {result['imported']} · 替换 replaced {result['replaced']}")


@targets_app.command("draft")
@requires("manage_kpi_targets")
def targets_draft(out_file: Annotated[Path, typer.Option("--out", help="输出的 .xlsx 文件 / the .xlsx file to write")],
                  uplift: Annotated[float, typer.Option("--uplift", min=0, max=10,
                                                        help="在本月数值上上调的比例 / raise on the month's figures")] = 0.1,
                  home: Home = None, as_json: Json = False) -> None:
    """起草考核目标 / Write a workbook of targets for the published month from its figures, to edit and import."""
    from finecrm.services.kpi import targets

    with command_context(home) as c:
        month, content = targets.draft(c.serving, c.principal, uplift=uplift)
    out_file.write_bytes(content)
    if as_json:
        emit(True, {"period": month, "file": str(out_file)})
        return
    out.print(f"目标草稿 draft {month or '-'} → {out_file}")
