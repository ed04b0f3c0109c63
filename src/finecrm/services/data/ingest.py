"""The ingest use case: run it, save the report, record the run and an audit event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finecrm.contract.ingest import IngestOptions, run_ingest
from finecrm.core.progress import SILENT, Progress
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.db.models import IngestRun
from finecrm.db.session import make_engine, session_factory
from finecrm.services.workspace import cli_actor


def new_ingest_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def ingest(
    ws: Workspace,
    input_dir: Path,
    *,
    mapping_dir: Path | None = None,
    progress: Progress = SILENT,
    actor: str | None = None,
) -> dict[str, Any]:
    """Ingest ``input_dir`` into the workspace; returns the report (also saved as JSON)."""
    started = datetime.now(UTC)
    ingest_id = new_ingest_id(started)
    s = ws.settings.ingest
    report = run_ingest(
        input_dir.resolve(),
        raw=ws.raw,
        quarantine_root=ws.quarantine,
        ingest_id=ingest_id,
        mapping_dir=mapping_dir.resolve() if mapping_dir else None,
        options=IngestOptions(delimiter=s.delimiter, encoding=s.encoding, earliest=s.earliest_date,
                              examples=s.report_examples, memory_limit=s.memory_limit),
        progress=progress,
        work_root=ws.warehouse,
    )
    finished = datetime.now(UTC)
    report["started_at"] = started.isoformat()
    report["finished_at"] = finished.isoformat()
    ws.ingests.mkdir(parents=True, exist_ok=True)
    report_path = ws.ingests / f"{ingest_id}.json"
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    report["report_file"] = str(report_path)

    engine = make_engine(ws.database_url)
    with session_factory(engine)() as session, session.begin():
        repositories.save_ingest_run(
            session,
            run=IngestRun(
                id=ingest_id, started_at=started, finished_at=finished, source=str(input_dir),
                mapping=str(mapping_dir) if mapping_dir else None, status=report["status"],
                rows_read=report["totals"]["read"], rows_accepted=report["totals"]["accepted"],
                rows_quarantined=report["totals"]["quarantined"],
                report={k: v for k, v in report.items() if k != "tables"} | {
                    "tables": {n: {k: v for k, v in t.items() if k != "examples"} for n, t in report["tables"].items()}
                },
            ),
        )
        repositories.record_audit(
            session, actor=actor or cli_actor(), action="run_ingest", target=str(input_dir),
            details={"ingest_id": ingest_id, "status": report["status"], "totals": report["totals"]},
        )
    engine.dispose()
    return report
