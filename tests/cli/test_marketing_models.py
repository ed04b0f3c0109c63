"""finecrm model …: what an analyst runs from the shell, with JSON for scripts and refusals for others."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.shell import ANALYST, run
from tests.services import propensity_bank as bank_fixture
from tests.services.propensity_bank import PropensityBank

propensity_bank = bank_fixture.propensity_bank


def test_list_show_and_activate(propensity_bank: PropensityBank):
    home = str(propensity_bank.home)
    listed = json.loads(run("model", "list", "--home", home, "--json", env=ANALYST).stdout)
    mobile = [r for r in listed if r["target"] == "mobile_banking"]
    assert sum(r["active"] for r in mobile) == 1 and mobile[0]["auc"] >= 0.75
    shown = json.loads(run("model", "show", "mobile_banking", "--home", home, "--json", env=ANALYST).stdout)
    assert shown["active"] and shown["report"]["validation"]["deciles"][0]["decile"] == 1
    human = run("model", "show", "mobile_banking", "--home", home, env={**ANALYST, "COLUMNS": "150"})
    assert human.returncode == 0 and "validation AUC" in human.stdout and "cum. capture" in human.stdout
    assert "top features" in human.stdout and "calibration" in human.stdout
    version = shown["version"]
    res = run("model", "activate", "mobile_banking", version, "--home", home, env=ANALYST)
    assert res.returncode == 0 and f"activated mobile_banking {version}" in res.stdout
    missing = run("model", "activate", "mobile_banking", "v999", "--home", home, env=ANALYST)
    assert missing.returncode == 2 and "no model mobile_banking v999" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_train_on_a_table_and_refuse_a_bad_value(propensity_bank: PropensityBank, tmp_path: Path):
    rows = ["客户号,年龄,余额,是否响应"]
    for i in range(300):
        age = 20 + i % 50
        rows.append(f"C{i:05d},{age},{(i * 7919) % 100000},{'是' if (i % 7 == 0 or age < 30) and i % 3 else '否'}")
    good = tmp_path / "responses.csv"
    good.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = run("model", "train", "--table", str(good), "--target", "是否响应", "--home", str(propensity_bank.home),
              "--json", env=ANALYST)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["metrics"]["auc"] > 0.6 and {d["column"] for d in doc["dropped"]} == {"客户号"}
    rows[41] = "C99999,33,100,maybe"  # line 42 of the file
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = run("model", "train", "--table", str(bad), "--target", "是否响应", "--home", str(propensity_bank.home),
              env=ANALYST)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "bad.csv" in res.stderr and "是否响应" in res.stderr and "line 42" in res.stderr and "maybe" in res.stderr


def test_model_commands_need_manage_models(propensity_bank: PropensityBank):
    home = str(propensity_bank.home)
    for args in (["model", "list"], ["model", "show", "wealth"], ["model", "activate", "wealth", "v001"],
                 ["model", "train", "--product", "wealth"]):
        for role in ("lobby_manager", "admin"):
            res = run(*args, "--home", home, env={"FINECRM_CLI_ROLE": role})
            assert res.returncode == 77, (args, role, res.stderr)
    both = run("model", "train", "--home", home, env=ANALYST)
    assert both.returncode == 2 and "--product" in both.stderr
