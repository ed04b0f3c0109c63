"""Snapshots: every build writes a new folder and only then flips the published pointer.

    snapshots/
      published.json              {"build_id": ...}  ← replaced atomically (os.replace)
      20261122T101500Z/           a finished build: manifest.json, marts/<mart>/*.parquet
      .building-20261122T111500Z/ a build in progress (or one that was killed)

A killed or failed build never touches ``published.json`` or a finished folder, so the previous
snapshot keeps serving. Old snapshots are pruned to ``warehouse.keep_snapshots``; the published one
is never pruned.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finecrm.core.errors import FinecrmError

POINTER = "published.json"
MANIFEST = "manifest.json"
BUILDING = ".building-"


def new_build_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def start(root: Path, build_id: str) -> Path:
    """The scratch folder a build writes into."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{BUILDING}{build_id}"
    folder.mkdir()
    return folder


def finish(root: Path, building: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest, move the build into place and publish it."""
    (building / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                     encoding="utf-8")
    final = root / building.name.removeprefix(BUILDING)
    os.replace(building, final)
    publish(root, final.name)
    return final


def publish(root: Path, build_id: str) -> None:
    if not (root / build_id / MANIFEST).is_file():
        raise FinecrmError(f"snapshot {build_id} does not exist (see 'finecrm snapshots list')")
    tmp = root / (POINTER + ".tmp")
    tmp.write_text(json.dumps({"build_id": build_id, "published_at": datetime.now(UTC).isoformat()}),
                   encoding="utf-8")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)


def published(root: Path) -> str | None:
    pointer = root / POINTER
    if not pointer.is_file():
        return None
    return str(json.loads(pointer.read_text(encoding="utf-8"))["build_id"])


def manifest(root: Path, build_id: str) -> dict[str, Any]:
    path = root / build_id / MANIFEST
    if not path.is_file():
        raise FinecrmError(f"snapshot {build_id} does not exist (see 'finecrm snapshots list')")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def list_snapshots(root: Path) -> list[dict[str, Any]]:
    """Finished snapshots, newest first, with the published one marked."""
    if not root.is_dir():
        return []
    current = published(root)
    out = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file()), reverse=True):
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
    """Remove scratch folders of builds that died (called at the start of a new build)."""
    removed = []
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith(BUILDING) and p.name != f"{BUILDING}{except_id}":
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
    return removed
