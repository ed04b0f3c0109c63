"""The ``finecrm`` command line: the composition root for scripts and operators.

This module is the table of contents: the root app and, area by area, the commands it carries. Each area's
commands live in ``cli/<area>.py`` (computing through the services), their terminal output in
``cli/present/<area>.py``; what every command shares (options, ``requires``, ``command_context``, progress)
is in ``cli/common.py``.

Conventions for every command: ``--home`` (or FINECRM_HOME) picks the workspace; ``--json`` prints
exactly one JSON document on stdout; progress bars and logs go to stderr; ``--quiet`` silences them.
Errors a user can fix are printed as one message without a traceback (exit code 2); an action the role
may not take exits with 77.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from finecrm.cli import access, aml, collections, credit, data, kpi, marketing, serve, service
from finecrm.cli.common import emit_failure, err, expect_document
from finecrm.core.errors import FinecrmError

app = typer.Typer(
    help="finecrm — 客户分层精细化管理与精准营销平台 / fine-grained customer management for retail banks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# data: workspace, synthetic banks, ingest, build, the SQL console
app.command()(data.init)
app.command()(data.generate)
app.command()(data.ingest)
app.command()(data.build)
app.command()(data.sql)
# the web workbench
app.command()(serve.serve)
# data: the contract and the snapshots
app.add_typer(data.contract_app, name="contract")
app.add_typer(data.snapshots_app, name="snapshots")
# access: users
app.add_typer(access.user_app, name="user")
# marketing: campaigns, audiences, propensity models
app.add_typer(marketing.campaign_app, name="campaign")
app.add_typer(marketing.audience_app, name="audience")
app.add_typer(marketing.model_app, name="model")
# credit: scorecards
app.add_typer(credit.scorecard_app, name="scorecard")
# AML: backtests of the typology rules
app.add_typer(aml.aml_app, name="aml")
# collections: assign, queue, a loan
app.add_typer(collections.collections_app, name="collections")
# service quality: complaints and surveys
app.add_typer(service.complaint_app, name="complaint")
app.add_typer(service.survey_app, name="survey")
# kpi: the report, the ranking, targets
app.add_typer(kpi.kpi_app, name="kpi")


def main() -> None:
    """Run the command; with ``--json`` every outcome is one JSON document on stdout, failures too."""
    if "--json" in sys.argv[1:]:
        _main_json()
        return
    try:
        app()
    except FinecrmError as exc:
        _print_error(exc)
        sys.exit(exc.exit_code)


def _print_error(exc: FinecrmError) -> None:
    # one line, never wrapped, and the message's own brackets are text, not markup
    err.print(f"[red]错误 error:[/red] {escape(str(exc))}", soft_wrap=True)


def _main_json() -> None:
    """``--json``: click's own error pages (a bad option, a missing argument) become a JSON document too, so a
    script reading stdout always gets one; the message still goes to stderr for the person watching."""
    expect_document()
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # a bad option or argument (exit 2, as without --json)
        emit_failure(exc.format_message(), kind="usage", exit_code=exc.exit_code)
        err.print(f"[red]错误 error:[/red] {escape(exc.format_message())} (--help)", soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        emit_failure("已中止 / aborted", kind="aborted", exit_code=1)
        sys.exit(1)
    except FinecrmError as exc:
        emit_failure(str(exc), kind=type(exc).__name__, exit_code=exc.exit_code)
        _print_error(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a defect: still one document, then the traceback on stderr
        emit_failure(f"internal error: {exc!r}", kind="internal", exit_code=1)
        raise
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
