"""Test-only pause points, for tests that kill or race real processes at a named moment.

Never set in production. ``FINECRM_TEST_PAUSE=<point>[@N]`` makes the N-th (default first) arrival at
``pause_point(<point>)`` write ``<point>.paused`` (holding the pid) into ``FINECRM_TEST_PAUSE_DIR`` and
wait until ``<point>.go`` appears there (or 120 s pass). A test then kills the process with SIGKILL, or
starts a second command, at exactly that moment. Points used:

* ``ingest.stored`` — after each table's new files are in the next warehouse version (N counts tables);
* ``ingest.swap`` — the next version complete, just before it replaces the current one;
* ``ingest.aside`` — a workspace from before versions: its plain ``raw`` folder moved aside, the
  link not yet in its place;
* ``ingest.committed`` — just after the swap, before the report is saved;
* ``build.sources`` — a build holding its locks, about to read the warehouse.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "FINECRM_TEST_PAUSE"
DIR_ENV = "FINECRM_TEST_PAUSE_DIR"
_seen: dict[str, int] = {}


def pause_point(name: str) -> None:
    spec = os.environ.get(PAUSE_ENV, "")
    if not spec:
        return
    point, _, nth = spec.partition("@")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] != int(nth or 1):
        return
    folder = Path(os.environ.get(DIR_ENV) or ".")
    (folder / f"{name}.paused").write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not (folder / f"{name}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
