"""The ``finecrm`` command line: the composition root for scripts and operators.

Conventions for every command: ``--home`` (or FINECRM_HOME) picks the workspace; ``--json`` prints
exactly one JSON document on stdout; progress bars and logs go to stderr; ``--quiet`` silences them.
Errors a user can fix are printed as one message without a traceback (exit code 2).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table as RichTable

from finecrm.core.errors import FinecrmError
from finecrm.core.progress import SILENT, Progress, Task

app = typer.Typer(
    help="finecrm — 客户分层精细化管理与精准营销平台 / fine-grained customer management for retail banks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
contract_app = typer.Typer(help="数据契约 / the data contract: tables, columns, codes.", no_args_is_help=True)
app.add_typer(contract_app, name="contract")
snapshots_app = typer.Typer(help="快照 / built snapshots: list, show, roll back.", no_args_is_help=True)
app.add_typer(snapshots_app, name="snapshots")
user_app = typer.Typer(help="用户 / users: add, list, disable, reset passwords (action: manage_users).",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")
campaign_app = typer.Typer(help="营销活动 / campaigns: draw a list with a random control group, assign, detect "
                                "conversions, evaluate; or evaluate a past campaign (action: manage_campaigns).",
                           no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
audience_app = typer.Typer(help="目标客群 / audiences: saved, versioned target lists defined by a rule "
                                "(action: manage_campaigns).", no_args_is_help=True)
app.add_typer(audience_app, name="audience")

out = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="FINECRM_HOME", help="工作区目录 / workspace folder (default: current folder)."),
]
Json = Annotated[bool, typer.Option("--json", help="输出 JSON / print one JSON document on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / no progress output.")]


class _RichTask(Task):
    def __init__(self, bar: RichProgress, task_id: Any) -> None:
        self.bar, self.task_id = bar, task_id

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task_id, n)

    def close(self) -> None:
        task = self.bar.tasks[self.task_id]
        if task.total is not None:
            self.bar.update(self.task_id, completed=task.total)


class RichProgressReporter(Progress):
    """Progress bars on stderr."""

    def __init__(self) -> None:
        self.bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=False,
        )

    def __enter__(self) -> RichProgressReporter:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def task(self, label: str, total: int | None = None) -> Task:
        return _RichTask(self.bar, self.bar.add_task(label, total=total))

    def log(self, message: str) -> None:
        self.bar.console.print(message)


class _NullCtx(Progress):
    def __enter__(self) -> Progress:
        return SILENT

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(quiet: bool) -> Any:
    return _NullCtx() if quiet else RichProgressReporter()


def requires(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the authz action of a command and check it before the command runs.

    The one place CLI commands are authorised; ``tests/test_cli.py`` enumerates every command and
    fails on any without a declared action. ``PUBLIC`` commands touch no bank data.
    """
    from finecrm.authz import PUBLIC, declare

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if action != PUBLIC:
                from finecrm.authz import require
                from finecrm.services.workspace import cli_principal

                require(cli_principal(), action)
            return fn(*args, **kwargs)

        return declare(action)(run)

    return wrap


def _emit(as_json: bool, payload: Any) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


@app.command()
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
        _emit(True, payload)
        return
    verb = "已创建 created" if res.config_created else "已存在 exists"
    out.print(f"工作区 workspace: {res.home}  (finecrm.yaml {verb})")
    out.print(f"业务库 database: {res.database}  (migration {res.revision})")


@app.command()
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
    with _progress(quiet or as_json) as progress:
        rows = run_generate(target, customers=customers, months=months, seed=seed, fmt=fmt, as_of=day,
                            progress=progress)
    seconds = round(time.perf_counter() - started, 2)
    payload = {"out": str(target), "format": fmt, "customers": customers, "months": months, "seed": seed,
               "as_of": day.isoformat(), "rows": rows, "seconds": seconds}
    if as_json:
        _emit(True, payload)
        return
    table = RichTable("表 table", "行数 rows", title=f"模拟银行 synthetic bank → {target}")
    for name, n in rows.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"用时 took {seconds}s; 真值 ground truth: {target / '_truth'}")


@app.command()
@requires("run_ingest")
def ingest(
    input_dir: Annotated[Path, typer.Argument(help="导出文件目录 / folder with the exported files.")],
    mapping: Annotated[
        Path | None, typer.Option(help="映射目录 / mapping folder (mapping.yaml + one SQL per table).")
    ] = None,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """导入并校验数据 / Validate and load exports; bad rows go to quarantine with reasons."""
    from finecrm.services.data.ingest import ingest as run
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    with _progress(quiet or as_json) as progress:
        report = run(ws, input_dir, mapping_dir=mapping, progress=progress)
    if as_json:
        _emit(True, report)
    else:
        _print_ingest(report)
    if report["unusable"]:
        raise typer.Exit(1)


def _print_ingest(report: dict[str, Any]) -> None:
    table = RichTable(
        "表 table", "状态 status", "读入 read", "接收 accepted", "隔离 quarantined",
        title=f"导入 ingest {report['ingest_id']}",
    )
    reasons: list[str] = []
    rows = [(f"source:{n}", {"status": "ok", **s}) for n, s in report.get("sources", {}).items()]
    rows += [(n, t) for n, t in report["tables"].items() if t["status"] != "absent"]
    for name, t in rows:
        table.add_row(name, t["status"], f"{t.get('read', 0):,}", f"{t.get('accepted', 0):,}",
                      f"{t.get('quarantined', 0):,}")
        if t.get("by_reason"):
            reasons.append(f"  {name}: " + ", ".join(f"{k} {v:,}" for k, v in t["by_reason"].items()))
    out.print(table)
    tot = report["totals"]
    out.print(f"合计 tables total: read {tot['read']:,} = accepted {tot['accepted']:,} + quarantined {tot['quarantined']:,}")
    if report.get("sources"):
        out.print(f"源文件隔离行 source lines quarantined: {tot['source_lines_quarantined']:,}")
    if reasons:
        out.print("隔离原因 quarantine reasons:")
        for line in reasons:
            out.print(line, markup=False)
    for name, t in report["tables"].items():
        if t["status"] == "unusable":
            err.print(f"[red]不可用 unusable[/red] {name}: {t['error']}", markup=True)
    for w in report["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {w}")
    if report.get("ignored_files"):
        err.print(f"[yellow]已忽略 ignored[/yellow]: {', '.join(report['ignored_files'])}")
    if report.get("quarantine_files"):
        first = next(iter(report["quarantine_files"].values()))
        out.print(f"隔离明细 quarantine files (CSV opens in Excel): {Path(first['csv']).parent}")
    out.print(f"报告 report: {report['report_file']}")


@app.command()
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
    from finecrm.services.workspace import open_workspace

    if engine is not None and engine not in ("duckdb", "spark"):
        raise FinecrmError(f"--engine: expected duckdb or spark, got {engine!r}")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise FinecrmError(f"--as-of: expected a date like 2026-09-30, got {as_of!r}") from None
    ws = open_workspace(home)
    with _progress(quiet or as_json) as progress:
        manifest = run_build(ws, engine=engine, as_of=day, progress=progress)
    summary = snapshot_summary(ws, manifest["build_id"])
    if as_json:
        _emit(True, {"build_id": manifest["build_id"], "as_of": manifest["as_of"], "engine": manifest["engine"],
                     "seconds": manifest["seconds"], "checks_passed": manifest["checks_passed"],
                     "serving_seconds": manifest.get("serving_seconds"),
                     "marts": {k: {"rows": v["rows"], "checks": v["checks"]} for k, v in manifest["marts"].items()},
                     "summary": summary})
        return
    table = RichTable("集市 mart", "行数 rows", "检查 checks", "秒 s",
                      title=f"快照 snapshot {manifest['build_id']} (as of {manifest['as_of']}, {manifest['engine']})")
    for name, m in manifest["marts"].items():
        ok = sum(c["passed"] for c in m["checks"])
        table.add_row(name, f"{m['rows']:,}", f"{ok}/{len(m['checks'])}", f"{m['seconds']}")
    out.print(table)
    print_summary(summary)
    out.print(f"已发布 published in {manifest['seconds']}s. 查询 query: FINECRM_CLI_ROLE=analyst finecrm sql "
              "\"SELECT tier, count(*) FROM customer_360 GROUP BY 1\"")


def print_summary(s: dict[str, Any]) -> None:
    """The short summary a branch head would glance at."""
    def pct(x: Any) -> str:
        return "—" if x is None else f"{x * 100:.1f}%"

    out.print(f"客户 customers (not lost): {s['customers']:,}")
    tiers = RichTable("类型 kind", "层级 tier", "客户 customers", "AUM/存款日均 (元)", title="客户分层 tiers")
    for t in s["tiers"]:
        tiers.add_row(t["kind"], t["tier"], f"{t['customers']:,}", f"{t['aum'] or 0:,.0f}")
    out.print(tiers)
    out.print(f"潜力客户 potential: {s['potential']:,}")
    out.print(f"前20%客户AUM占比 top-20% share of AUM: {pct(s['top20_aum_share'])}; "
              f"贡献度占比 of contribution: {pct(s['top20_contribution_share'])}")
    out.print(f"柜面替代率 off-counter rate (90 days, customer-initiated): {pct(s['off_counter_rate_90d'])}")
    out.print("生命周期 lifecycle: " + ", ".join(f"{k} {v:,}" for k, v in s["lifecycle"].items()))
    out.print("行为分群 segments: " + ", ".join(f"{k} {v:,}" for k, v in s["segments"].items()))
    out.print(f"大额存款客户 large depositors: {s['large_depositors']:,}; 存款异动预警 deposit alerts: "
              f"{s['deposit_alerts']:,}")


@snapshots_app.command("list")
@requires("view_data_status")
def snapshots_list(home: Home = None, as_json: Json = False) -> None:
    """列出快照 / List built snapshots (newest first)."""
    from finecrm.engine import snapshots as snaps
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    rows = snaps.list_snapshots(ws.snapshots)
    if as_json:
        _emit(True, rows)
        return
    table = RichTable("快照 build", "发布 published", "数据日期 as of", "引擎 engine", "完成 finished", "检查 checks")
    for r in rows:
        table.add_row(r["build_id"], "✓" if r["published"] else "", str(r["as_of"]), str(r["engine"]),
                      str(r["finished_at"])[:19], "ok" if r["checks_passed"] else "FAILED")
    out.print(table)


@snapshots_app.command("show")
@requires("view_data_status")
def snapshots_show(
    build_id: Annotated[str | None, typer.Argument(help="快照 / build id (default: the published one).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看快照 / Show a snapshot: marts, rows, checks."""
    from finecrm.services.snapshot.console import snapshot_id
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    from finecrm.engine import snapshots as snaps

    m = snaps.manifest(ws.snapshots, snapshot_id(ws, build_id))
    if as_json:
        _emit(True, m)
        return
    out.print(f"快照 {m['build_id']} as of {m['as_of']} ({m['engine']}, {m['seconds']}s)")
    for name, mart in m["marts"].items():
        out.print(f"  {name}: {mart['rows']:,} rows — {mart['grain']}")
        for c in mart["checks"]:
            out.print(f"      {'✓' if c['passed'] else '✗'} {c['check']}" + ("" if c["passed"] else
                                                                        f" ({c['failing']} rows)"))


@snapshots_app.command("rollback")
@requires("run_build")
def snapshots_rollback(
    build_id: Annotated[str, typer.Argument(help="要发布的快照 / the snapshot to publish again.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """回滚 / Publish an earlier snapshot again."""
    from finecrm.db import repositories
    from finecrm.db.session import make_engine, session_factory
    from finecrm.engine import snapshots as snaps
    from finecrm.services.workspace import cli_actor, open_workspace

    ws = open_workspace(home)
    before = snaps.published(ws.snapshots)
    snaps.publish(ws.snapshots, build_id)
    engine = make_engine(ws.database_url)
    with session_factory(engine)() as session, session.begin():
        repositories.record_audit(session, actor=cli_actor(), action="rollback_snapshot", target=build_id,
                                  details={"previous": before})
    engine.dispose()
    _emit(as_json, {"published": build_id, "previous": before})
    if not as_json:
        out.print(f"已发布 published {build_id} (was {before})")


@app.command()
@requires("view_segments")
def sql(
    query: Annotated[str, typer.Argument(help="一条 SELECT / one SELECT over the marts.")],
    limit: Annotated[int, typer.Option(min=1, max=1_000_000, help="最多返回行数 / at most this many rows.")] = 100,
    snapshot: Annotated[str | None, typer.Option(help="快照 / snapshot id (default: published).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """只读SQL查询 / Read-only SQL over the published snapshot (marts as tables)."""
    from finecrm.authz import allowed
    from finecrm.services.snapshot.console import run_sql
    from finecrm.services.workspace import cli_principal, open_workspace

    res = run_sql(open_workspace(home), query, limit=limit, build_id=snapshot,
                  hide_pii=not allowed(cli_principal(), "reveal_pii"))
    if as_json:
        _emit(True, res)
        return
    table = RichTable(*res["columns"], title=f"snapshot {res['snapshot']}")
    for row in res["rows"]:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)
    if res["truncated"]:
        err.print(f"(只显示前 {limit} 行 first {limit} rows; use --limit)")


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码 / read the password "
                                                                      "from standard input (else one is generated).")]


def _users_session(home: Path | None) -> Any:
    """(workspace, session factory, engine) for a user command."""
    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    engine = make_engine(ws.database_url)
    return ws, session_factory(engine), engine


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise FinecrmError("--password-stdin: no password on standard input")
    return line


@app.command()
@requires("manage_config")
def serve(
    host: Annotated[str, typer.Option(help="监听地址 / address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="演示模式：创建各角色演示账户并打印 / demo mode: create and "
                                       "print a demo login per role (demo logins work only in this mode).")] = False,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="会话 Cookie 不设 Secure（仅限无 TLS 的内网测试）/ session cookie without Secure, "
        "for plain-HTTP testing on a non-localhost address only.")] = False,
    home: Home = None,
) -> None:
    """启动工作台 / Serve the web workbench."""
    import uvicorn

    from finecrm.services.workspace import open_workspace
    from finecrm.web.main import create_app

    ws = open_workspace(home)
    if demo:
        from finecrm.services.access.demo_accounts import demo_logins

        accounts = demo_logins(ws)
        # Plain lines, never a table: a narrow terminal must not cut a password short.
        typer.echo("演示账户（仅演示模式可用）/ demo logins (demo mode only): username  password  role  branch  staff")
        for a in accounts:
            typer.echo(f"  {a.username:<28} {a.password}  {a.display_name}  branch={a.branch_id or '-'}  "
                       f"staff={a.staff_id or '-'}")
    app = create_app(ws.home, demo=demo, secure_cookies=not insecure_cookies)
    # Everything loaded so far lives as long as the server: keep it out of the garbage collector's full
    # passes, which otherwise add ~100 ms to an unlucky request (measured in bench/web_profile.py).
    import gc

    gc.collect()
    gc.freeze()
    out.print(f"工作台 workbench: http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/  "
              "(Ctrl+C 停止 to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@user_app.command("add")
@requires("manage_users")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    role: Annotated[str, typer.Option(help="角色 / role: analyst, branch_head, customer_manager, lobby_manager, "
                                      "risk_officer, collector, compliance_officer, admin.")],
    branch: Annotated[str | None, typer.Option(help="所属机构 / home branch id.")] = None,
    staff: Annotated[str | None, typer.Option(help="工号 / staff id (links to the customers they manage).")] = None,
    display_name: Annotated[str | None, typer.Option(help="显示名 / display name.")] = None,
    password_stdin: PasswordStdin = False,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新增用户 / Add a user (they change the password at first sign-in)."""
    from finecrm.services.access import auth, users
    from finecrm.services.workspace import cli_actor, known_branches

    ws, factory, engine = _users_session(home)
    password = _read_password(password_stdin)
    shown = password is None
    password = password or auth.generate_password(username=username)
    with factory() as s, s.begin():
        user = users.add_user(s, username=username, role=role, password=password, actor=cli_actor(),
                              branch_id=branch, staff_id=staff, display_name=display_name,
                              branches=known_branches(ws))
        doc = users.describe_user(user)
    engine.dispose()
    if shown:
        doc["initial_password"] = password  # shown once, never stored in clear or logged
    if as_json:
        _emit(True, doc)
        return
    out.print(f"已新增 added {doc['username']} ({doc['role']})")
    if shown:
        out.print(f"初始密码 initial password (shown once, must be changed at first sign-in): {password}")


@user_app.command("list")
@requires("manage_users")
def user_list(home: Home = None, as_json: Json = False) -> None:
    """列出用户 / List users."""
    from finecrm.services.access import users

    _, factory, engine = _users_session(home)
    with factory() as s:
        rows = [users.describe_user(u) for u in users.list_users(s)]
    engine.dispose()
    if as_json:
        _emit(True, rows)
        return
    table = RichTable("用户 user", "角色 role", "机构 branch", "工号 staff", "状态 status")
    for r in rows:
        table.add_row(r["username"], r["role"], str(r.get("branch_id") or ""), str(r.get("staff_id") or ""),
                      "active" if r.get("active") else "disabled")
    out.print(table)


@user_app.command("disable")
@requires("manage_users")
def user_disable(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    reason: Annotated[str | None, typer.Option(help="原因 / reason (kept in the audit log).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """停用用户 / Disable a user: they cannot sign in and their sessions end."""
    from finecrm.services.access import users
    from finecrm.services.workspace import cli_actor

    _, factory, engine = _users_session(home)
    with factory() as s, s.begin():
        users.disable_user(s, username=username, actor=cli_actor(), reason=reason)
    engine.dispose()
    _emit(as_json, {"username": username, "active": False})
    if not as_json:
        out.print(f"已停用 disabled {username}")


@user_app.command("reset-password")
@requires("manage_users")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    password_stdin: PasswordStdin = False,
    reason: Annotated[str | None, typer.Option(help="原因 / reason (kept in the audit log).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """重置密码 / Reset a password (to be changed at the next sign-in; open sessions end)."""
    from finecrm.services.access import users
    from finecrm.services.workspace import cli_actor

    _, factory, engine = _users_session(home)
    chosen = _read_password(password_stdin)
    with factory() as s, s.begin():
        password = users.reset_password(s, username=username, actor=cli_actor(), new_password=chosen,
                                        reason=reason)
    engine.dispose()
    doc: dict[str, Any] = {"username": username}
    if chosen is None:
        doc["temporary_password"] = password
    if as_json:
        _emit(True, doc)
        return
    out.print(f"已重置 reset {username}" + (f"; 临时密码 temporary password (shown once): {password}"
                                            if chosen is None else ""))


@campaign_app.command("import")
@requires("manage_campaigns")
def campaign_import(
    file: Annotated[Path, typer.Argument(help="活动结果文件 / the campaign file (CSV, Parquet or .xlsx): one row per "
                                              "customer with the arm they were in and the outcome.")],
    arm_column: Annotated[str, typer.Option("--arm-column", help="分组列 / the column with each customer's arm.")],
    control_value: Annotated[str, typer.Option("--control-value", help="对照组取值 / the arm value of the random "
                                               "control group; every other value is a treatment arm.")],
    outcome_column: Annotated[str, typer.Option("--outcome-column", help="结果列 / the outcome column: 1/0, "
                                                "true/false, yes/no, 是/否, Y/N, converted/not.")],
    by: Annotated[list[str] | None, typer.Option("--by", help="按列细分 / break down by this column (repeatable): "
                                                  "branch, manager, tier, propensity decile… (exploratory).")] = None,
    cost_per_contact: Annotated[float | None, typer.Option("--cost-per-contact", min=0, help="单次触达成本（元）/ "
                                                           "cost of contacting one treated customer, in yuan.")]
    = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="置信水平 / confidence level of the "
                                              "intervals (significance level = 1 − this).")] = 0.95,
    min_group: Annotated[int, typer.Option("--min-group", min=1, help="细分组每组最少客户数 / fewer customers than "
                                           "this in an arm marks a breakdown group too small to judge.")] = 30,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """评估外部营销活动 / Evaluate a past campaign run outside finecrm: treated versus random control."""
    from finecrm.services.marketing.external_evaluation import evaluate_file, record_evaluation
    from finecrm.services.workspace import cli_actor, open_workspace

    ws = open_workspace(home)  # the evaluation is audited: it needs the workspace's database
    doc = evaluate_file(file, arm_column=arm_column, control_value=control_value, outcome_column=outcome_column,
                        by=by or (), cost_per_contact=cost_per_contact, confidence=confidence, min_group=min_group)
    record_evaluation(ws, doc, actor=cli_actor())
    if as_json:
        _emit(True, doc)
        return
    _print_campaign(doc)


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x * 100:+.2f}" if signed else f"{x * 100:.2f}%"


def _ci(pair: list[float | None], signed: bool = False) -> str:
    return f"[{_pct(pair[0], signed)}, {_pct(pair[1], signed)}]"


def _p(p: float | None) -> str:
    return "—" if p is None else ("<0.0001" if p < 0.0001 else f"{p:.4f}")


def _print_campaign(doc: dict[str, Any]) -> None:
    from rich.markup import escape

    i = doc["inputs"]
    level = f"{i['confidence'] * 100:g}%"
    several = len(doc["comparisons"]) > 1
    comps = {c["arm"]: c for c in doc["comparisons"]}
    table = RichTable(
        "组 arm", "客户 customers", "转化 conversions", "转化率 rate", "提升 uplift (pp)",
        "p 值 p-value" + (" (Holm)" if several else ""), "增量转化 incremental conversions",
        "单位增量成本 cost per incremental (元)",
        title=f"营销活动评估 campaign evaluation: {escape(Path(i['file']).name)} ({i['rows']:,} rows)",
        caption=escape(f"[方括号] 为 {level} 置信区间 / [brackets]: {level} confidence intervals; "
                       "pp = 百分点 percentage points"),
    )
    for a in doc["arms"]:
        rate = f"{_pct(a['rate'])}\n{_ci(a['rate_ci'])}"
        c = comps.get(a["arm"])
        if c is None:
            table.add_row(escape(a["arm"]) + "\n(对照 control)", f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                          "—", "—", "—", "—")
            continue
        p = _p(c["p_value"]) + (f"\n({_p(c['p_value_holm'])})" if several else "")
        inc = f"{c['incremental_conversions']:,.1f}\n[{c['incremental_ci'][0]:,.1f}, {c['incremental_ci'][1]:,.1f}]"
        if c["cost_per_contact"] is None:
            cost = "—"
        elif c["cost_per_incremental"] is None:
            cost = "无 none\n(提升 ≤ 0 uplift ≤ 0)"
        else:
            lo, hi = c["cost_per_incremental_range"]
            cost = (f"{c['cost_per_incremental']:,.0f}\n[{'—' if lo is None else f'{lo:,.0f}'}, "
                    f"{'∞' if hi is None else f'{hi:,.0f}'}]")
        table.add_row(escape(a["arm"]), f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                      f"{_pct(c['uplift'], True)}\n{_ci(c['uplift_ci'], signed=True)}", p, inc, cost)
    out.print(table)
    for line in doc["conclusions"]:
        out.print(("✓ " if line["significant"] else "· ") + line["zh"], markup=False)
        out.print("  " + line["en"], markup=False)
    for b in doc["breakdowns"]:
        col = escape(b["column"])
        bt = RichTable(col, *(["组 arm"] if several else []), "客户 customers\n处理/对照 treated/control",
                       "转化率 rate\n处理/对照 treated/control", f"提升 uplift (pp)\n[{level} CI]", "p 值 p-value",
                       "判断 note", title=f"按 {col} 细分（探索性）/ breakdown by {col} (exploratory)")
        for r in b["rows"]:
            note = "样本太少\ntoo small to judge" if r["too_small"] else ""
            bt.add_row(escape(r["group"]), *([escape(r["arm"])] if several else []),
                       f"{r['n_treated']:,} / {r['n_control']:,}",
                       f"{_pct(r['rate_treated'])} / {_pct(r['rate_control'])}",
                       f"{_pct(r['uplift'], True)} {_ci(r['uplift_ci'], signed=True)}", _p(r["p_value"]), note)
        out.print(bt)
    for w in doc["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {escape(w)}")
    out.print("已记入审计日志 recorded in the audit log (campaign_import_evaluated); "
              "方法与解读 methods and how to read this: docs/campaigns.md")


# --- campaigns drawn in finecrm (营销活动) -------------------------------------------------------------------


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FinecrmError(f"{option}: 须为日期，如 2026-10-01 / expected a date like 2026-10-01, got {value!r}") from None


def _audience_ref(value: str | None) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    head, _, version = value.partition(":")
    try:
        return int(head), (int(version) if version else None)
    except ValueError:
        raise FinecrmError(f"--audience: 须为 ID 或 ID:版本 / expected ID or ID:VERSION, got {value!r}") from None


def _campaign_session(home: Path | None) -> Any:
    """(workspace, serving, principal) for a campaign command; the caller opens the database session."""
    from finecrm.services.snapshot.serving import Serving
    from finecrm.services.workspace import cli_principal, open_workspace

    ws = open_workspace(home)
    return ws, Serving(ws), cli_principal()


def _print_campaign_info(doc: dict[str, Any]) -> None:
    d = doc.get("details") or {}
    out.print(f"营销活动 campaign {doc['id']}: {doc['name']}  [{doc['status']}]", markup=False)
    out.print(f"产品 target: {doc['target_zh']} {doc['target_en']} ({doc['target']})"
              + (f"  推荐 offer: {doc['offer_product']}" if doc["offer_product"] else ""), markup=False)
    out.print(f"渠道 channel: {doc['channel_zh']} {doc['channel_en']}   活动期 period: {doc['start_date']} – "
              f"{doc['end_date']}   单次触达成本 cost per contact: {doc['cost_per_contact']:g} 元", markup=False)
    out.print(f"对照组比例 control share: {doc['control_share']:g}   随机种子 seed: {doc['seed']}   快照 snapshot: "
              f"{doc['build_id']}", markup=False)
    counts = doc.get("counts")
    if counts:
        t = RichTable("组 arm", "客户 customers", "已分配 assigned", "已登记 outcomes", "识别转化 converted",
                      title=f"名单 members ({'全行 whole bank' if doc.get('scope', 'all') == 'all' else '本机构 your branch'})")
        for arm, c in counts["arms"].items():
            t.add_row(arm, f"{c['members']:,}", f"{c['assigned']:,}", f"{c['outcomes']:,}", f"{c['converted']:,}")
        out.print(t)
        s = RichTable("层级 tier", "处理组 treatment", "对照组 control", title="分层 strata")
        for r in counts["strata"]:
            s.add_row(r["stratum"], f"{r['treatment']:,}", f"{r['control']:,}")
        out.print(s)
    elif d.get("counts"):
        c = d["counts"]
        out.print(f"候选 candidates {c['candidates']:,} → 名单 members {c['members']:,} = 处理组 treatment "
                  f"{c['treatment']:,} + 对照组 control {c['control']:,}")


@campaign_app.command("create")
@requires("manage_campaigns")
def campaign_create(
    name: Annotated[str, typer.Argument(help="活动名称 / the campaign's name (unique).")],
    target: Annotated[str, typer.Option("--target", help="营销产品 / a marketing.targets code, e.g. mobile_banking.")],
    channel: Annotated[str, typer.Option("--channel", help="渠道 / phone, sms, visit, wechat or lobby.")],
    start: Annotated[str, typer.Option("--start", help="开始日期 / first day, e.g. 2026-10-01.")],
    end: Annotated[str, typer.Option("--end", help="结束日期 / last day.")],
    audience: Annotated[str | None, typer.Option("--audience", help="客群 / a saved audience: ID or ID:VERSION "
                                                 "(default: every customer).")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="按倾向分取前 N 名 / the N highest propensities.")]
    = None,
    cap: Annotated[int | None, typer.Option("--cap", min=1, help="规模上限 / at most this many customers.")] = None,
    control_share: Annotated[float | None, typer.Option("--control-share", help="对照组比例 / share held back as the "
                                                        "random control group (default: marketing.control_share).")]
    = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="随机种子 / seed of the draw (default: "
                                             "marketing.seed); recorded.")] = None,
    cost_per_contact: Annotated[float, typer.Option("--cost-per-contact", min=0, help="单次触达成本（元）/ cost of "
                                                    "contacting one customer, in yuan.")] = 0.0,
    offer_product: Annotated[str | None, typer.Option("--offer-product", help="推荐产品 / the product offered "
                                                      "(default: the target's).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新建营销活动 / Draw a campaign list with a random control group (stratified by tier) and save it."""
    from finecrm.services.marketing.campaigns import create_campaign
    from finecrm.services.workspace import database_session

    audience_id, version = _audience_ref(audience)
    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        doc = create_campaign(session, serving, principal, name=name, target=target, channel=channel,
                              start_date=_day(start, "--start"), end_date=_day(end, "--end"), audience_id=audience_id,
                              audience_version=version, top_n=top, size_cap=cap, control_share=control_share,
                              seed=seed, cost_per_contact=cost_per_contact, offer_product=offer_product)
    if as_json:
        _emit(True, doc)
        return
    _print_campaign_info(doc)
    out.print("已记入审计日志 recorded in the audit log (campaign_create). 下一步 next: finecrm campaign assign "
              f"{doc['id']}")


@campaign_app.command("list")
@requires("manage_campaigns")
def campaign_list(home: Home = None, as_json: Json = False) -> None:
    """营销活动列表 / List campaigns with their member counts."""
    from finecrm.services.marketing.campaigns import list_campaigns
    from finecrm.services.workspace import database_session

    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        docs = list_campaigns(session, serving, principal)
    if as_json:
        _emit(True, docs)
        return
    t = RichTable("编号 id", "名称 name", "产品 target", "状态 status", "活动期 period", "处理组 treatment",
                  "对照组 control", "已分配 assigned", "识别转化 converted")
    for d in docs:
        arms = d["counts"]["arms"]
        t.add_row(str(d["id"]), d["name"], d["target"], d["status"], f"{d['start_date']} – {d['end_date']}",
                  f"{arms['treatment']['members']:,}", f"{arms['control']['members']:,}",
                  f"{arms['treatment']['assigned']:,}",
                  f"{arms['treatment']['converted']:,} / {arms['control']['converted']:,}")
    out.print(t)


CampaignId = Annotated[int, typer.Argument(help="活动编号 / the campaign's id (finecrm campaign list).")]


@campaign_app.command("show")
@requires("manage_campaigns")
def campaign_show(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """查看营销活动 / Show a campaign: its settings, draw and member counts."""
    from finecrm.services.marketing.campaigns import get_campaign
    from finecrm.services.workspace import database_session

    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        doc = get_campaign(session, serving, principal, campaign_id)
    if as_json:
        _emit(True, doc)
        return
    _print_campaign_info(doc)


@campaign_app.command("assign")
@requires("manage_campaigns")
def campaign_assign(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """分配任务 / Hand out the treatment group: own manager first, then the grid's manager, within capacity."""
    from finecrm.services.marketing.tasks import assign_campaign
    from finecrm.services.workspace import database_session

    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        doc = assign_campaign(session, serving, principal, campaign_id)
    if as_json:
        _emit(True, doc)
        return
    out.print(f"已分配 assigned {doc['assigned']:,} (管户经理 own manager {doc['own_manager']:,}, 网格经理 grid manager "
              f"{doc['grid_manager']:,}); 未分配 left for the branch heads {doc['unassigned']:,} "
              f"(无在岗经理 no active manager {doc['unassigned_reasons']['no_active_manager']:,}, 经理已满 managers full "
              f"{doc['unassigned_reasons']['managers_full']:,}); 每人上限 capacity {doc['capacity']}")
    t = RichTable("工号 staff", "姓名 name", "本活动客户 members")
    for r in doc["per_staff"]:
        t.add_row(r["staff_id"], r["name"] or "", f"{r['members']:,}")
    out.print(t)


@campaign_app.command("detect")
@requires("manage_campaigns")
def campaign_detect(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """识别转化 / Detect conversions of both arms from the published snapshot (product first seen in the window)."""
    from finecrm.services.marketing.conversions import detect_conversions
    from finecrm.services.workspace import database_session

    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        doc = detect_conversions(session, serving, principal, campaign_id)
    if as_json:
        _emit(True, doc)
        return
    w = doc["window"]
    out.print(f"识别窗口 window {w['start']} – {w['end']} (活动结束后 {w['horizon_days']} 天 / end + "
              f"{w['horizon_days']} days); 快照 snapshot {doc['snapshot']} as of {doc['as_of']}")
    out.print(f"转化 converted: 处理组 treatment {doc['converted']['treatment']:,}, 对照组 control "
              f"{doc['converted']['control']:,}; 开始前已开通 before the start {doc['adopted_before_start']:,}; "
              f"窗口后 after the window {doc['adopted_after_window']:,}; 变化 changed {doc['changed']:,}")
    if not doc["complete"]:
        err.print("[yellow]注意 note[/yellow]: 窗口尚未结束，结果不完整 / the window is still open: run this again on a "
                  "later snapshot")


@campaign_app.command("evaluate")
@requires("manage_campaigns")
def campaign_evaluate(
    campaign_id: CampaignId,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="置信水平 / confidence level.")] = 0.95,
    min_group: Annotated[int, typer.Option("--min-group", min=1, help="细分组每组最少客户数 / smaller groups are "
                                           "flagged too small to judge.")] = 30,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """评估营销活动 / Treated versus control: detected conversions, uplift, significance, cost, breakdowns."""
    from finecrm.services.marketing.evaluation import evaluate_campaign
    from finecrm.services.workspace import database_session

    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        doc = evaluate_campaign(session, serving, principal, campaign_id, confidence=confidence, min_group=min_group)
    if as_json:
        _emit(True, doc)
        return
    _print_evaluation(doc)


def _print_evaluation(doc: dict[str, Any]) -> None:
    from rich.markup import escape

    c = doc["campaign"]
    level = f"{doc['confidence'] * 100:g}%"
    t = RichTable("组 arm", "客户 customers", "识别转化 conversions", "转化率 rate", "提升 uplift (pp)", "p 值 p-value",
                  "增量转化 incremental", "单位增量成本 cost per incremental (元)",
                  title=escape(f"营销活动评估 evaluation: {c['id']} {c['name']}"),
                  caption=escape(f"[方括号] 为 {level} 置信区间 / [brackets]: {level} confidence intervals"))
    comp = doc["comparison"]
    for a in doc["arms"]:
        rate = f"{_pct(a['rate'])}\n{_ci(a['rate_ci'])}"
        if a["arm"] == "control" or comp is None:
            t.add_row(f"{a['zh']} {a['en']}", f"{a['customers']:,}", f"{a['conversions']:,}", rate, "—", "—", "—", "—")
            continue
        cost = "—" if comp["cost_per_incremental"] is None else f"{comp['cost_per_incremental']:,.0f}"
        t.add_row(f"{a['zh']} {a['en']}", f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                  f"{_pct(comp['uplift'], True)}\n{_ci(comp['uplift_ci'], True)}", _p(comp["p_value"]),
                  f"{comp['incremental_conversions']:,.1f}", cost)
    out.print(t)
    if doc["conclusion"]:
        out.print(("✓ " if doc["conclusion"]["significant"] else "· ") + doc["conclusion"]["zh"], markup=False)
        out.print("  " + doc["conclusion"]["en"], markup=False)
    sr = doc["self_reported"]
    out.print(f"{sr['label']['zh']} / {sr['label']['en']}: 成交 converted {sr['converted']:,}, 其中数据核实 confirmed by "
              f"data {sr['confirmed_by_data']:,}", markup=False)
    out.print("漏斗 funnel: " + " → ".join(f"{s['zh']} {s['count']:,}" for s in doc["funnel"]), markup=False)
    for b in doc["breakdowns"]:
        bt = RichTable(escape(b["zh"]), "处理/对照 treated/control", "转化率 rate treated/control", "提升 uplift (pp)",
                       "p", "", title=escape(f"按{b['zh']}细分（探索性）/ by {b['en']} (exploratory)"))
        for r in b["rows"]:
            bt.add_row(escape(str(r["label"])), f"{r['n_treated']:,} / {r['n_control']:,}",
                       f"{_pct(r['rate_treated'])} / {_pct(r['rate_control'])}",
                       f"{_pct(r['uplift'], True)} {_ci(r['uplift_ci'], True)}", _p(r["p_value"]),
                       "样本太少 too small" if r["too_small"] else "")
        out.print(bt)
    ba = doc["before_after"]
    if ba.get("available"):
        bt = RichTable("指标 metric", "组 arm", "之前 before", "之后 after", "变化 change",
                       title=escape(f"活动前后（{ba['label']['zh']}）/ before and after ({ba['label']['en']})"))
        for r in ba["summary"]:
            bt.add_row(escape(r["zh"]), r["arm"], *("—" if v is None else f"{v:,.2f}"
                                                   for v in (r["before"], r["after"], r["change"])))
        out.print(bt)
    else:
        err.print(f"[yellow]注意 note[/yellow]: {escape(ba.get('message') or '')}")
    for w in doc["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {escape(w['zh'])} / {escape(w['en'])}")


@campaign_app.command("export")
@requires("manage_campaigns")
def campaign_export(
    campaign_id: CampaignId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Excel 文件 / the .xlsx file to write.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """导出评估 / Write the evaluation and the member list (names masked) to Excel; audited."""
    from finecrm.services.marketing.evaluation import export_evaluation_xlsx
    from finecrm.services.workspace import database_session

    if output.suffix.lower() != ".xlsx":
        raise FinecrmError(f"--output: 须为 .xlsx 文件 / expected a .xlsx file, got {output}")
    ws, serving, principal = _campaign_session(home)
    with database_session(ws) as session:
        data, rows = export_evaluation_xlsx(session, serving, principal, campaign_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    if as_json:
        _emit(True, {"campaign_id": campaign_id, "output": str(output), "rows": rows, "masked": True})
        return
    out.print(f"已写入 wrote {output} ({rows:,} 名客户 members, 已脱敏 masked; 已记入审计日志 audited as export_list)")


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
        _emit(True, [as_dict(t) for t in tables])
        return
    for t in tables:
        rt = RichTable("列 column", "类型 type", "必填 required", "代码/引用 codes/ref", "说明 doc",
                       title=f"{t.name} (key: {', '.join(t.key)})")
        for c in t.columns:
            extra = ", ".join(c.enum_codes) if c.enum else (c.ref or "")
            rt.add_row(c.name, c.type.value, "✓" if c.required else "", extra, c.doc)
        out.print(rt)


# --- audiences (目标客群) ---------------------------------------------------------------------------------

AudienceRule = Annotated[str, typer.Option("--rule", help="规则 / the rule, e.g. \"signed_online AND NOT signed_mobile "
                                             "AND age < 40 AND txn_ci_30d >= 5\" (docs/rules.md).")]


def _print_audience_counts(doc: dict[str, Any]) -> None:
    out.print(f"客户 customers: {doc['customers']:,}" + (f"   AUM: {doc['aum']:,.2f} 元" if doc.get("aum") is not None
                                                          else ""))
    table = RichTable("层级 tier", "客户 customers", "占比 share", "AUM (元)", title="层级构成 tier mix")
    for r in doc["tier_mix"]:
        table.add_row(r["tier"], f"{r['customers']:,}", f"{r['share'] * 100:.1f}%",
                      "—" if r["aum"] is None else f"{r['aum']:,.0f}")
    out.print(table)


@audience_app.command("preview")
@requires("manage_campaigns")
def audience_preview(rule: AudienceRule, home: Home = None, as_json: Json = False) -> None:
    """试算客群 / Count a rule's customers now: customers, AUM and tier mix (nothing is saved)."""
    from finecrm.services.marketing.audiences import preview
    from finecrm.services.snapshot.serving import opened
    from finecrm.services.workspace import cli_principal, open_workspace

    ws = open_workspace(home)
    with opened(ws) as serving:
        doc = preview(serving, cli_principal(), rule)
    if as_json:
        _emit(True, doc)
        return
    out.print(f"规则 rule: {doc['rule']}   快照 snapshot: {doc['snapshot']}", markup=False)
    _print_audience_counts(doc)


@audience_app.command("create")
@requires("manage_campaigns")
def audience_create(
    name: Annotated[str, typer.Argument(help="客群名称 / the audience's name (unique).")],
    rule: AudienceRule,
    description: Annotated[str, typer.Option("--description", help="说明 / what the list is for.")] = "",
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新建客群 / Save a new audience (version 1), counted against the published snapshot."""
    from finecrm.services.marketing.audiences import create_audience
    from finecrm.services.snapshot.serving import opened
    from finecrm.services.workspace import cli_principal, database_session, open_workspace

    ws = open_workspace(home)
    with opened(ws) as serving, database_session(ws) as session:
        doc = create_audience(session, serving, cli_principal(), name=name, rule=rule, description=description)
    _audience_out(doc, as_json)


@audience_app.command("update")
@requires("manage_campaigns")
def audience_update(
    audience_id: Annotated[int, typer.Argument(help="客群编号 / the audience's id.")],
    rule: AudienceRule,
    note: Annotated[str, typer.Option("--note", help="修改说明 / why the rule changed.")] = "",
    home: Home = None,
    as_json: Json = False,
) -> None:
    """修改客群规则（新增版本）/ Change an audience's rule: adds a version, earlier versions are kept."""
    from finecrm.services.marketing.audiences import new_version
    from finecrm.services.snapshot.serving import opened
    from finecrm.services.workspace import cli_principal, database_session, open_workspace

    ws = open_workspace(home)
    with opened(ws) as serving, database_session(ws) as session:
        doc = new_version(session, serving, cli_principal(), audience_id=audience_id, rule=rule, note=note)
    _audience_out(doc, as_json)


@audience_app.command("list")
@requires("manage_campaigns")
def audience_list(home: Home = None, as_json: Json = False) -> None:
    """客群列表 / List saved audiences with their latest version."""
    from finecrm.services.marketing.audiences import list_audiences
    from finecrm.services.workspace import cli_principal, database_session, open_workspace

    ws = open_workspace(home)
    with database_session(ws) as session:
        docs = list_audiences(session, cli_principal())
    if as_json:
        _emit(True, docs)
        return
    table = RichTable("编号 id", "名称 name", "版本 version", "规则 rule", "保存时客户 customers when saved")
    for d in docs:
        table.add_row(str(d["id"]), d["name"], str(d["version"]), d["rule"],
                      "—" if d["customers"] is None else f"{d['customers']:,}")
    out.print(table)


@audience_app.command("show")
@requires("manage_campaigns")
def audience_show(
    audience_id: Annotated[int, typer.Argument(help="客群编号 / the audience's id.")],
    version: Annotated[int | None, typer.Option("--version", help="版本 / a version (default: the latest).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看客群 / Show an audience: its rule, versions and live counts."""
    from finecrm.services.marketing.audiences import get_audience, preview
    from finecrm.services.snapshot.serving import opened
    from finecrm.services.workspace import cli_principal, database_session, open_workspace

    ws = open_workspace(home)
    with database_session(ws) as session:
        doc = get_audience(session, audience_id, version)
    with opened(ws) as serving:
        doc["live"] = preview(serving, cli_principal(), doc["rule"])
    _audience_out(doc, as_json)


def _audience_out(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _emit(True, doc)
        return
    out.print(f"客群 audience {doc['id']}: {doc['name']} (v{doc['version']} / {doc['latest_version']})", markup=False)
    out.print(f"规则 rule: {doc['rule']}", markup=False)
    for v in doc["versions"]:
        out.print(f"  v{v['version']} {v['created_at']:%Y-%m-%d %H:%M} {v['created_by']}: {v['rule']}"
                  + (f"  ({v['customers']:,})" if v["customers"] is not None else ""), markup=False)
    live = doc.get("live")
    if live is None and doc.get("customers") is not None:
        live = None
        out.print(f"保存时客户 customers when saved: {doc['customers']:,}")
    if live:
        out.print(f"当前快照 now ({live['snapshot']}):")
        _print_audience_counts(live)


# --- propensity models (倾向模型) ------------------------------------------------------------------------------


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _times(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def _print_model_report(doc: dict[str, Any]) -> None:
    """A compact bilingual report: AUC, lift and capture by decile with calibration, top features."""
    from rich.markup import escape

    v = doc["report"]["validation"]
    m = doc["metrics"]
    if doc.get("source") == "table":
        i = doc["inputs"]
        s = doc["split"]
        title = f"{Path(i['file']).name}: 响应列 response column {i['target_column']} ({i['rows']:,} rows)"
        how = (f"验证 validation: 时间靠后的 30% later period by {s['time_column']} (from {s['validation_from']})"
               if s["method"] == "later period" else f"验证 validation: 分层随机留出 {s['share']:.0%} stratified random "
               f"holdout (seed {s['seed']})")
    else:
        title = (f"{doc['target']} {doc.get('version', '')}: {doc['question']['zh']} / {doc['question']['en']}"
                 f" ({doc['algorithm']})")
        t, va = doc["training"], doc["validation"]
        how = (f"训练截止日 training cut-offs {', '.join(t['cutoffs'])} ({t['rows']:,} rows, {t['takers']:,} takers); "
               f"验证截止日 validation cut-off {va['cutoff']} → {va['label_window'][1]} (later period); "
               f"快照 snapshot {doc['data']['build_id']}")
    out.print(escape(title))
    out.print(escape(how))
    auc = "—" if m["auc"] is None else f"{m['auc']:.3f}"
    train_auc = "—" if m["train_auc"] is None else f"{m['train_auc']:.3f}"
    out.print(f"AUC（验证期）validation AUC: [bold]{auc}[/bold]  (训练 train {train_auc});  验证客户 validation customers "
              f"{v['rows']:,}, 办理 takers {v['takers']:,}, 基准办理率 base rate {_share(v['base_rate'])}")
    table = RichTable("十分位\ndecile", "客户\ncustomers", "办理\ntakers", "办理率\nrate", "预测均值\npredicted",
                      "提升\nlift", "捕获\ncapture", "累计提升\ncum. lift", "累计捕获\ncum. capture",
                      title="按得分十分位（验证期）/ by score decile, validation period (1 = highest scores)")
    for d in v["deciles"]:
        table.add_row(str(d["decile"]), f"{d['customers']:,}", f"{d['takers']:,}", _share(d["rate"]),
                      _share(d["mean_predicted"]), _times(d["lift"]), _share(d["capture"]), _times(d["cum_lift"]),
                      _share(d["cum_capture"]))
    out.print(table)
    cal = v["calibration"]
    out.print(f"校准 calibration: 平均预测 mean predicted {_share(cal['mean_predicted'])} vs 实际 observed "
              f"{_share(cal['observed'])}; Brier {cal['brier']:.4f} (每组预测与实际见上表 per decile: predicted vs rate)")
    feats = doc["report"]["top_features"][:8]
    if feats:
        out.print("主要特征 top features (" + escape(feats[0]["measure"]) + "):")
        for f in feats:
            out.print(f"  {f['effect'] or '·'} {escape(f['zh'])} / {escape(f['en'])}  {f['weight']:+.3f}")


model_app = typer.Typer(help="倾向模型 / propensity models: train, list, show, activate (action: manage_models).",
                        no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("train")
@requires("manage_models")
def model_train(
    product: Annotated[str | None, typer.Option("--product", help="营销目标 / a marketing.targets code (e.g. "
                                                "mobile_banking) or 'all': trained from the published snapshot.")]
    = None,
    table: Annotated[Path | None, typer.Option("--table", help="任意表 / train on a file instead (CSV, Parquet or "
                                               ".xlsx) with a yes/no response column, e.g. a past campaign's list.")]
    = None,
    target: Annotated[str | None, typer.Option("--target", help="响应列 / the response column of --table: 1/0, "
                                               "true/false, yes/no, 是/否, Y/N.")] = None,
    time_column: Annotated[str | None, typer.Option("--time-column", help="时间列 / with --table: validate on the "
                                                    "latest 30% of rows by this date (default: random 30%).")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="训练后启用 / make each new model the active one "
                                           "(the next build scores with it).")] = False,
    algorithm: Annotated[str, typer.Option("--algorithm", help="logistic (default) | gbm")] = "logistic",
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """训练倾向模型 / Train a propensity model and report on a later period (or a holdout of --table)."""
    from finecrm.services.workspace import cli_actor, open_workspace

    if (product is None) == (table is None):
        raise FinecrmError("请指定 --product 或 --table 之一 / give either --product CODE|all or --table FILE "
                           "--target COLUMN")
    ws = open_workspace(home)
    if table is not None:
        from finecrm.services.marketing.propensity_table import record_table_training, train_table

        if not target:
            raise FinecrmError("--table 需要 --target / --table needs --target COLUMN (the response column)")
        if activate:
            raise FinecrmError("--activate 仅用于 --product / --activate applies to --product models (a table's "
                               "columns are not the build's features)")
        doc = train_table(table, target, time_column=time_column, algorithm=algorithm)
        record_table_training(ws, doc, actor=cli_actor())
        if as_json:
            _emit(True, doc)
            return
        _print_model_report(doc)
        used = ", ".join(f"{f['column']} ({f['kind']})" for f in doc["features"])
        out.print(f"使用的列 columns used: {used}", markup=False)
        for d in doc["dropped"]:
            out.print(f"未使用 not used: {d['column']} — {d['reason']}", markup=False)
        out.print("模型未保存：表的列不是构建的特征 / not stored: a table's columns are not the build's features; "
                  "已记入审计日志 recorded in the audit log (model_train)")
        return
    if target or time_column:
        raise FinecrmError("--target/--time-column 仅用于 --table / --target and --time-column go with --table")
    from finecrm.services.marketing.propensity import train_targets

    codes = [t.code for t in ws.settings.marketing.targets] if product == "all" else [str(product)]
    with _progress(quiet or as_json) as progress:
        result = train_targets(ws, codes, actor=cli_actor(), algorithm=algorithm, activate=activate,
                               progress=progress)
    if as_json:
        _emit(True, result)
        return
    for doc in result["trained"]:
        _print_model_report(doc)
        state = (f"已启用 activated (previous: {doc['activated']['previous'] or 'none'})" if doc.get("activated")
                 else f"未启用 not active: finecrm model activate {doc['target']} {doc['version']}")
        out.print(f"已保存 saved {ws.models / doc['target'] / doc['version']}; {state}\n", markup=False)
    for s in result["skipped"]:
        err.print(f"[yellow]跳过 skipped[/yellow] {s['target']}: {s['reason']}", markup=False)
    if activate and result["trained"]:
        out.print("下次构建使用新模型 / the next 'finecrm build' scores customers with the active models")


@model_app.command("list")
@requires("manage_models")
def model_list(home: Home = None, as_json: Json = False) -> None:
    """模型列表 / Every stored model version, the active one per target marked."""
    from finecrm.services.marketing.model_registry import list_models
    from finecrm.services.workspace import open_workspace

    rows = list_models(open_workspace(home))
    if as_json:
        _emit(True, rows)
        return
    if not rows:
        out.print("还没有模型 / no models yet: finecrm model train --product all --activate")
        return
    t = RichTable("目标\ntarget", "版本\nversion", "启用\nactive", "算法\nalgorithm", "验证AUC\nvalid. AUC",
                  "验证客户\nvalid. rows", "创建\ncreated", "创建人\nby", title="倾向模型 propensity models")
    for r in rows:
        t.add_row(r["target"], r["version"], "✓" if r["active"] else "", r["algorithm"] or "",
                  "—" if r["auc"] is None else f"{r['auc']:.3f}", f"{r['validation_rows'] or 0:,}",
                  str(r["created_at"] or "")[:16].replace("T", " "), r["created_by"] or "")
    out.print(t)


@model_app.command("show")
@requires("manage_models")
def model_show(
    target: Annotated[str, typer.Argument(help="营销目标 / the target, e.g. mobile_banking.")],
    version: Annotated[str | None, typer.Option("--version", help="版本 / e.g. v002 (default: active, else latest).")]
    = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看模型报告 / A model version's report, features, cut-offs and data snapshot."""
    from finecrm.services.marketing.model_registry import show
    from finecrm.services.workspace import open_workspace

    doc = show(open_workspace(home), target, version)
    if as_json:
        _emit(True, doc)
        return
    _print_model_report(doc)
    out.print(f"{'已启用 active' if doc['active'] else '未启用 not active'}; 创建 created {doc['created_at'][:19]} by "
              f"{doc['created_by']}; 特征 {len(doc['features']['kinds'])} features; scikit-learn "
              f"{doc['sklearn_version']}", markup=False)


@model_app.command("activate")
@requires("manage_models")
def model_activate(
    target: Annotated[str, typer.Argument(help="营销目标 / the target, e.g. mobile_banking.")],
    version: Annotated[str, typer.Argument(help="版本 / the version to activate, e.g. v002.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """启用模型版本 / Make a version the active model of its target (audited; the next build uses it)."""
    from finecrm.services.marketing.model_registry import activate
    from finecrm.services.workspace import cli_actor, open_workspace

    doc = activate(open_workspace(home), target, version, actor=cli_actor())
    if as_json:
        _emit(True, doc)
        return
    out.print(f"已启用 activated {doc['target']} {doc['version']} (previous: {doc['previous'] or 'none'}); "
              "下次构建生效 the next 'finecrm build' scores with it", markup=False)


def main() -> None:
    try:
        app()
    except FinecrmError as exc:
        err.print(f"[red]错误 error:[/red] {exc}")
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
