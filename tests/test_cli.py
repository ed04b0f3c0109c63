"""The command line as a script uses it: --json gives one document, exit codes mean something."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.contract.bank import clean_bank, write_bank

FINECRM = [sys.executable, "-m", "finecrm.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*FINECRM, *args], capture_output=True, text=True, env=full_env, timeout=300)


def test_init_and_ingest_with_json(tmp_path: Path):
    home = tmp_path / "ws"
    res = run("init", "--home", str(home), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["config_created"] is True and (home / "finecrm.yaml").is_file()
    write_bank(tmp_path / "in", clean_bank())
    res = run("ingest", str(tmp_path / "in"), "--json", env={"FINECRM_HOME": str(home)})
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)  # exactly one JSON document on stdout
    assert report["status"] == "ok" and report["totals"]["read"] == report["totals"]["accepted"] > 0


def test_human_output_and_progress_go_to_the_right_streams(tmp_path: Path):
    home = tmp_path / "ws"
    run("init", "--home", str(home))
    write_bank(tmp_path / "in", clean_bank())
    res = run("ingest", str(tmp_path / "in"), "--home", str(home))
    assert res.returncode == 0
    assert "accepted" in res.stdout and "validating" in res.stderr
    quiet = run("ingest", str(tmp_path / "in"), "--home", str(home), "--quiet")
    assert "validating" not in quiet.stderr


def test_unusable_table_exits_1_with_a_reason(tmp_path: Path):
    home = tmp_path / "ws"
    run("init", "--home", str(home))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "branches.csv").write_text("branch_id,name\nHO,总行\n")
    res = run("ingest", str(tmp_path / "in"), "--home", str(home))
    assert res.returncode == 1
    assert "level" in res.stderr and "unusable" in res.stderr


def test_not_a_workspace_exits_2_without_traceback(tmp_path: Path):
    res = run("ingest", str(tmp_path), "--home", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "finecrm init" in res.stderr and "Traceback" not in res.stderr


def test_config_error_names_file_and_key(tmp_path: Path):
    home = tmp_path / "ws"
    run("init", "--home", str(home))
    cfg = home / "finecrm.yaml"
    cfg.write_text(cfg.read_text().replace("keep_snapshots: 5", "keep_snapshots: lots"))
    res = run("ingest", str(tmp_path), "--home", str(home))
    assert res.returncode == 2 and "finecrm.yaml" in res.stderr and "warehouse.keep_snapshots" in res.stderr


def test_every_command_has_help():
    for args in (["--help"], ["init", "--help"], ["generate", "--help"], ["ingest", "--help"],
                 ["contract", "--help"], ["contract", "docs", "--help"], ["contract", "show", "--help"]):
        res = run(*args)
        assert res.returncode == 0 and "Usage" in res.stdout, args


def test_contract_show_json():
    res = run("contract", "show", "customers", "--json")
    doc = json.loads(res.stdout)
    assert doc[0]["key"] == ["customer_id"] and doc[0]["columns"][1]["codes"]["individual"] == "个人"
