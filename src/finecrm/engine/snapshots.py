"""Snapshots: every build writes a new folder and only then flips the published pointer.

    snapshots/
      published.json              {"build_id": ...}  ← replaced atomically (os.replace)
      20261122T101500Z/           a finished build: manifest.json, marts/<mart>/*.parquet
      failed-20261122T104500Z/    a build whose checks failed, kept for inspection, never published
      .building-20261122T111500Z/ a build in progress (or one that was killed)

A snapshot is *finished* when its folder is named by a build id alone and holds a manifest whose checks
passed; only finished snapshots are listed, published and rolled back to. A build writes everything it
publishes (marts, serving copy, manifest) inside its ``.building-`` folder, renames that folder into place
and only then flips the pointer. A killed or failed build never touches ``published.json`` or a finished
folder, so the previous snapshot keeps serving; the next build removes what a dead one left
(``clean_stale``). Old snapshots are pruned to ``warehouse.keep_snapshots``; the published one is never
pruned.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finecrm.core.errors import FinecrmError

POINTER = "published.json"
MANIFEST = "manifest.json"
BUILDING = ".building-"
FAILED = "failed-"
#: What a build id looks like (``new_build_id``): the name of a finished snapshot's folder.
BUILD_ID = re.compile(r"\d{8}T\d{12}Z")
#: The serving copy's temporary files (``serving.tmp`` and DuckDB's ``serving.tmp.wal``) and its lock, as
#: ``services/snapshot/serving.py`` names them; cleaned here when a dead process left them.
SERVING_TMP = "serving.tmp"
SERVING_LOCK = "serving.lock"


def new_build_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def start(root: Path, build_id: str) -> Path:
    """The scratch folder a build writes into."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{BUILDING}{build_id}"
    folder.mkdir()
    return folder


def finish(root: Path, building: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest, move the build into place and publish it.

    Until the pointer is replaced nothing a reader sees has changed; if anything here fails, the new
    folder is removed again and the previous snapshot stays published.
    """
    from finecrm.core.testhooks import pause_point

    final = root / building.name.removeprefix(BUILDING)
    try:
        _write_synced(building / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        pause_point("build.publish")
        os.replace(building, final)
        publish(root, final.name)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        if published(root) != final.name:
            shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def is_finished(root: Path, build_id: str) -> bool:
    """A complete snapshot that may be published: a build id's folder whose manifest says its checks passed."""
    if not BUILD_ID.fullmatch(build_id) or not (root / build_id / MANIFEST).is_file():
        return False
    try:
        return json.loads((root / build_id / MANIFEST).read_text(encoding="utf-8")).get("checks_passed") is True
    except (OSError, ValueError):
        return False


def publish(root: Path, build_id: str) -> None:
    """Make ``build_id`` the published snapshot (one atomic rename of the pointer); only finished ones."""
    check_publishable(root, build_id)
    tmp = root / (POINTER + ".tmp")
    try:
        _write_synced(tmp, json.dumps({"build_id": build_id, "published_at": datetime.now(UTC).isoformat()}))
        os.replace(tmp, root / POINTER)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_publishable(root: Path, build_id: str) -> None:
    """Refuse, with a message that says why, anything but a finished snapshot."""
    if is_finished(root, build_id):
        return
    if build_id.startswith((BUILDING, FAILED)) or (BUILD_ID.fullmatch(build_id) and (root / build_id).is_dir()):
        raise FinecrmError(f"快照 {build_id} 未完成或未通过检查，不能发布 / {build_id} is not a finished snapshot "
                           "(a build in progress, a killed one, or one whose checks failed) and cannot be published; "
                           "see 'finecrm snapshots list'")
    raise FinecrmError(f"快照 {build_id} 不存在 / snapshot {build_id} does not exist (see 'finecrm snapshots list')")


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def published(root: Path) -> str | None:
    pointer = root / POINTER
    if not pointer.is_file():
        return None
    return str(json.loads(pointer.read_text(encoding="utf-8"))["build_id"])


def manifest(root: Path, build_id: str) -> dict[str, Any]:
    """The manifest of a finished snapshot, or of a failed one (kept for inspection); never of a build in progress."""
    name_ok = BUILD_ID.fullmatch(build_id) or (build_id.startswith(FAILED)
                                               and BUILD_ID.fullmatch(build_id.removeprefix(FAILED)))
    path = root / build_id / MANIFEST
    if not name_ok or not path.is_file():
        raise FinecrmError(f"快照 {build_id} 不存在 / snapshot {build_id} does not exist (see 'finecrm snapshots list')")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def list_snapshots(root: Path) -> list[dict[str, Any]]:
    """Finished snapshots (the ones that can be published), newest first, with the published one marked.

    Builds in progress or killed (``.building-…``) and builds whose checks failed (``failed-…``) are not
    snapshots one can publish, so they are not listed.
    """
    if not root.is_dir():
        return []
    current = published(root)
    out = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and is_finished(root, p.name)), reverse=True):
        m = manifest(root, folder.name)
        out.append({"build_id": folder.name, "published": folder.name == current, "as_of": m.get("as_of"),
                    "engine": m.get("engine"), "finished_at": m.get("finished_at"),
                    "checks_passed": m.get("checks_passed")})
    return out


def mart_path(root: Path, build_id: str, mart: str) -> Path:
    return root / build_id / "marts" / mart


def prune(root: Path, keep: int) -> list[str]:
    """Delete finished snapshots beyond the newest ``keep`` (never the published one) and stale scratch."""
    removed: list[str] = []
    current = published(root)
    finished = [s["build_id"] for s in list_snapshots(root)]
    for build_id in finished[keep:]:
        if build_id != current:
            shutil.rmtree(root / build_id, ignore_errors=True)
            removed.append(build_id)
    return removed


def clean_stale(root: Path, *, except_id: str | None = None) -> list[str]:
    """Remove what builds that died left behind (called at the start of a new build, under the build lock).

    Their ``.building-`` folders, a half-written pointer, and the temporary files of a serving copy that
    was being made in a finished snapshot when its process died (a copy being made now holds its
    ``serving.lock``, and is left alone).
    """
    import fcntl

    removed: list[str] = []
    if not root.is_dir():
        return removed
    current = published(root)
    for p in root.iterdir():
        if p.name.startswith(BUILDING) and p.name != f"{BUILDING}{except_id}" and p.name != current:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    pointer_tmp = root / (POINTER + ".tmp")
    if pointer_tmp.exists():
        pointer_tmp.unlink(missing_ok=True)
        removed.append(pointer_tmp.name)
    for folder in root.iterdir():
        leftovers = list(folder.glob(SERVING_TMP + "*")) if folder.is_dir() else []
        if not leftovers:
            continue
        with (folder / SERVING_LOCK).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a reader is making this copy right now
            for f in leftovers:
                f.unlink(missing_ok=True)
                removed.append(f"{folder.name}/{f.name}")
    return removed
