"""The service-quality commands: bringing the escalation of overdue complaints up to date (a nightly job)."""

from __future__ import annotations

from datetime import UTC, datetime
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
