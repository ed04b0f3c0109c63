"""The service-quality commands: the escalation of overdue complaints (a nightly job), importing complaints from the
hotline's file and a survey firm's answers."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from finecrm.cli.common import Home, Json, Quiet, command_context, emit, requires
from finecrm.cli.present import service as present

complaint_app = typer.Typer(help="投诉处理 / complaints: escalate the overdue (action: handle_complaints).",
                            no_args_is_help=True)


@complaint_app.command("escalate")
@requires("handle_complaints")
def complaint_escalate(
    at: Annotated[datetime | None, typer.Option("--at", help="按此时刻判断逾期（默认现在；无时区按 UTC）/ judge "
                                                "lateness at this moment (default: now; without a zone: UTC).")] = None,
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """逾期投诉升级 / Raise every complaint still to answer after its deadline to the level its lateness asks
    (1: the branch head; 2: the head office), each raise recorded in its history and the audit log. The queue
    page does the same each time it is opened; run this nightly so the levels are right before anyone looks."""
    from finecrm.services.service import escalate_overdue

    now = at if at is not None and at.tzinfo is not None else (at.replace(tzinfo=UTC) if at else datetime.now(UTC))
    with command_context(home) as c:
        c.principal  # noqa: B018 — who runs it was checked by @requires; the audit rows name the system's escalation
        run = escalate_overdue(c.session, c.ws.settings.service, now=now, tz=c.ws.settings.bank.timezone)
    if as_json:
        emit(True, run)
        return
    if not quiet:
        present.print_escalation(run)


def _csv(path: Path) -> list[dict[str, str]]:
    from finecrm.core.errors import FinecrmError

    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise FinecrmError(f"读不了 {path}：{exc} / cannot read {path}: {exc}") from None


@complaint_app.command("import")
@requires("record_complaint")
def complaint_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8)：customer_id（或 caller_name/caller_phone）, category, "
                                        "received_on, 可选 branch_id, staff_id, description")],
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """导入投诉 / Import complaints from a file of the bank's hotline (channel import): each gets its deadline from
    the day it was received; all or nothing (a bad row names its line)."""
    from finecrm.services.service import complaints

    rows = _csv(file)
    with command_context(home) as c:
        done = complaints.import_file(c.session, c.serving, c.principal, c.ws.settings.service, rows,
                                      now=datetime.now(UTC), tz=c.ws.settings.bank.timezone)
    if as_json:
        emit(True, {"imported": len(done), "overdue": sum(1 for r in done if r["overdue"])})
        return
    if not quiet:
        present.print_imported(len(done), sum(1 for r in done if r["overdue"]))


survey_app = typer.Typer(help="满意度调查 / satisfaction surveys: import a survey firm's answers (action: run_surveys).",
                         no_args_is_help=True)


@survey_app.command("import")
@requires("run_surveys")
def survey_import(
    sample: Annotated[Path, typer.Option("--sample", help="样本 / CSV with customer_id: everyone asked.")],
    answers: Annotated[Path, typer.Option("--answers", help="答卷 / CSV: customer_id, question, score, text.")],
    name: Annotated[str, typer.Option("--name", help="调查名称 / the survey's name.")],
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """导入调查答卷 / Import a survey run outside finecrm: the sample asked and the answers given (questions of the
    default questionnaire); the results page then shows the five dimensions with their intervals."""
    from finecrm.services.service import surveys

    ids = [r["customer_id"] for r in _csv(sample)]
    given = _csv(answers)
    with command_context(home) as c:
        row = surveys.import_answers(c.session, c.serving, c.principal, name=name, sample=ids, answers=given,
                                     now=datetime.now(UTC))
    if as_json:
        emit(True, row)
        return
    if not quiet:
        present.print_survey(row)
