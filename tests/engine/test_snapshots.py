"""Snapshots: a killed build leaves the published one serving; rollback and pruning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from finecrm.engine import snapshots
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.snapshot.console import run_sql
from finecrm.services.workspace import init_workspace, open_workspace


@pytest.fixture
def ws(bank_dir, tmp_path):
    home = tmp_path / "ws"
    init_workspace(home)
    cfg = home / "finecrm.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("keep_snapshots: 5", "keep_snapshots: 2"),
                   encoding="utf-8")
    w = open_workspace(home)
    ingest(w, bank_dir)
    return w


def test_sigkill_during_a_build_leaves_the_published_snapshot_serving(ws):
    first = build(ws)["build_id"]
    before = run_sql(ws, "SELECT count(*), sum(aum_avg) FROM customer_360")["rows"]
    proc = subprocess.Popen([sys.executable, "-m", "finecrm.cli", "build", "--home", str(ws.home), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    caught = False
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in ws.snapshots.glob(".building-*/marts/*") if p.is_dir()]
        if partial:  # the new build has started writing marts: kill it mid-way
            os.kill(proc.pid, signal.SIGKILL)
            caught = True
            break
        time.sleep(0.01)
    proc.wait()
    assert caught, "the build finished before it could be killed"
    assert snapshots.published(ws.snapshots) == first
    assert run_sql(ws, "SELECT count(*), sum(aum_avg) FROM customer_360")["rows"] == before
    assert list(ws.snapshots.glob(".building-*")), "the killed build's scratch folder is visible"
    # the next build cleans up after the dead one and publishes
    second = build(ws)["build_id"]
    assert second != first and snapshots.published(ws.snapshots) == second
    assert not list(ws.snapshots.glob(".building-*"))


def test_rollback_and_pruning(ws):
    ids = [build(ws)["build_id"] for _ in range(3)]
    listed = [s["build_id"] for s in snapshots.list_snapshots(ws.snapshots)]
    assert listed == [ids[2], ids[1]]  # keep_snapshots: 2
    snapshots.publish(ws.snapshots, ids[1])  # roll back to the older one
    assert run_sql(ws, "SELECT 1")["snapshot"] == ids[1]
    removed = snapshots.prune(ws.snapshots, keep=1)  # would keep only the newest …
    assert removed == [] and snapshots.published(ws.snapshots) == ids[1]  # … but never the published one
    with pytest.raises(Exception, match="does not exist"):
        snapshots.publish(ws.snapshots, ids[0])  # pruned earlier


def test_concurrent_builds_are_refused(ws):
    from finecrm.engine.runner import BuildError, build_lock

    with build_lock(ws.snapshots), pytest.raises(BuildError, match="another build"):
        build(ws)


def test_failed_checks_are_not_published(ws):
    from finecrm.engine.model import BuildContext, Invariant, Model
    from finecrm.engine.runner import BuildError, run_build

    first = build(ws)["build_id"]
    broken = Model("broken_mart", "mart", ("customers",), lambda src, ctx: src["customers"].select("customer_id"),
                   "a mart whose invariant cannot hold", grain="customer", key=("customer_id",),
                   invariants=(Invariant("never", lambda t: t.customer_id.isnull(), "fails on every row"),))

    def ctx(day):
        return BuildContext(as_of=day, settings=ws.settings)

    with pytest.raises(BuildError, match="checks failed, the snapshot was not published: broken_mart: never"):
        run_build(raw=ws.raw, root=ws.snapshots, work_root=ws.warehouse / "tmp", ctx_factory=ctx,
                  models=(broken,))
    assert snapshots.published(ws.snapshots) == first
    assert [p.name for p in ws.snapshots.glob("failed-*")], "the failed build is kept for inspection"
