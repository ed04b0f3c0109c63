"""finecrm campaign create / list / show / assign / detect / evaluate / export, as a script uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.shell import ANALYST, run
from tests.conftest import copy_home
from tests.services.campaigns.bank import campaign_bank  # noqa: F401


@pytest.fixture
def home(campaign_bank, tmp_path) -> str:  # noqa: F811
    """A copy of the generated bank's workspace (built as of 2026-09-30), with its own database."""
    target = tmp_path / "ws"
    copy_home(campaign_bank.late.home, target)
    return str(target)


def test_a_campaign_from_the_command_line(home: str, tmp_path: Path):
    create = ["campaign", "create", "秋季信用卡", "--target", "credit_card", "--channel", "phone", "--start",
              "2026-06-01", "--end", "2026-06-30", "--cap", "400", "--control-share", "0.25", "--seed", "7",
              "--cost-per-contact", "6", "--home", home]
    res = run(*create, "--json", env=ANALYST)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    cid = str(doc["id"])
    assert doc["seed"] == 7 and doc["details"]["counts"]["members"] == 400 and doc["offer_product"] == "CC01"

    again = run(*create, env=ANALYST)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr

    listed = json.loads(run("campaign", "list", "--json", "--home", home, env=ANALYST).stdout)
    assert [d["id"] for d in listed] == [doc["id"]]
    shown = json.loads(run("campaign", "show", cid, "--json", "--home", home, env=ANALYST).stdout)
    assert shown["counts"]["members"] == 400 and shown["counts"]["arms"]["control"]["members"] == 100

    assigned = run("campaign", "assign", cid, "--json", "--home", home, env=ANALYST)
    assert assigned.returncode == 0, assigned.stderr
    a = json.loads(assigned.stdout)
    assert a["assigned"] > 0 and a["assigned"] + a["unassigned"] == 300

    detected = json.loads(run("campaign", "detect", cid, "--json", "--home", home, env=ANALYST).stdout)
    assert detected["window"] == {"start": "2026-06-01", "end": "2026-09-28", "horizon_days": 90}
    assert detected["complete"] is True and detected["members"] == 400

    res = run("campaign", "evaluate", cid, "--json", "--home", home, env=ANALYST)
    assert res.returncode == 0, res.stderr
    ev = json.loads(res.stdout)
    arms = {x["arm"]: x for x in ev["arms"]}
    assert arms["treatment"]["customers"] == 300 and arms["control"]["customers"] == 100
    assert arms["treatment"]["conversions"] + arms["control"]["conversions"] == sum(detected["converted"].values())
    assert ev["comparison"]["total_cost"] == pytest.approx(6 * 300)
    assert ev["before_after"]["label"]["en"].startswith("descriptive")

    human = run("campaign", "evaluate", cid, "--home", home, env=ANALYST)
    assert human.returncode == 0 and "探索性" in human.stdout and "描述性" in human.stdout

    xlsx = tmp_path / "out" / "evaluation.xlsx"
    res = run("campaign", "export", cid, "--output", str(xlsx), "--json", "--home", home, env=ANALYST)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == 400 and xlsx.stat().st_size > 0

    audit = run("sql", "SELECT 1", "--home", home, env=ANALYST)  # the workspace still answers
    assert audit.returncode == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home}/finecrm.db")
    with engine.connect() as c:
        actions = [r[0] for r in c.execute(text("SELECT action FROM audit_events WHERE target LIKE 'campaign:%' "
                                                "ORDER BY id"))]
    engine.dispose()
    assert actions == ["campaign_create", "campaign_assign", "campaign_detect", "export_list"]


def test_bad_options_are_explained(home: str):
    base = ["campaign", "create", "x", "--target", "wealth", "--channel", "phone", "--home", home]
    res = run(*base, "--start", "2026-13-01", "--end", "2026-12-31", env=ANALYST)
    assert res.returncode == 2 and "--start" in res.stderr and "Traceback" not in res.stderr
    res = run(*base, "--start", "2026-10-01", "--end", "2026-10-31", "--audience", "one", env=ANALYST)
    assert res.returncode == 2 and "--audience" in res.stderr
    res = run("campaign", "show", "42", "--home", home, env=ANALYST)
    assert res.returncode == 2 and "42" in res.stderr


def test_campaign_commands_need_the_same_actions_as_the_pages(home: str, tmp_path: Path):
    lobby = {"FINECRM_CLI_ROLE": "lobby_manager"}
    for args in (["create", "x", "--target", "wealth", "--channel", "sms", "--start", "2026-10-01", "--end",
                  "2026-10-02"], ["list"], ["show", "1"], ["assign", "1"], ["detect", "1"], ["evaluate", "1"],
                 ["export", "1", "--output", str(tmp_path / "x.xlsx")]):
        res = run("campaign", *args, "--home", home, env=lobby)
        assert res.returncode == 77, (args, res.stderr)
        help_ = run("campaign", args[0], "--help")
        assert help_.returncode == 0 and "Usage" in help_.stdout


def test_closing_and_cancelling_from_the_command_line(home: str):
    def create(name: str, start: str, end: str) -> str:
        res = run("campaign", "create", name, "--target", "credit_card", "--channel", "sms", "--start", start,
                  "--end", end, "--cap", "50", "--json", "--home", home, env=ANALYST)
        assert res.returncode == 0, res.stderr
        return str(json.loads(res.stdout)["id"])

    started = create("已开始的活动", "2026-06-01", "2026-06-30")  # over before today: closing keeps its end
    future = create("明年的活动", "2099-01-01", "2099-01-31")
    assert run("campaign", "close", started, "--home", home, env=ANALYST).returncode == 2  # --reason is required
    res = run("campaign", "close", started, "--reason", "活动期已过", "--json", "--home", home, env=ANALYST)
    assert res.returncode == 0, res.stderr
    closed = json.loads(res.stdout)
    assert closed["status"] == "closed" and closed["reason"] == "活动期已过" and closed["end_date_was"] == "2026-06-30"
    again = run("campaign", "close", started, "--reason", "再次", "--home", home, env=ANALYST)
    assert again.returncode == 2 and "already closed" in again.stderr and "Traceback" not in again.stderr
    assert run("campaign", "close", future, "--reason", "x", "--home", home, env=ANALYST).returncode == 2
    res = run("campaign", "cancel", future, "--reason", "预算取消", "--home", home, env=ANALYST)
    assert res.returncode == 0 and "已取消" in res.stdout, res.stderr
    shown = json.loads(run("campaign", "show", future, "--json", "--home", home, env=ANALYST).stdout)
    assert shown["status"] == "cancelled" and shown["details"]["closing"]["reason"] == "预算取消"
    assert run("campaign", "cancel", "999999", "--reason", "x", "--home", home, env=ANALYST).returncode != 0
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home}/finecrm.db")
    with engine.connect() as c:
        ended = [tuple(r) for r in c.execute(text(
            "SELECT action, target FROM audit_events WHERE action IN ('campaign_close', 'campaign_cancel') ORDER BY id"))]
    engine.dispose()
    assert ended == [("campaign_close", f"campaign:{started}"), ("campaign_cancel", f"campaign:{future}")]
