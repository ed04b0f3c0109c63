"""finecrm scorecard as a script runs it: train --json, list, activate, score to a file, export SQL that runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from tests.cli.shell import run
from tests.ml.scorecard_data import applicants

RISK = {"FINECRM_CLI_ROLE": "risk_officer"}


def test_scorecard_commands_end_to_end(tmp_path: Path):
    home = str(tmp_path / "ws")
    assert run("init", "--home", home).returncode == 0
    x, y = applicants(1200, seed=5)
    df = x.assign(outcome=np.where(y == 1, "B", "G"))
    df.to_csv(tmp_path / "loans.csv", index=False)
    res = run("scorecard", "train", "--table", str(tmp_path / "loans.csv"), "--target", "outcome", "--bad-value", "B",
              "--special-value", "-999", "--pdo", "40", "--json", "--home", home, env=RISK)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["id"] == "sc001" and doc["params"]["pdo"] == 40 and doc["validation"]["auc"] > 0.65
    assert doc["inputs"]["bads"] == int(y.sum())
    listed = json.loads(run("scorecard", "list", "--json", "--home", home, env=RISK).stdout)
    assert [r["id"] for r in listed] == ["sc001"]
    assert run("scorecard", "activate", "sc001", "--home", home, env=RISK).returncode == 0
    df.drop(columns=["outcome"]).head(100).to_csv(tmp_path / "new.csv", index=False)
    res = run("scorecard", "score", "1", "--table", str(tmp_path / "new.csv"), "--out", str(tmp_path / "s.xlsx"),
              "--home", home, env=RISK)
    assert res.returncode == 0, res.stderr
    scored = pd.read_excel(tmp_path / "s.xlsx")
    assert len(scored) == 100 and {"score 评分", "grade 等级", "reason_1 原因"} <= set(scored.columns)
    # the exported SQL, as printed, runs in DuckDB and gives the scores the file got
    res = run("scorecard", "export", "sc001", "--sql", "--home", home, env=RISK)
    assert res.returncode == 0, res.stderr
    con = duckdb.connect()
    con.execute(f"CREATE TABLE applicants AS SELECT * FROM read_csv('{tmp_path / 'new.csv'}')")
    got = con.execute(res.stdout).df()
    assert np.array_equal(got["score"].to_numpy(), scored["score 评分"].to_numpy())
    # errors are one line, no traceback; a role without the action is refused
    res = run("scorecard", "train", "--table", str(tmp_path / "loans.csv"), "--target", "nope", "--home", home, env=RISK)
    assert res.returncode == 2 and "no column 'nope'" in res.stderr and "Traceback" not in res.stderr
    res = run("scorecard", "show", "sc001", "--home", home, env={"FINECRM_CLI_ROLE": "collector"})
    assert res.returncode == 77
