"""The ingest on a bad day, with real processes: killed with SIGKILL at named moments of its commit, two
at once, an ingest against a build, a failing input, a full disk (a small tmpfs), a read-only workspace
(a read-only bind mount). Each shows the warehouse unchanged (checksums of every stored file) or moved
as a whole, or the refusal, and the next run succeeding with nothing left behind."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate
from tests.cli.shell import run

from .bank import clean_bank, write_bank
from .procs import digest, leftovers, mounted, start_paused


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    """Bank A (three months to June) loaded into a template workspace; bank B (a later export, three
    months to September); and the warehouse B leaves when nothing goes wrong."""
    root = tmp_path_factory.mktemp("banks")
    generate(root / "A", customers=300, months=3, seed=3, as_of=date(2026, 6, 30))
    generate(root / "B", customers=300, months=3, seed=4, as_of=date(2026, 9, 30))
    init_workspace(root / "template")
    ingest(open_workspace(root / "template"), root / "A")
    expected = root / "expected"
    shutil.copytree(root / "template", expected, symlinks=True)
    ingest(open_workspace(expected), root / "B")
    return {"A": root / "A", "B": root / "B", "template": root / "template",
            "after_a": digest(open_workspace(root / "template").raw),
            "after_b": digest(open_workspace(expected).raw)}


def workspace_after_a(banks, tmp_path: Path):
    home = tmp_path / "ws"
    shutil.copytree(banks["template"], home, symlinks=True)
    return open_workspace(home)


@pytest.mark.parametrize("point", ["ingest.stored@5", "ingest.swap", "ingest.committed"])
def test_a_kill_during_the_commit_leaves_one_whole_version(banks, tmp_path, point):
    ws = workspace_after_a(banks, tmp_path)
    assert banks["after_a"] != banks["after_b"]
    paused = start_paused(["ingest", str(banks["B"]), "--home", str(ws.home), "--quiet"], point, tmp_path / "p")
    paused.kill()
    after_kill = digest(ws.raw)
    if point == "ingest.committed":
        assert after_kill == banks["after_b"], "killed after the swap: the new version, whole"
    else:
        assert after_kill == banks["after_a"], "killed before the swap: the old version, untouched"
        assert leftovers(ws.warehouse), "the kill left its scratch behind (the next run must clean it)"
    # the next run cleans up and succeeds
    res = run("ingest", str(banks["B"]), "--home", str(ws.home), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert digest(ws.raw) == banks["after_b"]
    assert leftovers(ws.warehouse) == []
    if point == "ingest.committed":
        # the killed ingest had stored its data but not its report: the next one saved it
        saved = [json.loads(p.read_text()) for p in ws.ingests.glob("*.json")]
        assert [r["ingest_id"] for r in saved if r.get("recovered")], report["cleaned"]
    else:
        assert any("finecrm-ingest-" in c for c in report["cleaned"])


def test_a_kill_while_a_workspace_from_before_versions_is_moved_aside(banks, tmp_path):
    ws = workspace_after_a(banks, tmp_path)
    # the layout earlier finecrm versions wrote: raw/ a plain folder, with a .tmp a killed ingest left
    plain = ws.warehouse / "plain"
    shutil.copytree(ws.raw.resolve(), plain)
    ws.raw.unlink()
    shutil.rmtree(ws.warehouse / "raw-versions")
    plain.rename(ws.raw)
    (ws.raw / "customers" / "data.parquet.tmp").write_bytes(b"half a file")
    paused = start_paused(["ingest", str(banks["B"]), "--home", str(ws.home), "--quiet"], "ingest.aside",
                          tmp_path / "p")
    paused.kill()
    assert not ws.raw.exists(), "killed between the two renames"
    # a build now refuses plainly instead of publishing nothing or a mix
    refused = run("build", "--home", str(ws.home))
    assert refused.returncode == 2 and "customers" in refused.stderr and "Traceback" not in refused.stderr
    res = run("ingest", str(banks["B"]), "--home", str(ws.home), "--json")
    assert res.returncode == 0, res.stderr
    assert "restored raw" in " ".join(json.loads(res.stdout)["cleaned"])
    assert digest(ws.raw) == banks["after_b"] and leftovers(ws.warehouse) == []


def test_a_build_reads_the_version_it_started_with(banks, tmp_path):
    from finecrm.engine.backends import connect
    from finecrm.engine.sources import load_sources

    ws = workspace_after_a(banks, tmp_path)

    def names(table) -> list[tuple[str, str]]:
        return sorted(zip(*(table.column(c).to_pylist() for c in ("customer_id", "name")), strict=True))

    a_names = names(pq.read_table(ws.raw / "customers" / "data.parquet"))
    backend = connect("duckdb", tmp_path / "engine")
    try:
        sources, _ = load_sources(backend, ws.raw)
        ingest(ws, banks["B"])  # the warehouse moves on while the tables are open
        assert digest(ws.raw) == banks["after_b"]
        assert names(pq.read_table(ws.raw / "customers" / "data.parquet")) != a_names
        assert names(sources["customers"].select("customer_id", "name").to_pyarrow()) == a_names
    finally:
        backend.close()


@pytest.mark.slow
def test_two_ingests_at_once_and_an_ingest_against_a_build(banks, tmp_path):
    ws = workspace_after_a(banks, tmp_path)
    home = str(ws.home)
    first = start_paused(["ingest", str(banks["B"]), "--home", home, "--quiet"], "ingest.stored@1",
                         tmp_path / "p")
    second = run("ingest", str(banks["A"]), "--home", home, "--json")
    assert second.returncode == 75 and "another ingest is running in this workspace" in second.stderr
    assert json.loads(second.stdout)["status"] == "error"  # --json: one document, also on failure
    build = run("build", "--home", home)
    assert build.returncode == 75 and "an ingest is running in this workspace" in build.stderr
    code, _, err = first.resume()
    assert code == 0, err
    assert digest(ws.raw) == banks["after_b"] and leftovers(ws.warehouse) == []
    # a build holds the warehouse as well: an ingest is refused while it reads
    building = start_paused(["build", "--home", home, "--quiet"], "build.sources", tmp_path / "p")
    during = run("ingest", str(banks["A"]), "--home", home)
    assert during.returncode == 75 and "a build is running in this workspace" in during.stderr
    assert "Traceback" not in during.stderr
    code, _, err = building.resume()
    assert code == 0, err
    assert digest(ws.raw) == banks["after_b"]
    assert run("ingest", str(banks["B"]), "--home", home, "--quiet").returncode == 0


def test_a_failed_ingest_changes_nothing(banks, tmp_path):
    ws = workspace_after_a(banks, tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(banks["B"], bad)
    # branches, staff, grids and products are fine; accounts lack a required column: the table is unusable
    accounts = pq.read_table(bad / "accounts").drop_columns(["currency"])
    shutil.rmtree(bad / "accounts")
    pq.write_table(accounts, bad / "accounts.parquet")
    res = run("ingest", str(bad), "--home", str(ws.home), "--json")
    assert res.returncode == 1
    report = json.loads(res.stdout)
    assert report["status"] == "failed" and report["committed"] is False and "accounts" in report["unusable"]
    assert "nothing was stored" in report["warnings"][0]
    assert digest(ws.raw) == banks["after_a"] and leftovers(ws.warehouse) == []
    # the reasons are kept for the operator: report and quarantine of the failed run
    assert Path(report["report_file"]).is_file()
    assert run("ingest", str(banks["B"]), "--home", str(ws.home), "--quiet").returncode == 0
    assert digest(ws.raw) == banks["after_b"]


def test_a_corrupt_parquet_file_is_a_clear_error(banks, tmp_path):
    ws = workspace_after_a(banks, tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(banks["B"], bad)
    part = sorted((bad / "transactions").glob("*.parquet"))[0]
    data = bytearray(part.read_bytes())
    data[200:4000] = bytes(len(data[200:4000]))  # the data pages, not the footer: "Out of buffer" when read
    part.write_bytes(bytes(data))
    res = run("ingest", str(bad), "--home", str(ws.home), "--json")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    report = json.loads(res.stdout)
    assert report["unusable"] == ["transactions"]
    assert "damaged" in report["tables"]["transactions"]["error"] and part.name in report["tables"]["transactions"][
        "error"]
    assert digest(ws.raw) == banks["after_a"]


def test_a_full_disk_changes_nothing_and_says_so(tmp_path):
    small = clean_bank(n_customers=8)
    write_bank(tmp_path / "small", small)
    big = tmp_path / "big"
    generate(big, customers=2000, months=12, seed=5, as_of=date(2026, 9, 30))
    with mounted(["-t", "tmpfs", "-o", "size=12m", "tmpfs"], tmp_path / "disk") as disk:
        home = disk / "ws"
        init_workspace(home)
        assert run("ingest", str(tmp_path / "small"), "--home", str(home), "--quiet").returncode == 0
        ws = open_workspace(home)
        before = digest(ws.raw)
        res = run("ingest", str(big), "--home", str(home), "--json")
        assert res.returncode == 74, res.stderr
        assert "磁盘空间不足" in res.stderr and "the disk is full" in res.stderr and "nothing was changed" in res.stderr
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert json.loads(res.stdout)["kind"] == "StorageError"
        assert digest(ws.raw) == before and leftovers(ws.warehouse) == []
        # with room again, the same ingest succeeds
        import subprocess

        subprocess.run(["mount", "-o", "remount,size=400m", str(disk)], check=True)
        assert run("ingest", str(big), "--home", str(home), "--quiet").returncode == 0
        assert digest(ws.raw) != before


def test_a_read_only_workspace_is_a_clear_error(banks, tmp_path):
    ws = workspace_after_a(banks, tmp_path)
    before = digest(ws.raw)
    with mounted(["--bind", "-o", "ro", str(ws.home)], tmp_path / "ro") as ro:
        res = run("ingest", str(banks["B"]), "--home", str(ro), "--json")
        assert res.returncode == 74, res.stderr
        assert "文件系统只读" in res.stderr and "read-only" in res.stderr and "nothing was changed" in res.stderr
        assert "Traceback" not in res.stderr
        assert json.loads(res.stdout)["status"] == "error"
    assert digest(ws.raw) == before
    assert run("ingest", str(banks["B"]), "--home", str(ws.home), "--quiet").returncode == 0
    assert digest(ws.raw) == banks["after_b"]
