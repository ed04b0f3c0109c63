"""The data commands as a script uses them: --json gives one document, exit codes mean something."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.shell import ANALYST, run
from tests.contract.bank import clean_bank, write_bank


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


def test_contract_show_json():
    res = run("contract", "show", "customers", "--json")
    doc = json.loads(res.stdout)
    assert doc[0]["key"] == ["customer_id"] and doc[0]["columns"][1]["codes"]["individual"] == "个人"


def test_build_snapshots_and_sql_from_the_command_line(tmp_path: Path):
    home = str(tmp_path / "ws")
    bank = str(tmp_path / "bank")
    assert run("generate", "--customers", "300", "--months", "6", "--out", bank, "--quiet").returncode == 0
    assert run("init", "--home", home).returncode == 0
    assert run("ingest", bank, "--home", home, "--quiet").returncode == 0
    res = run("build", "--home", home, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["checks_passed"] and doc["summary"]["customers"] > 250
    assert doc["marts"]["customer_360"]["rows"] == len(
        json.loads(run("sql", "SELECT customer_id FROM customer_360", "--limit", "100000", "--home", home,
                       "--json", env=ANALYST).stdout)["rows"])
    listed = json.loads(run("snapshots", "list", "--home", home, "--json").stdout)
    assert [s["build_id"] for s in listed] == [doc["build_id"]] and listed[0]["published"]
    shown = json.loads(run("snapshots", "show", "--home", home, "--json").stdout)
    assert shown["build_id"] == doc["build_id"] and "customer_360" in shown["marts"]
    refused = run("sql", "DELETE FROM customer_360", "--home", home, env=ANALYST)
    assert refused.returncode == 2 and "read-only" in refused.stderr
    bad = run("snapshots", "rollback", "nope", "--home", home)
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    human = run("build", "--home", home, "--quiet")
    assert "top-20% share of AUM" in human.stdout and "off-counter rate" in human.stdout
    # the console leaves personal data out for a role that may not reveal it (analyst)
    cols = json.loads(run("sql", "SELECT * FROM customer_360 LIMIT 1", "--home", home, "--json",
                          env=ANALYST).stdout)["columns"]
    assert "customer_id" in cols and not {"name", "phone", "id_number"} & set(cols)
    named = run("sql", "SELECT name FROM customer_360", "--home", home, env=ANALYST)
    assert named.returncode == 2 and "name" in named.stderr
