"""Real ``finecrm`` processes for the reliability tests: paused at a named moment, killed, raced.

The pause points are the test-only hook of ``finecrm.core.testhooks`` (FINECRM_TEST_PAUSE).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.shell import FINECRM


def digest(raw: Path) -> dict[str, str]:
    """Checksum of every stored file, as the readers see it (through warehouse/raw)."""
    return {str(p.relative_to(raw)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(raw.rglob("*.parquet"))}


def leftovers(warehouse: Path) -> list[str]:
    """What an interrupted ingest may leave: scratch folders, unfinished versions, temporary files."""
    found = [p.name for p in warehouse.glob("finecrm-ingest-*")]
    versions = warehouse / "raw-versions"
    if versions.is_dir():
        found += [p.name for p in versions.iterdir() if p.name.startswith(".")]
    found += [str(p.relative_to(warehouse)) for p in warehouse.rglob("*.tmp")]
    return sorted(found)


class Paused:
    """A command started with a pause point, waiting there."""

    def __init__(self, proc: subprocess.Popen[str], folder: Path, point: str) -> None:
        self.proc, self.folder, self.point = proc, folder, point

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.wait(timeout=30)

    def resume(self) -> tuple[int, str, str]:
        (self.folder / f"{self.point}.go").touch()
        out, err = self.proc.communicate(timeout=300)
        return self.proc.returncode, out, err


def start_paused(args: list[str], point: str, folder: Path, *, env: dict[str, str] | None = None) -> Paused:
    """Start ``finecrm <args>`` and wait until it reaches ``point`` (``name`` or ``name@N``)."""
    name = point.partition("@")[0]
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (folder / f"{name}.paused", folder / f"{name}.go"):
        stale.unlink(missing_ok=True)
    full_env = {**os.environ, **(env or {}), "FINECRM_TEST_PAUSE": point, "FINECRM_TEST_PAUSE_DIR": str(folder)}
    proc = subprocess.Popen([*FINECRM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env)
    deadline = time.monotonic() + 120
    while not (folder / f"{name}.paused").exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"finecrm {' '.join(args)} ended (exit {proc.returncode}) before reaching {point}:\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"finecrm {' '.join(args)} did not reach {point} in 120 s")
        time.sleep(0.02)
    return Paused(proc, folder, name)


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs or a read-only bind mount needs root (CI runs as root)")


@contextmanager
def mounted(args: list[str], target: Path) -> Iterator[Path]:
    """``mount <args> <target>``, unmounted afterwards whatever happens."""
    need_root()
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"mount {' '.join(args)} {target} failed: {done.stderr}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)
