"""The analyst's SQL console through the real command: the marts by name only, every query audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.shell import ANALYST, run


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("console")
    home, bank = root / "ws", root / "bank"
    assert run("generate", "--customers", "300", "--months", "6", "--out", str(bank), "--quiet").returncode == 0
    assert run("init", "--home", str(home)).returncode == 0
    assert run("ingest", str(bank), "--home", str(home), "--quiet").returncode == 0
    assert run("build", "--home", str(home), "--quiet").returncode == 0
    return home


def _published_marts(home: Path) -> Path:
    build_id = json.loads((home / "warehouse" / "snapshots" / "published.json").read_text())["build_id"]
    return home / "warehouse" / "snapshots" / build_id / "marts"


def _console_events(home: Path) -> list[dict]:
    from finecrm.db import repositories
    from finecrm.services.workspace import database_session, open_workspace

    with database_session(open_workspace(home)) as s:
        return [{"target": e.target, **(e.details or {})}
                for e in repositories.list_audit(s, action="console_query", limit=1000)]


def test_the_console_cannot_read_the_files_behind_the_marts(home: Path):
    marts = _published_marts(home)
    attacks = [
        f"SELECT name, phone, id_number FROM read_parquet('{marts}/customer_360/**/*.parquet')",
        f"SELECT name, phone FROM '{next((marts / 'customer_360').rglob('*.parquet'))}'",
        f"SELECT counterparty_name, counterparty_account FROM read_parquet('{marts}/customer_recent_transactions/"
        "**/*.parquet')",
        f"SELECT * FROM glob('{marts}/**')",
        "SELECT * FROM read_csv('/etc/passwd')",
    ]
    for sql in attacks:
        res = run("sql", sql, "--home", str(home), "--json", env=ANALYST)
        assert res.returncode == 2, (sql, res.stdout[:300])
        said = " ".join(res.stderr.split())  # the terminal may wrap the message
        assert "not allowed" in said or "no mart named" in said
        assert "138" not in res.stdout  # no phone number came back


def test_every_console_query_is_audited_with_its_text_and_rows(home: Path):
    before = len(_console_events(home))
    ok = run("sql", "SELECT customer_id FROM customer_360 LIMIT 7", "--home", str(home), "--json", env=ANALYST)
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["rows"]) == 7
    refused = run("sql", "SELECT * FROM read_text('/etc/hostname')", "--home", str(home), env=ANALYST)
    assert refused.returncode == 2
    after = _console_events(home)  # newest first
    events = after[: len(after) - before]
    by_sql = {e["sql"]: e for e in events}
    assert by_sql["SELECT customer_id FROM customer_360 LIMIT 7"]["rows"] == 7
    assert "not allowed" in by_sql["SELECT * FROM read_text('/etc/hostname')"]["refused"]
