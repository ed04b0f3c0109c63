"""Shared fixtures: workspaces, the Berka data, a real PostgreSQL server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BERKA = (ROOT / ".." / "shared" / "data" / "berka").resolve()
BERKA_MAPPING = ROOT / "docs" / "examples" / "berka"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def workspace(tmp_path: Path):
    """A fresh, initialised workspace (SQLite database)."""
    from finecrm.services.workspace import init_workspace, open_workspace

    home = tmp_path / "ws"
    init_workspace(home)
    return open_workspace(home)


@pytest.fixture(scope="session")
def berka_dir() -> Path:
    if not (BERKA / "trans.asc").is_file():
        if in_ci():
            pytest.fail(f"the Berka data is missing at {BERKA}; CI must have ../shared beside the clone")
        pytest.skip(f"Berka data not found at {BERKA} (it lives in ../shared/data/berka beside the repository)")
    return BERKA


def copy_home(src: Path, dst: Path) -> None:
    """A copy of a workspace whose database is open in this process, without harming the original.

    The operational database is copied with SQLite's backup API, never as a file: a plain open() and close() of
    ``finecrm.db`` (or its -wal/-shm) by this process drops every POSIX lock the app's own connections hold on it
    (SQLite's "how to corrupt" §2.2). The next CLI process to close the database then believes itself its last
    user and deletes the WAL: the app's later writes go to an unlinked file and are lost, and its reads say
    "database disk image is malformed" (what a full run met after the serve test).
    """
    import sqlite3

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("finecrm.db*"))
    with sqlite3.connect(src / "finecrm.db") as source, sqlite3.connect(dst / "finecrm.db") as target:
        source.backup(target)
    source.close()
    target.close()


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (run as the postgres user when we are root)."""
    bindir = _pg_bindir()
    if bindir is None:
        msg = "PostgreSQL server binaries not found; scripts/setup.sh installs Debian's postgresql as root"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    base = Path(tempfile.mkdtemp(prefix="finecrm-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    port = _free_port()

    def run(*args: str | Path) -> None:
        subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, text=True)

    try:
        run(bindir / "initdb", "-D", data, "-U", "finecrm", "--auth=trust", "-E", "UTF8", "--no-locale")
        run(
            bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-t", "60",
            "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"could not start PostgreSQL: {exc.stderr or exc.stdout}")
    try:
        yield f"postgresql+psycopg://finecrm@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def new_postgres_database(server_url: str) -> str:
    """A fresh, empty database on the test PostgreSQL server; returns its URL."""
    import uuid

    from sqlalchemy import text

    from finecrm.db.session import make_engine

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_engine(request, tmp_path):
    """An empty operational database — a SQLite file, and a fresh database on the real PostgreSQL
    server — as an SQLAlchemy engine (not migrated)."""
    from finecrm.db.session import make_engine

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ops.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    yield engine
    engine.dispose()
