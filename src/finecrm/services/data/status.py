"""Data status: which snapshot is published, when, from which ingest, with its check results."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.engine import snapshots
from finecrm.services.data.outputs import DataStatus, IngestRunRow, Manifest, MartStatus, SnapshotRow


def data_status(session: Session, ws: Workspace, principal: Principal) -> DataStatus:
    require(principal, "view_data_status")
    published = snapshots.published(ws.snapshots)
    current = snapshots.manifest(ws.snapshots, published) if published else None
    marts: list[MartStatus] = []
    if current:
        for name, m in current.get("marts", {}).items():
            checks = m.get("checks", [])
            marts.append({"name": name, "rows": m.get("rows"), "seconds": m.get("seconds"),
                          "checks_passed": sum(1 for c in checks if c.get("passed")), "checks": len(checks),
                          "failed": [c for c in checks if not c.get("passed")]})
    runs = repositories.list_ingest_runs(session, limit=10)
    manifest = cast(Manifest, {k: current.get(k) for k in ("build_id", "as_of", "engine", "seconds", "checks_passed",
                                                            "finished_at", "source_files")}) if current else None
    return {
        "published": published,
        "manifest": manifest,
        "from_ingest": _ingest_before(runs, current.get("finished_at") if current else None),
        "marts": marts,
        # the engine's list: build_id, published, as_of, engine, finished_at, checks_passed
        "snapshots": cast(list[SnapshotRow], snapshots.list_snapshots(ws.snapshots)),
        "ingests": [_run(r) for r in runs],
    }


def _ingest_before(runs: list[Any], finished: str | None) -> str | None:
    """The latest ingest that finished before the build did: the data the snapshot was built from."""
    if not finished:
        return None
    for r in runs:  # newest first
        if r.finished_at is not None and r.status != "failed" and _iso(r.finished_at) <= finished:
            return str(r.id)
    return None


def _iso(at: Any) -> str:
    from datetime import UTC

    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return str(at.astimezone(UTC).isoformat())


def _run(r: Any) -> IngestRunRow:
    return {"id": r.id, "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at) if r.finished_at else None,
            "source": r.source, "status": r.status, "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
            "rows_quarantined": r.rows_quarantined}
