"""A build on a bad day: killed at named moments, a full disk, a read-only workspace — real processes.

Each case shows the published snapshot unchanged (its id and the checksum of every file in it) or the
refusal, nothing left behind, and the next build succeeding. Mounts need root (CI runs as root);
without it those tests skip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from finecrm.engine import snapshots
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate
from tests.cli.shell import run
from tests.contract.procs import mounted, start_paused

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small-bank") / "bank"
    generate(out, customers=300, months=6, seed=5)
    return out


@pytest.fixture
def home(small_bank, tmp_path) -> Path:
    """An ingested workspace, nothing built yet."""
    root = tmp_path / "ws"
    init_workspace(root)
    ingest(open_workspace(root), small_bank)
    return root


def build(home: Path, *extra: str):
    return run("build", "--home", str(home), "--quiet", *extra)


def published(home: Path) -> tuple[str | None, dict[str, str]]:
    """The published snapshot's id and the checksum of every file in its folder."""
    root = home / "warehouse" / "snapshots"
    build_id = snapshots.published(root)
    if build_id is None:
        return None, {}
    folder = root / build_id
    return build_id, {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "serving.lock"}


def leftovers(home: Path) -> list[str]:
    """What a build may leave when it dies or fails: its folder, scratch, temporary files."""
    warehouse = home / "warehouse"
    found = [p.name for p in (warehouse / "snapshots").glob(".building-*")]
    found += [str(p.relative_to(warehouse)) for p in (warehouse / "snapshots").rglob("serving.tmp*")]
    found += [str(p.relative_to(warehouse)) for p in (warehouse / "snapshots").glob("*.tmp")]
    found += [str(p.relative_to(warehouse)) for p in (warehouse / "tmp").glob("build-*")]
    return sorted(found)


def listed(home: Path) -> list[str]:
    res = run("snapshots", "list", "--home", str(home), "--json")
    assert res.returncode == 0, res.stderr
    return [s["build_id"] for s in json.loads(res.stdout)]


def one_clean_line(stderr: str) -> str:
    """The command's error: one line, in Chinese and English, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert " / " in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("moment", ["build.sources", "build.publish"])
def test_a_killed_build_is_never_listed_nor_published(home, tmp_path, moment):
    """Killed holding its locks before reading (scratch made) or with its manifest written, just before the
    rename that would publish it: the folder it leaves is no snapshot one can list or roll back to."""
    assert build(home).returncode == 0
    before = published(home)
    paused = start_paused(["build", "--home", str(home), "--quiet"], moment, tmp_path / "pause")
    paused.kill()
    dead = [p.name for p in (home / "warehouse" / "snapshots").glob(".building-*")]
    assert dead, "the killed build left its folder"
    assert listed(home) == [before[0]]
    for name in (*dead, dead[0].removeprefix(".building-")):
        refused = run("snapshots", "rollback", name, "--home", str(home))
        assert refused.returncode == 2, refused.stdout
        line = one_clean_line(refused.stderr)
        assert "不能发布" in line or "不存在" in line
    assert published(home) == before
    # the next build removes what the dead one left and publishes
    nxt = build(home, "--json")
    assert nxt.returncode == 0, nxt.stderr
    assert published(home)[0] == json.loads(nxt.stdout)["build_id"] != before[0]
    assert leftovers(home) == []


def _ballast(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` until ``leave`` bytes are free."""
    path = folder / "ballast"
    free = shutil.disk_usage(folder).free
    with path.open("wb") as fh:
        fh.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = free - leave
        while remaining > 0:
            fh.write(chunk[: min(len(chunk), remaining)])
            remaining -= len(chunk)
    return path


def _used(folder: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("where", ["marts", "serving copy"])
def test_a_full_disk_never_publishes_and_leaves_nothing(home, where):
    """The snapshots folder on a small tmpfs; the disk fills while the marts are written, or after them while
    the serving copy for the pages is made (where a build used to publish anyway and exit with a traceback)."""
    snaps = home / "warehouse" / "snapshots"
    with mounted(["-t", "tmpfs", "-o", "size=24m", "tmpfs"], snaps):
        first = build(home)
        assert first.returncode == 0, first.stderr
        before = published(home)
        marts = _used(snaps / before[0] / "marts")
        ballast = _ballast(snaps, leave=64 << 10 if where == "marts" else marts + (1 << 20))
        failed = build(home, "--json")
        assert failed.returncode == 74, failed.stderr
        line = one_clean_line(failed.stderr)
        assert "磁盘空间不足" in line and "the disk is full" in line and before[0] in line
        assert ("serving copy" in line) == (where == "serving copy")
        doc = json.loads(failed.stdout)
        assert doc["status"] == "error" and doc["exit_code"] == 74 and doc["kind"] == "StorageError"
        assert published(home) == before
        assert listed(home) == [before[0]]
        assert leftovers(home) == []
        # the pages still open the published snapshot
        from finecrm.services.snapshot.serving import Serving

        assert Serving(open_workspace(home)).build_id == before[0]
        ballast.unlink()
        again = build(home)
        assert again.returncode == 0, again.stderr
        assert published(home)[0] not in (None, before[0])
        assert leftovers(home) == []


def test_a_read_only_workspace_refuses_the_build(home):
    assert build(home).returncode == 0
    before = published(home)
    with mounted(["--bind", "-o", "ro", str(home)], home):
        refused = build(home, "--json")
        assert refused.returncode == 74, refused.stderr
        line = one_clean_line(refused.stderr)
        assert "文件系统只读" in line and "read-only" in line and "make the workspace writable" in line
        doc = json.loads(refused.stdout)
        assert doc["status"] == "error" and doc["exit_code"] == 74
        assert published(home) == before
    assert published(home) == before
    again = build(home)
    assert again.returncode == 0, again.stderr
    assert published(home)[0] != before[0] and leftovers(home) == []
