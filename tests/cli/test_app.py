"""The command line as a whole: every command has help, declares its authz action and refuses a role without it."""

from __future__ import annotations

from pathlib import Path

import finecrm.cli
from tests.cli.shell import run


def test_every_command_has_help():
    for args in (["--help"], ["init", "--help"], ["generate", "--help"], ["ingest", "--help"], ["build", "--help"],
                 ["sql", "--help"], ["snapshots", "--help"], ["snapshots", "list", "--help"],
                 ["snapshots", "show", "--help"], ["snapshots", "rollback", "--help"], ["user", "--help"],
                 ["user", "add", "--help"], ["user", "list", "--help"], ["user", "disable", "--help"],
                 ["user", "reset-password", "--help"],
                 ["contract", "--help"], ["contract", "docs", "--help"], ["contract", "show", "--help"]):
        res = run(*args)
        assert res.returncode == 0 and "Usage" in res.stdout, args


def _commands(group, prefix=()):
    """Every command of the CLI, with its path, from the click group typer builds."""
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a sub-group (typer bundles its own click)
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def test_every_command_declares_its_action():
    import typer

    from finecrm.authz import declared_action
    from finecrm.cli import app

    commands = dict(_commands(typer.main.get_command(app)))
    assert len(commands) >= 14
    missing = [" ".join(path) for path, cmd in commands.items() if declared_action(cmd.callback) is None]
    assert missing == [], f"commands without a declared authz action: {missing}"


def test_a_role_without_the_action_is_refused(tmp_path: Path):
    home = str(tmp_path / "ws")
    assert run("init", "--home", home).returncode == 0
    lobby = {"FINECRM_CLI_ROLE": "lobby_manager"}
    for args in (["build"], ["ingest", str(tmp_path)], ["snapshots", "list"], ["user", "list"],
                 ["sql", "SELECT 1"], ["audience", "list"], ["model", "list"], ["campaign", "list"], ["scorecard", "list"],
                 ["campaign", "evaluate", "1"]):
        res = run(*args, "--home", home, env=lobby)
        assert res.returncode == 77, (args, res.stderr)  # EX_NOPERM
        assert "Traceback" not in res.stderr
    # the default shell role (admin) may not use the analysts' console either
    assert run("sql", "SELECT 1", "--home", home).returncode == 77


def test_the_package_stays_small_and_acyclic():
    """One module per area, each under 600 lines, and no import circle inside the package."""
    import grimp

    root = Path(finecrm.cli.__file__).parent
    long = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert long == {}
    graph = grimp.build_graph("finecrm")
    cli = {m for m in graph.modules if m == "finecrm.cli" or m.startswith("finecrm.cli.")}
    edges = {m: graph.find_modules_directly_imported_by(m) & cli for m in cli}
    done: set[str] = set()

    def visit(m: str, path: tuple[str, ...]) -> None:
        assert m not in path, f"import circle: {' -> '.join((*path, m))}"
        if m not in done:
            for n in edges[m]:
                visit(n, (*path, m))
            done.add(m)

    for m in sorted(cli):
        visit(m, ())


def _json_commands():
    import typer

    from finecrm.cli import app

    for path, cmd in _commands(typer.main.get_command(app)):
        if any("--json" in p.opts for p in cmd.params):
            yield path


def _main(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    """``finecrm <argv>`` in this process (fast enough for every command), as the console script runs it."""
    import sys

    monkeypatch.setattr(sys, "argv", ["finecrm", *argv])
    try:
        finecrm.cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_is_one_document_on_every_failure(monkeypatch, capsys, tmp_path: Path):
    """A script reading stdout gets one JSON document whatever went wrong: a bad option, a missing workspace,
    a refused role — the same exit codes as without --json, and the message still on stderr."""
    import json

    paths = list(_json_commands())
    assert len(paths) >= 20
    for path in paths:
        code, out, err = _main(monkeypatch, capsys, *path, "--json", "--no-such-option")
        [doc] = [json.loads(line) for line in out.splitlines()]
        assert code == 2 and doc["kind"] == "usage" and "--no-such-option" in doc["error"], path
        assert "--no-such-option" in err
    code, out, err = _main(monkeypatch, capsys, "snapshots", "list", "--json", "--home", str(tmp_path / "none"))
    [doc] = [json.loads(line) for line in out.splitlines()]
    assert code == 2 == doc["exit_code"] and doc["status"] == "error" and "finecrm init" in doc["error"] in err
    # Without --json the same failure is text only.
    code, out, _ = _main(monkeypatch, capsys, "snapshots", "list", "--home", str(tmp_path / "none"))
    assert code == 2 and out == ""


def test_json_refusal_from_a_real_process(tmp_path: Path):
    import json

    home = tmp_path / "ws"
    assert run("init", "--home", str(home)).returncode == 0
    res = run("campaign", "list", "--json", "--home", str(home), env={"FINECRM_CLI_ROLE": "collector"})
    doc = json.loads(res.stdout)
    assert res.returncode == 77 == doc["exit_code"] and doc["status"] == "error" and "Traceback" not in res.stderr
