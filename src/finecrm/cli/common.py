"""What every command shares: the standard options, the authz check, JSON output, progress bars, and
``command_context``, the one way a command opens what it works on (workspace, principal, database session,
published snapshot).

Conventions for every command: ``--home`` (or FINECRM_HOME) picks the workspace; ``--json`` prints
exactly one JSON document on stdout; progress bars and logs go to stderr; ``--quiet`` silences them.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from finecrm.core.progress import SILENT, Progress, Task

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from finecrm.authz import Principal
    from finecrm.core.settings import Workspace
    from finecrm.services.snapshot.serving import Serving

out = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="FINECRM_HOME", help="工作区目录 / workspace folder (default: current folder)."),
]
Json = Annotated[bool, typer.Option("--json", help="输出 JSON / print one JSON document on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / no progress output.")]


def requires(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the authz action of a command and check it before the command runs.

    The one place CLI commands are authorised; ``tests/cli/test_app.py`` enumerates every command and
    fails on any without a declared action. ``PUBLIC`` commands touch no bank data. A refusal exits
    with 77 (EX_NOPERM).
    """
    from finecrm.authz import PUBLIC, declare

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if action != PUBLIC:
                from finecrm.authz import require
                from finecrm.services.access.principals import cli_principal

                require(cli_principal(kwargs.get("home")), action)
            return fn(*args, **kwargs)

        return declare(action)(run)

    return wrap


#: Whether this process has printed its JSON document (``main`` prints one for a failure only when not).
_emitted = False


def emit(as_json: bool, payload: Any) -> None:
    """Print ``payload`` as the command's one JSON document when ``--json`` was given."""
    global _emitted
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
        _emitted = True


def expect_document() -> None:
    """A command starts: it has printed no document yet (``main`` may run more than one in a process)."""
    global _emitted
    _emitted = False


def emit_failure(message: str, *, kind: str, exit_code: int) -> None:
    """The one JSON document of a command run with ``--json`` that failed before printing its own: a bad
    option, a refusal, an error a user can fix, or a defect (status "error", the message, the exit code)."""
    if not _emitted:
        emit(True, {"status": "error", "error": message, "kind": kind, "exit_code": exit_code})


class CommandContext:
    """What a command works on, each piece opened when the command first asks for it.

    ``session`` is the workspace database in one transaction (schema migrated first): committed when the
    ``with command_context(...)`` block ends normally, rolled back when it raises. ``serving`` is the
    published snapshot, read through :mod:`finecrm.services.snapshot`. ``principal`` is who runs the
    command from the shell (``FINECRM_CLI_USER``, built as the web builds a signed-in user, else the role
    of ``FINECRM_CLI_ROLE``; see :mod:`finecrm.services.access.principals`), ``actor`` how the audit log
    names them.
    """

    def __init__(self, ws: Workspace, stack: ExitStack) -> None:
        self.ws = ws
        self._stack = stack

    @cached_property
    def principal(self) -> Principal:
        from finecrm.services.access.principals import cli_principal

        return cli_principal(self.ws.home)

    @cached_property
    def actor(self) -> str:
        from finecrm.services.access.principals import cli_actor_of

        return cli_actor_of(self.principal)

    @cached_property
    def session(self) -> Session:
        from finecrm.services.workspace import database_session

        return self._stack.enter_context(database_session(self.ws))

    @cached_property
    def serving(self) -> Serving:
        from finecrm.services.snapshot.serving import opened

        return self._stack.enter_context(opened(self.ws))


@contextmanager
def command_context(home: Path | None) -> Iterator[CommandContext]:
    """Open the workspace at ``home`` for a command; see :class:`CommandContext` for what it gives.

    Print results after the block: the transaction is committed only when the block ends.
    """
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    with ExitStack() as stack:
        yield CommandContext(ws, stack)


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


def progress_bars(quiet: bool) -> Any:
    """Progress bars on stderr for a long command, or nothing with ``--quiet``/``--json``."""
    return _NullCtx() if quiet else RichProgressReporter()
