"""Creating and opening a workspace: configuration, warehouse folders, migrated database."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from finecrm.core.settings import CONFIG_NAME, DEFAULT_YAML, Workspace, load_workspace, resolve_home
from finecrm.db import repositories
from finecrm.db.session import make_engine, migrate, session_factory


@dataclass
class InitResult:
    home: Path
    config_created: bool
    database: str
    revision: str


def cli_actor() -> str:
    """Who runs a command from the shell, as recorded in the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli:unknown"


def init_workspace(home: Path | str | None) -> InitResult:
    """Create (or bring up to date) a workspace. Safe to run again: never overwrites finecrm.yaml."""
    root = resolve_home(home)
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / CONFIG_NAME
    created = not cfg.exists()
    if created:
        cfg.write_text(DEFAULT_YAML, encoding="utf-8")
    ws = load_workspace(root)
    for folder in (ws.raw, ws.quarantine, ws.ingests, ws.snapshots):
        folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(ws.database_url)
    revision = migrate(engine)
    with session_factory(engine)() as session, session.begin():
        repositories.record_audit(
            session, actor=cli_actor(), action="init_workspace", target=str(root),
            details={"config_created": created, "revision": revision},
        )
    engine.dispose()
    return InitResult(root, created, engine.url.render_as_string(hide_password=True), revision)


def open_workspace(home: Path | str | None) -> Workspace:
    return load_workspace(home)


def _pairs(ws: Workspace, table: str, key: str, value: str) -> dict[str, str | None] | None:
    path = ws.raw / table / "data.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=[key, value]).to_pydict()
    return dict(zip(t[key], t[value], strict=True))


def known_branches(ws: Workspace) -> dict[str, str | None] | None:
    """``{branch_id: parent_id}`` from the warehouse, or None before any branches were loaded."""
    return _pairs(ws, "branches", "branch_id", "parent_id")


def known_grids(ws: Workspace) -> dict[str, str | None] | None:
    """``{grid_id: manager_id}`` from the warehouse, or None before any grids were loaded."""
    return _pairs(ws, "grids", "grid_id", "manager_id")


def known_staff(ws: Workspace) -> dict[str, dict[str, Any]]:
    """``{staff_id: {name, branch_id, role, active}}`` from the warehouse (empty before staff were loaded)."""
    path = ws.raw / "staff" / "data.parquet"
    if not path.is_file():
        return {}
    import pyarrow.parquet as pq

    return {r["staff_id"]: r for r in pq.read_table(path).to_pylist()}


def org_stamp(ws: Workspace) -> float:
    """Changes whenever an ingest rewrites the branch or grid table (for caches of the two above)."""
    paths = (ws.raw / "branches" / "data.parquet", ws.raw / "grids" / "data.parquet")
    return sum(p.stat().st_mtime for p in paths if p.is_file())


@contextmanager
def database_session(ws: Workspace) -> Iterator[Session]:
    """A session of the workspace's database inside one transaction (committed on success), for commands.

    The schema is brought to the newest migration first, so a workspace made by an older version works.
    """
    engine = make_engine(ws.database_url)
    try:
        migrate(engine)
        with session_factory(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()
