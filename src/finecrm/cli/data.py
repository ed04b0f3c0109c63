"""The data area's commands: a workspace, synthetic banks, ingest, build, snapshots, the SQL console, the contract."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from finecrm.cli.common import Home, Json, Quiet, command_context, emit, out, progress_bars, requires
from finecrm.cli.present import data as present
from finecrm.core.errors import FinecrmError

contract_app = typer.Typer(help="数据契约 / the data contract: tables, columns, codes.", no_args_is_help=True)
snapshots_app = typer.Typer(help="快照 / built snapshots: list, show, roll back.", no_args_is_help=True)


@requires("manage_config")
def init(home: Home = None, as_json: Json = False) -> None:
    """创建或升级工作区 / Create (or bring up to date) a workspace: finecrm.yaml, warehouse, database."""
    from finecrm.services.workspace import init_workspace

    res = init_workspace(home)
    payload = {
        "home": str(res.home),
        "config_created": res.config_created,
        "database": res.database,
        "revision": res.revision,
    }
    if as_json:
        emit(True, payload)
        return
    present.print_init(res)


@requires("public")
def generate(
    customers: Annotated[int, typer.Option(min=10, help="客户数 / number of customers.")] = 10_000,
    months: Annotated[int, typer.Option(min=1, max=120, help="月数 / months of history.")] = 12,
    seed: Annotated[int, typer.Option(help="随机种子 / seed: the same seed gives identical files.")] = 1,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="输出目录 / output folder (default: <home>/samples/bank-<seed>).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet | csv")] = "parquet",
    as_of: Annotated[
        str | None, typer.Option(help="数据截止日 / last day of the data, YYYY-MM-DD (default 2026-09-30).")
    ] = None,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """生成模拟银行数据 / Generate a synthetic county bank with ground truth in _truth/."""
    import time

    from finecrm.core.settings import resolve_home
    from finecrm.synth import DEFAULT_AS_OF
    from finecrm.synth import generate as run_generate

    if fmt not in ("parquet", "csv"):
        raise FinecrmError(f"--format: expected parquet or csv, got {fmt!r}")
    try:
        day = date.fromisoformat(as_of) if as_of else DEFAULT_AS_OF
    except ValueError:
        raise FinecrmError(f"--as-of: expected a date like 2026-09-30, got {as_of!r}") from None
    target = (out_dir or resolve_home(home) / "samples" / f"bank-{seed}").resolve()
    started = time.perf_counter()
    with progress_bars(quiet or as_json) as progress:
        rows = run_generate(target, customers=customers, months=months, seed=seed, fmt=fmt, as_of=day,
                            progress=progress)
    seconds = round(time.perf_counter() - started, 2)
    payload = {"out": str(target), "format": fmt, "customers": customers, "months": months, "seed": seed,
               "as_of": day.isoformat(), "rows": rows, "seconds": seconds}
    if as_json:
        emit(True, payload)
        return
    present.print_generated(target, rows, seconds)


#: Exit codes of `finecrm ingest` (docs/ingest.md): 0 stored (ok or partial), 1 failed (nothing stored),
#: 2 bad command, configuration, folder or mapping, 3 stored but the warehouse lacks a required table,
#: 74 the disk refused (full, read-only), 75 an ingest or a build is running, 77 not permitted.
INGEST_EXIT = {"ok": 0, "partial": 0, "failed": 1, "incomplete": 3}


def _periods(text: str | None) -> frozenset[str]:
    import re

    if not text:
        return frozenset()
    items = {p.strip() for p in text.split(",") if p.strip()}
    bad = sorted(p for p in items if p != "all" and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", p))
    if bad:
        raise FinecrmError(f"--replace-periods: expected months like 2026-04 (comma-separated) or all, got "
                           f"{', '.join(bad)}")
    return frozenset(items)


@requires("run_ingest")
def ingest(
    input_dir: Annotated[Path, typer.Argument(help="导出文件目录 / folder with the exported files.")],
    mapping: Annotated[
        Path | None, typer.Option(help="映射目录 / mapping folder (mapping.yaml + one SQL per table).")
    ] = None,
    replace_periods: Annotated[
        str | None,
        typer.Option("--replace-periods", help="确认替换骤减的月份 / confirm replacing months that would shrink "
                                               "sharply: 2026-04,2026-05 or all."),
    ] = None,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """导入并校验数据 / Validate and load exports; bad rows go to quarantine with reasons."""
    from finecrm.services.data.ingest import ingest as run

    confirmed = _periods(replace_periods)
    with command_context(home) as c, progress_bars(quiet or as_json) as progress:
        report = run(c.ws, input_dir, mapping_dir=mapping, progress=progress, replace_periods=confirmed)
    if as_json:
        emit(True, report)
    else:
        present.print_ingest(report)
    code = INGEST_EXIT.get(report["status"], 1)
    if code:
        raise typer.Exit(code)


#: Exit codes of `finecrm build` (docs/marts.md): 0 published, 1 an unexpected error (a defect; nothing
#: published), 2 bad command, configuration or data (checks failed: nothing published), 74 the disk refused
#: (full, read-only; nothing published), 75 another build or an ingest is running, 77 not permitted.
@requires("run_build")
def build(
    engine: Annotated[str | None, typer.Option(help="duckdb | spark (default: build.engine in finecrm.yaml)")] = None,
    as_of: Annotated[str | None, typer.Option(help="数据日期 / build as of YYYY-MM-DD (default: last month's end).")]
    = None,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """构建分析快照 / Build every mart, check it and publish the snapshot atomically."""
    from finecrm.services.data.build import build as run_build
    from finecrm.services.data.summary import snapshot_summary

    if engine is not None and engine not in ("duckdb", "spark"):
        raise FinecrmError(f"--engine: expected duckdb or spark, got {engine!r}")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise FinecrmError(f"--as-of: expected a date like 2026-09-30, got {as_of!r}") from None
    with command_context(home) as c:
        with progress_bars(quiet or as_json) as progress:
            manifest = run_build(c.ws, engine=engine, as_of=day, progress=progress)
        summary = snapshot_summary(c.ws, manifest["build_id"])
    if as_json:
        emit(True, {"build_id": manifest["build_id"], "as_of": manifest["as_of"], "engine": manifest["engine"],
                    "seconds": manifest["seconds"], "checks_passed": manifest["checks_passed"],
                    "serving_seconds": manifest.get("serving_seconds"), "currency": manifest.get("currency"),
                    "warnings": manifest.get("warnings", []),
                    "marts": {k: {"rows": v["rows"], "checks": v["checks"]} for k, v in manifest["marts"].items()},
                    "summary": summary})
        return
    present.print_build(manifest, summary)


@requires("view_segments")
def sql(
    query: Annotated[str, typer.Argument(help="一条 SELECT / one SELECT over the marts.")],
    limit: Annotated[int, typer.Option(min=1, max=1_000_000, help="最多返回行数 / at most this many rows.")] = 100,
    snapshot: Annotated[str | None, typer.Option(help="快照 / snapshot id (default: published).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """只读SQL查询 / Read-only SQL over the published snapshot (marts as tables)."""
    from finecrm.core.errors import FinecrmError
    from finecrm.services.snapshot.console import console_query

    with command_context(home) as c:
        try:
            res = console_query(c.session, c.ws, c.principal, query, limit=limit, build_id=snapshot)
        except FinecrmError:
            c.session.commit()  # the audit row of a refused or failed query is kept; the error is reported
            raise
    if as_json:
        emit(True, res)
        return
    present.print_query_result(res, limit)


@snapshots_app.command("list")
@requires("view_data_status")
def snapshots_list(home: Home = None, as_json: Json = False) -> None:
    """列出快照 / List built snapshots (newest first)."""
    from finecrm.engine import snapshots as snaps

    with command_context(home) as c:
        rows = snaps.list_snapshots(c.ws.snapshots)
    if as_json:
        emit(True, rows)
        return
    present.print_snapshots(rows)


@snapshots_app.command("show")
@requires("view_data_status")
def snapshots_show(
    build_id: Annotated[str | None, typer.Argument(help="快照 / build id (default: the published one).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看快照 / Show a snapshot: marts, rows, checks."""
    from finecrm.engine import snapshots as snaps
    from finecrm.services.snapshot.console import snapshot_id

    with command_context(home) as c:
        m = snaps.manifest(c.ws.snapshots, snapshot_id(c.ws, build_id))
    if as_json:
        emit(True, m)
        return
    present.print_snapshot(m)


@snapshots_app.command("rollback")
@requires("run_build")
def snapshots_rollback(
    build_id: Annotated[str, typer.Argument(help="要发布的快照 / the snapshot to publish again.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """回滚 / Publish an earlier snapshot again."""
    from finecrm.db import repositories
    from finecrm.engine import snapshots as snaps
    from finecrm.services.snapshot.serving import prepare

    with command_context(home) as c:
        before = snaps.published(c.ws.snapshots)
        snaps.check_publishable(c.ws.snapshots, build_id)
        prepare(c.ws, build_id)  # the pages' copy first: a snapshot is published only once they can read it
        snaps.publish(c.ws.snapshots, build_id)
        repositories.record_audit(c.session, actor=c.actor, action="rollback_snapshot", target=build_id,
                                  details={"previous": before})
    emit(as_json, {"published": build_id, "previous": before})
    if not as_json:
        out.print(f"已发布 published {build_id} (was {before})")


@contract_app.command("docs")
@requires("public")
def contract_docs(
    path: Annotated[Path, typer.Option("--out", help="输出文件 / file to write.")] = Path("docs/data-contract.md"),
    check: Annotated[bool, typer.Option("--check", help="只检查是否一致 / fail if the file is out of date.")] = False,
    home: Home = None,
) -> None:
    """生成数据契约文档 / Write docs/data-contract.md from the contract in code."""
    from finecrm.contract.docs import render

    text = render()
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            raise FinecrmError(f"{path} is out of date with the contract; run 'finecrm contract docs'")
        out.print(f"{path} 与代码一致 matches the contract")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.print(f"已写入 wrote {path}")


@contract_app.command("show")
@requires("public")
def contract_show(
    table: Annotated[str | None, typer.Argument(help="表名 / table name (all when omitted).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看契约表 / Show contract tables and their columns."""
    from finecrm.contract.docs import as_dict
    from finecrm.contract.tables import TABLES
    from finecrm.contract.tables import table as get_table

    tables = [get_table(table)] if table else list(TABLES)
    if as_json:
        emit(True, [as_dict(t) for t in tables])
        return
    present.print_contract_tables(tables)
