"""The ingest use case: hold the warehouse, tidy what a killed run left, run it, save the report, record
the run and an audit event.

Order matters for "nothing lost, nothing half-done": the lock first (an ingest and a build exclude each
other), then the tidy-up (only the lock's holder may remove scratch folders), then the ingest, whose
last step moves the warehouse to its new version; the report is saved after that. Were the process
killed between the move and the report, the next ingest saves the report from the version's own
``VERSION.json``.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from finecrm.contract import store
from finecrm.contract.ingest import IngestOptions, clean_work_folders, required_tables, run_ingest
from finecrm.contract.validation import ValueRules
from finecrm.core.errors import StorageError, storage_error
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
    replace_periods: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Ingest ``input_dir`` into the workspace; returns the report (also saved as JSON).

    Raises BusyError when an ingest or a build is running, StorageError when the disk refuses.
    """
    started = datetime.now(UTC)
    ingest_id = new_ingest_id(started)
    s = ws.settings.ingest
    options = IngestOptions(
        delimiter=s.delimiter, encoding=s.encoding, earliest=s.earliest_date, examples=s.report_examples,
        memory_limit=s.memory_limit, rules=ValueRules(max_field_chars=s.max_field_chars, round_money=s.round_money),
        period_shrink_limit=s.period_shrink_limit, replace_periods=replace_periods,
    )
    try:
        with store.warehouse_lock(ws.raw, "ingest"):
            cleaned = tidy(ws, actor=actor)
            report = run_ingest(
                input_dir.resolve(), raw=ws.raw, quarantine_root=ws.quarantine, ingest_id=ingest_id,
                mapping_dir=mapping_dir.resolve() if mapping_dir else None, options=options, progress=progress,
                work_root=ws.warehouse,
            )
            report["cleaned"] = cleaned
            report["started_at"] = started.isoformat()
            report["finished_at"] = datetime.now(UTC).isoformat()
            try:
                _save(ws, report, input_dir, mapping_dir, actor)
            except (OSError, OperationalError) as exc:
                raise _save_failed(exc, report) from None
    except OSError as exc:  # the lock or the tidy-up: nothing was changed
        raise storage_error(exc, f"ingesting into {ws.warehouse}") from None
    return report


def _save_failed(exc: OSError | OperationalError, report: dict[str, Any]) -> StorageError:
    outcome = (("数据已导入，但报告未能保存（下次导入时补存）",
                f"the data was stored (warehouse version {report['ingest_id']}) but its report was not; the "
                "next ingest saves it from the version's VERSION.json")
               if report.get("committed") else ("未做任何更改", "nothing was changed"))
    if isinstance(exc, OSError):
        return storage_error(exc, "saving the ingest report", outcome)
    return StorageError(f"业务库写入失败，{outcome[0]} / the database refused the ingest record ({exc.orig}): "
                        f"{outcome[1]}; check its disk and run the ingest again")


def _save(ws: Workspace, report: dict[str, Any], input_dir: Path | str, mapping_dir: Path | str | None,
          actor: str | None) -> None:
    ws.ingests.mkdir(parents=True, exist_ok=True)
    report_path = ws.ingests / f"{report['ingest_id']}.json"
    tmp = report_path.with_name(report_path.name + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(report_path)
    report["report_file"] = str(report_path)

    engine = make_engine(ws.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            repositories.save_ingest_run(
                session,
                run=IngestRun(
                    id=report["ingest_id"], started_at=datetime.fromisoformat(report["started_at"]),
                    finished_at=datetime.fromisoformat(report["finished_at"]), source=str(input_dir),
                    mapping=str(mapping_dir) if mapping_dir else None, status=report["status"],
                    rows_read=report["totals"]["read"], rows_accepted=report["totals"]["accepted"],
                    rows_quarantined=report["totals"]["quarantined"],
                    report={k: v for k, v in report.items() if k != "tables"} | {
                        "tables": {n: {k: v for k, v in t.items() if k != "examples"}
                                   for n, t in report["tables"].items()}
                    },
                ),
            )
            repositories.record_audit(
                session, actor=actor or cli_actor(), action="run_ingest", target=str(input_dir),
                details={"ingest_id": report["ingest_id"], "status": report["status"], "totals": report["totals"]},
            )
    finally:
        engine.dispose()


def tidy(ws: Workspace, *, actor: str | None = None) -> list[str]:
    """Remove what killed or failed ingests left, and save the report of one killed after its commit.

    Call it holding the warehouse lock. Returns what it did, for the report.
    """
    done = store.recover(ws.raw)
    done += clean_work_folders(ws.warehouse)
    current = store.version_id(ws.raw)
    if current and not (ws.ingests / f"{current}.json").exists():
        version = json.loads((store.current_version(ws.raw) / store.VERSION_FILE).read_text(encoding="utf-8"))  # type: ignore[operator]
        report = dict(version["report"])
        missing = [n for n in required_tables() if n not in version["tables"]]
        report.update(committed=True, version=current, recovered=True, incomplete=missing,
                      finished_at=version["committed_at"], started_at=version["committed_at"])
        if missing:
            report["status"] = "incomplete"
        _save(ws, report, report["input"], report.get("mapping"), actor)
        done.append(f"saved the report of ingest {current} (killed after it stored its data)")
    if ws.quarantine.is_dir():
        for folder in sorted(ws.quarantine.iterdir()):
            if folder.is_dir() and folder.name != current and not (ws.ingests / f"{folder.name}.json").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a killed ingest's: it never reported
                done.append(f"quarantine/{folder.name}")
    if ws.ingests.is_dir():
        for leftover in ws.ingests.glob("*.tmp"):
            leftover.unlink()
            done.append(f"ingests/{leftover.name}")
    return done
