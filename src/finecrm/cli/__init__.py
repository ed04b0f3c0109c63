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

from finecrm.cli import access, data, marketing, serve
from finecrm.cli.common import err
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


def main() -> None:
    try:
        app()
    except FinecrmError as exc:
        # one line, never wrapped, and the message's own brackets are text, not markup
        err.print(f"[red]错误 error:[/red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)


__all__ = ["app", "main"]
