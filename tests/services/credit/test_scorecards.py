"""Scorecard use cases on a real workspace and database: train from a file (CSV in GBK, Excel), the registry,
authz, audit, batch scoring with reasons and clear errors for bad tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from finecrm.authz import Forbidden
from finecrm.db import repositories
from finecrm.services.access.principals import shell_principal
from finecrm.services.credit import registry
from finecrm.services.credit.inputs import ExportCard, InputError, ScoreBatch, TrainScorecard
from finecrm.services.credit.scorecards import (
    activate_scorecard,
    export_card,
    list_scorecards,
    score_file,
    show_scorecard,
    train_scorecard,
)
from finecrm.services.credit.table import CreditTableError
from finecrm.services.workspace import database_session
from tests.ml.scorecard_data import applicants

RISK = shell_principal("risk_officer")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A GBK-encoded CSV as a county bank would export it: Chinese headers and values, an id, a date."""
    x, y = applicants(1500, seed=3)
    df = x.rename(columns={"age": "年龄", "housing": "住房"})
    df["住房"] = df["住房"].map({"own": "自有", "rent": "租房", "family": "与家人同住", "mortgage's": "按揭"})
    df.insert(0, "客户号", [f"C{i:06d}" for i in range(len(df))])
    df["申请日期"] = pd.date_range("2025-01-01", periods=len(df), freq="6h").strftime("%Y-%m-%d")
    df["违约"] = np.where(y == 1, "坏", "好")
    path = tmp_path_factory.mktemp("credit") / "申请.csv"
    df.to_csv(path, index=False, encoding="gbk")
    return path, df


@pytest.fixture(scope="module")
def trained(table, tmp_path_factory):
    from finecrm.services.workspace import init_workspace, open_workspace

    home = tmp_path_factory.mktemp("ws") / "ws"
    init_workspace(home)
    ws = open_workspace(home)
    spec = TrainScorecard.checked(table=table[0], target="违约", special_values=[-999], time_column="申请日期")
    with database_session(ws) as s:
        doc = train_scorecard(ws, s, RISK, spec, actor="cli:test")
    return ws, doc


def test_training_reads_the_table_and_stores_a_card(trained, table):
    ws, doc = trained
    assert doc["id"] == "sc001" and (registry.folder(ws) / "sc001" / "card.skops").is_file()
    assert doc["inputs"]["encoding"] and doc["inputs"]["rows"] == len(table[1])
    assert doc["split"]["method"] == "later period"
    dropped = {d["column"]: d["reason"] for d in doc["dropped"]}
    assert "客户号" in dropped  # an identifier is never a variable
    assert {"年龄", "住房"} <= set(doc["variables"]) and doc["variables"]["住房"] == "categorical"
    assert doc["validation"]["auc"] > 0.65 and 0 <= doc["stability"]["score_psi"] < 0.25
    card = json.loads((registry.folder(ws) / "sc001" / "card.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in card["variables"]] == list(doc["variables"])
    with database_session(ws) as s:
        events = repositories.list_audit(s, action="scorecard_train")
        assert events and events[0].target == "sc001" and events[0].details["rows"] == len(table[1])


def test_registry_list_show_activate(trained):
    ws, _ = trained
    rows = list_scorecards(ws, RISK)
    assert [r["id"] for r in rows] == ["sc001"] and not rows[0]["active"]
    with database_session(ws) as s:
        act = activate_scorecard(ws, s, RISK, "1", actor="cli:test")
    assert act == {**act, "id": "sc001", "previous": None}
    assert show_scorecard(ws, RISK, "sc001")["active"]
    with pytest.raises(Exception, match="no scorecard sc009"):
        show_scorecard(ws, RISK, "9")
    with pytest.raises(Exception, match="not a scorecard id"):
        show_scorecard(ws, RISK, "../etc")


def test_authz_is_asked_inside(trained, table):
    ws, _ = trained
    for role in ("lobby_manager", "customer_manager", "admin"):
        with pytest.raises(Forbidden):
            list_scorecards(ws, shell_principal(role))
    assert list_scorecards(ws, shell_principal("analyst"))


def test_scoring_a_file_writes_scores_grades_and_reasons(trained, table, tmp_path):
    ws, _ = trained
    _path, df = table
    new = df.drop(columns=["违约"]).head(200)
    new.loc[0, "年龄"] = np.nan
    src = tmp_path / "new.xlsx"
    new.to_excel(src, index=False)
    with database_session(ws) as s:
        doc = score_file(ws, s, RISK, ScoreBatch.checked(card_id="sc001", table=src, out=tmp_path / "out.csv"),
                         actor="cli:test")
    out = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig", dtype={"客户号": str})
    assert doc["rows"] == 200 == len(out) and list(out["客户号"]) == list(new["客户号"])
    _, model = registry.load(ws, "sc001")
    x = new[list(show_scorecard(ws, RISK, "sc001")["variables"])].reset_index(drop=True)
    assert np.array_equal(out["score 评分"].to_numpy(), model.score(x))
    assert list(out["grade 等级"].astype(str)) == list(model.grade(x))
    first = model.reasons(x, 3)
    assert [r["variable"] for r in first[0]] == [t.split(" in ")[0] for t in out.loc[0, ["reason_1 原因", "reason_2 原因",
                                                                                   "reason_3 原因"]].dropna()]
    assert sum(g["rows"] for g in doc["grades"]) == 200


def test_export_sql_and_workbook(trained, tmp_path):
    ws, _ = trained
    with database_session(ws) as s:
        doc = export_card(ws, s, RISK, ExportCard.checked(card_id="sc001", dialect="postgres",
                                                          xlsx=tmp_path / "card.xlsx"), actor="cli:test")
    assert "CASE" in doc["sql"] and '"年龄"' in doc["sql"]
    sheets = pd.read_excel(tmp_path / "card.xlsx", sheet_name=None)
    assert set(sheets) == {"about", "card", "variables", "scale", "sql"}
    assert list(sheets["sql"]["SQL"].fillna("")) == doc["sql"].splitlines()  # one line of SQL per row
    with pytest.raises(InputError, match="table_name"):
        ExportCard.checked(card_id="sc001", table_name="x; DROP TABLE y")


def test_bad_tables_are_named(trained, table, tmp_path):
    ws, _ = trained
    path, df = table
    bad = df.copy()
    bad.loc[5, "违约"] = "也许"
    p = tmp_path / "bad.csv"
    bad.to_csv(p, index=False)
    with database_session(ws) as s:
        with pytest.raises(CreditTableError, match=r"column '违约', line 7: '也许' is not bad or good"):
            train_scorecard(ws, s, RISK, TrainScorecard.checked(table=p, target="违约"), actor="t")
        with pytest.raises(CreditTableError, match="no column 'outcome'"):
            train_scorecard(ws, s, RISK, TrainScorecard.checked(table=path, target="outcome"), actor="t")
        text = df.drop(columns=["违约"]).head(20).astype(object)
        text.loc[3, "年龄"] = "forty"
        q = tmp_path / "text.csv"
        text.to_csv(q, index=False)
        with pytest.raises(CreditTableError, match=r"column '年龄', line 5: 'forty' is not a number"):
            score_file(ws, s, RISK, ScoreBatch.checked(card_id="sc001", table=q, out=tmp_path / "o.csv"), actor="t")
        text.drop(columns=["年龄"]).to_csv(q, index=False)
        with pytest.raises(CreditTableError, match="the card needs the column"):
            score_file(ws, s, RISK, ScoreBatch.checked(card_id="sc001", table=q, out=tmp_path / "o.csv"), actor="t")
    with pytest.raises(InputError, match="pdo"):
        TrainScorecard.checked(table=path, target="违约", pdo=-5)
