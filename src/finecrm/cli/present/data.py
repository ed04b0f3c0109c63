"""Terminal output of the data commands: init, generate, ingest, build, snapshots, sql, contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table as RichTable

from finecrm.cli.common import err, out
from finecrm.core.formats import currency_unit, pct

if TYPE_CHECKING:
    from finecrm.contract.types import Table
    from finecrm.services.workspace import InitResult


def print_init(res: InitResult) -> None:
    verb = "已创建 created" if res.config_created else "已存在 exists"
    out.print(f"工作区 workspace: {res.home}  (finecrm.yaml {verb})")
    out.print(f"业务库 database: {res.database}  (migration {res.revision})")


def print_generated(target: Path, rows: dict[str, int], seconds: float) -> None:
    table = RichTable("表 table", "行数 rows", title=f"模拟银行 synthetic bank → {target}")
    for name, n in rows.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"用时 took {seconds}s; 真值 ground truth: {target / '_truth'}")


def print_ingest(report: Mapping[str, Any]) -> None:
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
    if report.get("periods"):
        out.print("月份 periods (rows before → after):")
        for p in report["periods"]:
            action = {"added": "新增 added", "replaced": "替换 replaced", "held_back": "暂缓 held back"}[p["action"]]
            out.print(f"  {p['table']} {p['period']}: {action}, {p['rows_before']:,} → {p['rows_after']:,}",
                      markup=False)
    for name, t in report["tables"].items():
        if t["status"] == "unusable":
            err.print(f"[red]不可用 unusable[/red] {name}: {t['error']}", markup=True)
        elif t["status"] == "empty":
            err.print(f"[yellow]无数据 no rows[/yellow] {name}: {t['note']}")
    for w in report["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {w}")
    if report.get("ignored_files"):
        err.print(f"[yellow]已忽略 ignored[/yellow]: {', '.join(report['ignored_files'])}")
    if report.get("quarantine_files"):
        first = next(iter(report["quarantine_files"].values()))
        out.print(f"隔离明细 quarantine files (CSV opens in Excel): {Path(first['csv']).parent}")
    out.print(f"报告 report: {report['report_file']}")


def print_build(manifest: Mapping[str, Any], summary: Mapping[str, Any]) -> None:
    table = RichTable("集市 mart", "行数 rows", "检查 checks", "秒 s",
                      title=f"快照 snapshot {manifest['build_id']} (as of {manifest['as_of']}, {manifest['engine']})")
    for name, m in manifest["marts"].items():
        ok = sum(c["passed"] for c in m["checks"])
        table.add_row(name, f"{m['rows']:,}", f"{ok}/{len(m['checks'])}", f"{m['seconds']}")
    out.print(table)
    print_summary(summary)
    out.print(f"已发布 published in {manifest['seconds']}s. 查询 query: FINECRM_CLI_ROLE=analyst finecrm sql "
              "\"SELECT tier, count(*) FROM customer_360 GROUP BY 1\"")
    for w in manifest.get("warnings") or []:
        err.print(f"[yellow]注意 note[/yellow]: {w}", markup=True, highlight=False)


def print_summary(s: Mapping[str, Any]) -> None:
    """The short summary a branch head would glance at."""
    currency = s.get("currency") or "CNY"
    unit = f"{currency_unit(currency, 'zh')} {currency}" if currency_unit(currency, "zh") != currency else currency
    out.print(f"客户 customers (not lost): {s['customers']:,}")
    tiers = RichTable("类型 kind", "层级 tier", "客户 customers", f"AUM/存款日均 ({unit})", title="客户分层 tiers")
    for t in s["tiers"]:
        tiers.add_row(t["kind"], t["tier"], f"{t['customers']:,}", f"{t['aum'] or 0:,.0f}")
    out.print(tiers)
    for kind, label in (("retail", "个人 retail, AUM"), ("corporate", "对公 corporate, deposits")):
        bands = (s.get("thresholds") or {}).get(kind) or []
        if bands:
            out.print(f"分层门槛 thresholds ({label}, {currency}): "
                      + "; ".join(f"{b['tier']} ≥ {b['min']:,.0f}" for b in bands), markup=False)
    out.print(f"潜力客户 potential: {s['potential']:,}")
    out.print(f"前20%客户AUM占比 top-20% share of AUM: {pct(s['top20_aum_share'])}; "
              f"贡献度占比 of contribution: {pct(s['top20_contribution_share'])}")
    out.print(f"柜面替代率 off-counter rate (90 days, customer-initiated): {pct(s['off_counter_rate_90d'])}")
    out.print("生命周期 lifecycle: " + ", ".join(f"{k} {v:,}" for k, v in s["lifecycle"].items()))
    out.print("行为分群 segments: " + ", ".join(f"{k} {v:,}" for k, v in s["segments"].items()))
    out.print(f"大额存款客户 large depositors: {s['large_depositors']:,}; 存款异动预警 deposit alerts: "
              f"{s['deposit_alerts']:,}")


def print_snapshots(rows: Sequence[Mapping[str, Any]]) -> None:
    table = RichTable("快照 build", "发布 published", "数据日期 as of", "引擎 engine", "完成 finished", "检查 checks")
    for r in rows:
        table.add_row(r["build_id"], "✓" if r["published"] else "", str(r["as_of"]), str(r["engine"]),
                      str(r["finished_at"])[:19], "ok" if r["checks_passed"] else "FAILED")
    out.print(table)


def print_snapshot(m: Mapping[str, Any]) -> None:
    out.print(f"快照 {m['build_id']} as of {m['as_of']} ({m['engine']}, {m['seconds']}s)")
    for name, mart in m["marts"].items():
        out.print(f"  {name}: {mart['rows']:,} rows — {mart['grain']}")
        for c in mart["checks"]:
            out.print(f"      {'✓' if c['passed'] else '✗'} {c['check']}" + ("" if c["passed"] else
                                                                        f" ({c['failing']} rows)"))


def print_query_result(res: Mapping[str, Any], limit: int) -> None:
    table = RichTable(*res["columns"], title=f"snapshot {res['snapshot']}")
    for row in res["rows"]:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)
    if res["truncated"]:
        err.print(f"(只显示前 {limit} 行 first {limit} rows; use --limit)")


def print_contract_tables(tables: list[Table]) -> None:
    for t in tables:
        rt = RichTable("列 column", "类型 type", "必填 required", "代码/引用 codes/ref", "说明 doc",
                       title=f"{t.name} (key: {', '.join(t.key)})")
        for c in t.columns:
            extra = ", ".join(c.enum_codes) if c.enum else (c.ref or "")
            rt.add_row(c.name, c.type.value, "✓" if c.required else "", extra, c.doc)
        out.print(rt)
