"""The credit area's commands: scorecards (train on a table, list, show, activate, score a file, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from finecrm.cli.common import Home, Json, Quiet, command_context, emit, err, out, progress_bars, requires
from finecrm.cli.present import credit as present

scorecard_app = typer.Typer(help="信用评分卡 / credit scorecards: train on a table, list, show, activate, score a file, "
                                 "export as SQL or Excel (action: manage_scorecards).", no_args_is_help=True)

CardId = Annotated[str, typer.Argument(help="评分卡编号 / the card's id, e.g. sc001 (or 1).")]


@scorecard_app.command("train")
@requires("manage_scorecards")
def scorecard_train(
    table: Annotated[Path, typer.Option("--table", help="训练表 / CSV (UTF-8 or GBK), Parquet or .xlsx: one row per "
                                        "applicant with their outcome.")],
    target: Annotated[str, typer.Option("--target", help="好坏标志列 / the outcome column.")],
    bad_value: Annotated[str | None, typer.Option("--bad-value", help="坏样本取值 / the value meaning bad (default: "
                                                  "1/yes/bad/坏 are bad, 0/no/good/好 good).")] = None,
    time_column: Annotated[str | None, typer.Option("--time-column", help="时间列 / validate on the latest rows by "
                                                    "this date (default: a random stratified holdout).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="不用的列 / a column not to use "
                                                      "(repeatable).")] = None,
    special_value: Annotated[list[float] | None, typer.Option("--special-value", help="特殊值 / a code such as -999 "
                                                              "meaning 'no record' (repeatable; its own bin).")] = None,
    pdo: Annotated[float, typer.Option("--pdo", help="翻倍分 / points to double the odds.")] = 20.0,
    base_score: Annotated[float, typer.Option("--base-score", help="基准分 / the score at the base odds.")] = 600.0,
    base_odds: Annotated[float, typer.Option("--base-odds", help="基准好坏比 / good:bad odds at the base score "
                                             "(50 = 50:1).")] = 50.0,
    grades: Annotated[int, typer.Option("--grades", help="主标尺等级数 / grades of the master scale.")] = 10,
    min_iv: Annotated[float, typer.Option("--min-iv", help="最小 IV / a variable's minimum information value.")] = 0.02,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """训练评分卡 / Train a scorecard on a table, validate it on held-out rows and save the card."""
    from finecrm.services.credit.inputs import TrainScorecard
    from finecrm.services.credit.scorecards import train_scorecard

    spec = TrainScorecard.checked(table=table, target=target, bad_value=bad_value, time_column=time_column,
                                  exclude=exclude or [], special_values=special_value or [], pdo=pdo,
                                  base_score=base_score, base_odds=base_odds, grades=grades, min_iv=min_iv)
    with command_context(home) as c, progress_bars(quiet or as_json) as progress:
        doc = train_scorecard(c.ws, c.session, c.principal, spec, actor=c.actor, progress=progress)
    if as_json:
        emit(True, doc)
        return
    present.print_trained(doc)


@scorecard_app.command("list")
@requires("manage_scorecards")
def scorecard_list(home: Home = None, as_json: Json = False) -> None:
    """评分卡列表 / Every stored card, the active one marked."""
    from finecrm.services.credit.scorecards import list_scorecards

    with command_context(home) as c:
        rows = list_scorecards(c.ws, c.principal)
    if as_json:
        emit(True, rows)
        return
    present.print_cards(rows)


@scorecard_app.command("show")
@requires("manage_scorecards")
def scorecard_show(card_id: CardId, home: Home = None, as_json: Json = False) -> None:
    """查看评分卡 / A card's report: measures, variables, bins and points, master scale."""
    from finecrm.services.credit.scorecards import show_scorecard

    with command_context(home) as c:
        doc = show_scorecard(c.ws, c.principal, card_id)
    if as_json:
        emit(True, doc)
        return
    present.print_card(doc)
    out.print("已启用 active" if doc["active"] else f"未启用 not active: finecrm scorecard activate {doc['id']}",
              markup=False)


@scorecard_app.command("activate")
@requires("manage_scorecards")
def scorecard_activate(card_id: CardId, home: Home = None, as_json: Json = False) -> None:
    """启用评分卡 / Make a card the active one (audited)."""
    from finecrm.services.credit.scorecards import activate_scorecard

    with command_context(home) as c:
        doc = activate_scorecard(c.ws, c.session, c.principal, card_id, actor=c.actor)
    if as_json:
        emit(True, doc)
        return
    out.print(f"已启用 activated {doc['id']} (previous: {doc['previous'] or 'none'})", markup=False)


@scorecard_app.command("score")
@requires("manage_scorecards")
def scorecard_score(
    card_id: CardId,
    table: Annotated[Path, typer.Option("--table", help="待评分的表 / CSV, Parquet or .xlsx with the card's columns.")],
    out_file: Annotated[Path, typer.Option("--out", help="输出文件 / .csv or .xlsx: the table's columns with score, "
                                           "grade, PD and reasons.")],
    reasons: Annotated[int, typer.Option("--reasons", help="每行原因数 / reason codes per row.")] = 3,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """批量评分 / Score every row of a file: points, grade, probability of bad, top reasons."""
    from finecrm.services.credit.inputs import ScoreBatch
    from finecrm.services.credit.scorecards import score_file

    spec = ScoreBatch.checked(card_id=card_id, table=table, out=out_file, reasons=reasons)
    with command_context(home) as c:
        doc = score_file(c.ws, c.session, c.principal, spec, actor=c.actor)
    if as_json:
        emit(True, doc)
        return
    present.print_scored(doc)


@scorecard_app.command("export")
@requires("manage_scorecards")
def scorecard_export(
    card_id: CardId,
    sql: Annotated[bool, typer.Option("--sql", help="打印 SQL / print the card as one SQL query.")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Excel 文件 / write the card, its scale and its SQL "
                                              "to this workbook.")] = None,
    dialect: Annotated[str, typer.Option("--dialect", help="SQL 方言 / duckdb, spark, hive, postgres, oracle, mysql, "
                                         "tsql, snowflake, bigquery, trino.")] = "duckdb",
    table_name: Annotated[str, typer.Option("--table-name", help="SQL 读取的表名 / the table or view the SQL "
                                            "reads.")] = "applicants",
    home: Home = None,
    as_json: Json = False,
) -> None:
    """导出评分卡 / The card as SQL a warehouse can run, and/or as an Excel workbook."""
    from finecrm.core.errors import FinecrmError
    from finecrm.services.credit.inputs import ExportCard
    from finecrm.services.credit.scorecards import export_card

    if not sql and xlsx is None:
        raise FinecrmError("请指定 --sql 或 --xlsx FILE / give --sql, --xlsx FILE or both")
    spec = ExportCard.checked(card_id=card_id, dialect=dialect, table_name=table_name, xlsx=xlsx)
    with command_context(home) as c:
        doc = export_card(c.ws, c.session, c.principal, spec, actor=c.actor)
    if as_json:
        emit(True, doc)
        return
    if sql:
        print(doc["sql"], end="")  # plain, unwrapped: to be piped into a file or a warehouse client
    if doc["xlsx"]:  # beside printed SQL the note goes to stderr, so stdout stays runnable SQL
        (err if sql else out).print(f"已写入 written {doc['xlsx']}", markup=False)
