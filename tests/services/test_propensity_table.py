"""Training on a bank's own response table: the generator's past campaign joined with what was known
before the contact, in CSV (UTF-8 and GBK), Parquet and Excel; bad responses are refused by line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from finecrm.services.marketing.propensity_table import TableTrainingError, train_table
from tests.services import propensity_bank as bank_fixture
from tests.services.propensity_bank import PropensityBank

propensity_bank = bank_fixture.propensity_bank


@pytest.fixture(scope="module")
def responses(propensity_bank: PropensityBank, tmp_path_factory) -> Path:
    """Treated customers of the past wealth campaign with their features at the month before contact."""
    b = propensity_bank
    out = tmp_path_factory.mktemp("responses") / "wm05_responses.csv"
    duckdb.sql(f"""
        COPY (
          SELECT r.customer_id AS 客户号, r.contacted_on, f.age AS 年龄, f.aum_avg AS aum, f.risk_tolerance,
                 f.urban, f.signed_mobile, f.occupation AS 职业, f.txn_ci_3m,
                 CASE WHEN r.responded THEN '是' ELSE '否' END AS 是否购买
          FROM read_parquet('{b.bank}/campaign_responses/**/*.parquet') r
          JOIN {b.parquet(b.plain, "propensity_features")} f ON f.customer_id = r.customer_id
           AND f.month = date_trunc('month', r.contacted_on - INTERVAL 1 MONTH)
          WHERE r.arm = 'treatment' ORDER BY r.customer_id
        ) TO '{out}' (HEADER)""")
    return out


def test_a_response_list_trains_and_reports(responses: Path):
    doc = train_table(responses, "是否购买")
    rows = duckdb.sql(f"SELECT count(*), sum((是否购买 = '是')::INT) FROM '{responses}'").fetchall()[0]
    assert doc["inputs"]["rows"] == rows[0] and doc["inputs"]["format"] == "csv"
    v = doc["report"]["validation"]
    assert v["rows"] == round(rows[0] * 0.3) or abs(v["rows"] - rows[0] * 0.3) < 1
    # stratified: the holdout keeps the share of buyers
    assert v["takers"] / v["rows"] == pytest.approx(rows[1] / rows[0], abs=0.02)
    used = {f["column"]: f["kind"] for f in doc["features"]}
    dropped = {d["column"]: d["reason"] for d in doc["dropped"]}
    assert "客户号" in dropped and "contacted_on" in dropped and "是否购买" not in used
    assert used["职业"] == "category" and used["signed_mobile"] == "flag" and used["risk_tolerance"] == "numeric"
    # the generator's response depends on AUM and risk tolerance: the model must find it
    assert doc["metrics"]["auc"] > 0.6
    top = [f["feature"] for f in doc["report"]["top_features"][:3]]
    assert "risk_tolerance" in top or "aum" in top
    # the same seed gives the same report
    assert train_table(responses, "是否购买")["metrics"] == doc["metrics"]


def test_a_later_period_with_a_time_column(responses: Path):
    doc = train_table(responses, "是否购买", time_column="contacted_on")
    split = doc["split"]
    later = duckdb.sql(f"SELECT count(*) FROM '{responses}' WHERE contacted_on >= DATE '{split['validation_from']}'")
    assert doc["report"]["validation"]["rows"] == later.fetchall()[0][0]
    assert split["train_until"] < split["validation_from"]
    assert "contacted_on" not in {f["column"] for f in doc["features"]}


def test_other_encodings_and_formats(responses: Path, tmp_path: Path):
    text = responses.read_text(encoding="utf-8")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    a, b = train_table(responses, "是否购买"), train_table(gbk, "是否购买")
    assert a["metrics"] == b["metrics"] and b["inputs"]["encoding"].lower().startswith("gb")
    pq = tmp_path / "r.parquet"
    duckdb.sql(f"COPY (SELECT * FROM '{responses}') TO '{pq}' (FORMAT parquet)")
    assert train_table(pq, "是否购买")["inputs"]["rows"] == a["inputs"]["rows"]
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in text.splitlines():
        ws.append(line.split(","))
    xlsx = tmp_path / "r.xlsx"
    wb.save(xlsx)
    assert train_table(xlsx, "是否购买")["metrics"]["auc"] == pytest.approx(a["metrics"]["auc"], abs=0.05)


def test_a_bad_response_names_file_column_line_and_value(responses: Path, tmp_path: Path):
    lines = responses.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0] + ",maybe"  # line 7 of the file
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TableTrainingError) as err:
        train_table(bad, "是否购买")
    msg = str(err.value)
    assert str(bad) in msg and "'是否购买'" in msg and "line 7" in msg and "'maybe'" in msg and "是/否" in msg
    with pytest.raises(TableTrainingError, match="no column 'bought'"):
        train_table(responses, "bought")


def test_too_few_responses_is_refused(tmp_path: Path):
    rng = np.random.default_rng(0)
    f = tmp_path / "few.csv"
    f.write_text("x,y\n" + "".join(f"{rng.random():.3f},{int(i < 3)}\n" for i in range(200)), encoding="utf-8")
    with pytest.raises(TableTrainingError, match="3 yes and 197 no"):
        train_table(f, "y")
