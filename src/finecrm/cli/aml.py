"""The AML area's commands: backtest the typology rules over the warehouse's history (规则回测)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from finecrm.cli.common import Home, Json, Quiet, command_context, emit, out, progress_bars, requires

aml_app = typer.Typer(help="反洗钱 / anti-money laundering: backtest the typology rules.", no_args_is_help=True)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@aml_app.command("backtest")
@requires("work_case")
def backtest(
    rules: Annotated[str | None, typer.Option("--rules", help="只报告这些规则（逗号分隔）/ report only these rules, "
                                                              "comma-separated")] = None,
    assignments: Annotated[list[str] | None, typer.Option(
        "--set", help="改一个参数 / change a parameter: rule.param=value (repeatable), e.g. "
                      "fan_in_fan_out.min_in=8")] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="已知可疑账户或客户的编号文件（每行一个）/ a file "
                                                                  "of known suspicious account or customer ids, "
                                                                  "one per row")] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="duckdb | spark (默认 build.engine)")] = None,
    home: Home = None, as_json: Json = False, quiet: Quiet = False,
) -> None:
    """规则回测 / Run the AML rules over the whole history with other parameters, without publishing: alerts per
    rule and month, and with --labels the recall and precision at the account and customer level. Audited."""
    from finecrm.services.aml.backtest import backtest as run

    chosen = [r.strip() for r in (rules or "").split(",") if r.strip()]
    with command_context(home) as c, progress_bars(quiet or as_json) as progress:
        result = run(c.session, c.ws, c.principal, actor=c.actor, rules=chosen, assignments=assignments or [],
                     labels=labels, engine=engine, progress=progress)
    if as_json:
        emit(True, result)
        return
    changed = ", ".join(f"{k}={v}" for k, v in result["changed"].items()) or "无 none (finecrm.yaml)"
    out.print(f"回测 backtest · {result['data_from']} – {result['as_of']} · {result['engine']} · 改动参数 changed: "
              f"{changed}")
    months = sorted({m["month"] for m in result["by_month"]})
    counts = {(m["rule"], m["month"]): m["alerts"] for m in result["by_month"]}
    table = Table("规则 rule", "预警 alerts", "客户 customers", *months)
    for r in result["per_rule"]:
        table.add_row(f"{r['rule_zh']} {r['rule']}", str(r["alerts"]), str(r["customers"]),
                      *[str(counts.get((r["rule"], m), 0)) for m in months])
    out.print(table)
    quality = result.get("labels_quality")
    if quality:
        out.print(f"标注 labels: {quality['ids']} 个编号 ids · 账户 accounts {quality['accounts']} · 客户 customers "
                  f"{quality['customers']} · 未找到 not found {quality['unmatched']}")
        q = Table("规则 rule", "账户召回 account recall", "账户精确 account precision", "客户召回 customer recall",
                  "客户精确 customer precision")
        for row in [*quality["per_rule"], quality["all_rules"]]:
            q.add_row("全部 all rules" if row["rule"] == "*" else row["rule"], _pct(row["account"]["recall"]),
                      _pct(row["account"]["precision"]), _pct(row["customer"]["recall"]),
                      _pct(row["customer"]["precision"]))
        out.print(q)
