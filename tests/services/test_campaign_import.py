"""Evaluating a campaign run outside finecrm from a file, and through ``finecrm campaign import``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from finecrm.services.marketing.external_evaluation import CampaignImportError, evaluate_file

FINECRM = [sys.executable, "-m", "finecrm.cli"]
ANALYST = {"FINECRM_CLI_ROLE": "analyst"}
#: 100,000 customers give the generator's campaign 5,000 members. At 20,000 (1,000 members, 250 of
#: them control) the 95 % interval is about ±4 points wide around a 4-point uplift: it would contain
#: the truth, but it would also contain zero, which makes the check say little.
BANK_CUSTOMERS = 100_000


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FINECRM, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=300)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def experiment(counts: dict[str, tuple[int, int]]) -> list[list[str]]:
    """Rows (arm, outcome) with exactly these (customers, conversions) per arm, shuffled."""
    rows = [[arm, "1" if i < x else "0"] for arm, (n, x) in counts.items() for i in range(n)]
    order = np.random.default_rng(1).permutation(len(rows))
    return [rows[i] for i in order]


# ---- the generator's past campaign, through the command line ------------------------------------


@pytest.fixture(scope="module")
def generated_campaign(tmp_path_factory) -> tuple[Path, dict]:
    """The synthetic bank's campaign exported as a bank would hand it over: a CSV with one row per
    customer (arm, responded, and the customer's branch), plus the generator's answer key."""
    import duckdb

    from finecrm.synth import generate

    root = tmp_path_factory.mktemp("campaign")
    bank = root / "bank"
    generate(bank, customers=BANK_CUSTOMERS, months=12, seed=3)
    csv = root / "campaign.csv"
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT r.customer_id, r.arm, r.responded, c.branch_id
              FROM read_parquet('{bank}/campaign_responses/*.parquet') r
              JOIN read_parquet('{bank}/customers/*.parquet') c USING (customer_id)
              ORDER BY r.customer_id) TO '{csv}' (HEADER)""")
    truth = con.execute(f"SELECT * FROM read_parquet('{bank}/_truth/campaign.parquet')").fetchdf().iloc[0].to_dict()
    con.close()
    return csv, truth


def test_the_generators_campaign_recovers_its_true_uplift(generated_campaign, tmp_path: Path):
    from finecrm.synth.campaign import TRUE_UPLIFT

    csv, truth = generated_campaign
    home = str(tmp_path / "ws")
    assert run("init", "--home", home).returncode == 0
    res = run("campaign", "import", str(csv), "--arm-column", "arm", "--control-value", "control",
              "--outcome-column", "responded", "--by", "branch_id", "--cost-per-contact", "20",
              "--home", home, "--json", env=ANALYST)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    (c,) = doc["comparisons"]
    lo, hi = c["uplift_ci"]
    print(f"\ngenerator's campaign: uplift {c['uplift']:.4f}, 95% CI [{lo:.4f}, {hi:.4f}], p = {c['p_value']:.2g}, "
          f"n = {c['n_treated']} treated / {c['n_control']} control; true uplift {TRUE_UPLIFT}")
    assert truth["true_uplift"] == TRUE_UPLIFT
    assert lo <= TRUE_UPLIFT <= hi
    assert hi - lo < 0.06  # an interval this narrow says something (it is not "anything goes")
    # the counts and the point estimate are the generator's own
    assert (c["n_treated"], c["n_control"]) == (truth["n_treatment"], truth["n_control"])
    assert (c["conversions_treated"], c["conversions_control"]) == (truth["responders_treatment"],
                                                                    truth["responders_control"])
    assert c["uplift"] == pytest.approx(truth["observed_uplift"], abs=1e-6)
    assert c["cost_per_incremental"] == pytest.approx(20 / c["uplift"])
    # the breakdown covers every customer once
    (b,) = doc["breakdowns"]
    assert b["column"] == "branch_id" and b["groups"] > 5
    assert sum(r["n_treated"] + r["n_control"] for r in b["rows"]) == doc["inputs"]["rows"]
    # and the evaluation is in the audit log, with counts but no customer data
    from finecrm.db import repositories
    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.workspace import open_workspace

    engine = make_engine(open_workspace(home).database_url)
    with session_factory(engine)() as s:
        (event,) = repositories.list_audit(s, action="campaign_import_evaluated")
        assert event.target == str(csv.resolve())
        assert event.details["arms"]["treatment"]["customers"] == truth["n_treatment"]
        assert event.details["outcome_column"] == "responded" and "C0" not in json.dumps(event.details)
    engine.dispose()


def test_human_output_is_a_bilingual_table_with_a_verdict(tmp_path: Path):
    home = str(tmp_path / "ws")
    assert run("init", "--home", home).returncode == 0
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], experiment({"control": (1000, 100), "sms": (1000, 150)}))
    res = run("campaign", "import", str(f), "--arm-column", "arm", "--control-value", "control",
              "--outcome-column", "bought", "--cost-per-contact", "5", "--home", home, env={**ANALYST, "COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    assert "转化率 rate" in res.stdout and "提升 uplift" in res.stdout and "cost per incremental" in res.stdout
    assert "+5.00" in res.stdout and "10.00%" in res.stdout and "15.00%" in res.stdout
    assert "统计显著" in res.stdout and "is statistically significant at the 95% level" in res.stdout
    assert "100" in res.stdout  # 5 yuan × 1000 contacts / 50 extra conversions
    g = write_csv(tmp_path / "g.csv", ["arm", "bought"], experiment({"control": (300, 30), "sms": (300, 33)}))
    res = run("campaign", "import", str(g), "--arm-column", "arm", "--control-value", "control",
              "--outcome-column", "bought", "--confidence", "0.9", "--home", home, env={**ANALYST, "COLUMNS": "200"})
    assert "不显著" in res.stdout and "is not statistically significant at the 90% level" in res.stdout
    # the command is in the help, and refused to a role without manage_campaigns (the default admin)
    assert "import" in run("campaign", "--help").stdout
    assert "--arm-column" in run("campaign", "import", "--help").stdout
    refused = run("campaign", "import", str(f), "--arm-column", "arm", "--control-value", "control",
                  "--outcome-column", "bought", "--home", home)
    assert refused.returncode == 77 and "manage_campaigns" in refused.stderr
    bad = run("campaign", "import", str(f), "--arm-column", "group", "--control-value", "control",
              "--outcome-column", "bought", "--home", home, env=ANALYST)
    assert bad.returncode == 2 and "'group'" in bad.stderr and "Traceback" not in bad.stderr


# ---- the service: inputs and errors ----------------------------------------------------------


def test_several_treatment_arms_get_holm_adjusted_p_values(tmp_path: Path):
    f = write_csv(tmp_path / "arms.csv", ["arm", "outcome"], experiment(
        {"control": (2000, 200), "sms": (2000, 240), "call": (2000, 300), "mail": (2000, 205)}))
    doc = evaluate_file(f, arm_column="arm", control_value="control", outcome_column="outcome")
    assert doc["arms"][0]["arm"] == "control" and len(doc["arms"]) == 4
    comps = sorted(doc["comparisons"], key=lambda c: c["p_value"])
    assert [c["arm"] for c in comps] == ["call", "sms", "mail"]
    adjusted = [c["p_value_holm"] for c in comps]
    assert adjusted == sorted(adjusted) and all(c["p_value_holm"] >= c["p_value"] for c in comps)
    assert comps[0]["p_value_holm"] == pytest.approx(3 * comps[0]["p_value"])
    sms = next(c for c in comps if c["arm"] == "sms")
    assert sms["p_value"] < 0.05 <= sms["p_value_holm"] and not sms["significant"]
    assert any("Holm" in w for w in doc["warnings"])
    assert {c["arm"]: c["significant"] for c in doc["conclusions"]} == {"sms": False, "call": True, "mail": False}


def test_a_missing_column_lists_the_columns(tmp_path: Path):
    f = write_csv(tmp_path / "c.csv", ["customer_id", "group", "bought"], [["C1", "control", "1"]])
    with pytest.raises(CampaignImportError) as e:
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")
    assert "c.csv" in str(e.value) and "'arm'" in str(e.value) and "customer_id, group, bought" in str(e.value)
    with pytest.raises(CampaignImportError, match="'branch'"):
        evaluate_file(f, arm_column="group", control_value="control", outcome_column="bought", by=["branch"])


def test_an_unknown_control_value_lists_the_arms_seen(tmp_path: Path):
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], experiment({"holdout": (30, 3), "offer": (50, 9)}))
    with pytest.raises(CampaignImportError) as e:
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")
    msg = str(e.value)
    assert "'control'" in msg and "'holdout' (30 rows)" in msg and "'offer' (50 rows)" in msg


def test_no_treatment_arm(tmp_path: Path):
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], experiment({"control": (30, 3)}))
    with pytest.raises(CampaignImportError, match="no treatment arm"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")


def test_a_bad_outcome_names_file_column_line_and_value(tmp_path: Path):
    rows = experiment({"control": (20, 2), "offer": (20, 5)})
    rows[3][1] = "maybe"  # line 5: the header is line 1
    rows[9][1] = "2"
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], rows)
    with pytest.raises(CampaignImportError) as e:
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")
    msg = str(e.value)
    assert "c.csv" in msg and "'bought'" in msg and "line 5" in msg and "'maybe'" in msg
    assert "1 more" in msg and "11" in msg  # the other bad line is counted, not dropped
    rows[3][1], rows[9][1] = "1", ""
    write_csv(f, ["arm", "bought"], rows)
    with pytest.raises(CampaignImportError, match="line 11: an empty value is not an outcome"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")


def test_an_empty_arm_is_an_error(tmp_path: Path):
    rows = experiment({"control": (20, 2), "offer": (20, 5)})
    rows[6][0] = " "
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], rows)
    with pytest.raises(CampaignImportError, match=r"'arm' is empty at line 8"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")


def test_a_line_that_cannot_be_read_stops_the_evaluation(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text("arm,bought\ncontrol,1\noffer,0,extra\noffer,1\n", encoding="utf-8")
    with pytest.raises(CampaignImportError, match="line 3"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")


def test_every_accepted_outcome_word(tmp_path: Path):
    words = [("1", "0"), ("TRUE", "false"), ("Yes", "no"), ("是", "否"), ("Y", "n"), ("converted", "NOT"),
             ("1.0", "0.0"), (" y ", "not converted")]
    rows = [[arm, yes if i % 3 == 0 else no] for yes, no in words for arm in ("control", "offer") for i in range(6)]
    f = write_csv(tmp_path / "c.csv", ["arm", "outcome"], rows)
    doc = evaluate_file(f, arm_column="arm", control_value="control", outcome_column="outcome")
    assert [(a["customers"], a["conversions"]) for a in doc["arms"]] == [(48, 16), (48, 16)]


def test_a_gbk_csv_with_chinese_values(tmp_path: Path):
    rows = [[f"C{i}", "对照组" if i % 4 == 0 else "短信", "是" if i % 5 == 0 else "否", "城关支行" if i % 2 else "河西支行"]
            for i in range(400)]
    f = write_csv(tmp_path / "gbk.csv", ["客户号", "分组", "是否购买", "支行"], rows, encoding="gbk")
    doc = evaluate_file(f, arm_column="分组", control_value="对照组", outcome_column="是否购买", by=["支行"])
    assert doc["inputs"]["encoding"] == "gbk"
    arms = {a["arm"]: (a["customers"], a["conversions"]) for a in doc["arms"]}
    assert arms == {"对照组": (100, sum(1 for i in range(0, 400, 4) if i % 5 == 0)),
                    "短信": (300, sum(1 for i in range(400) if i % 4 and i % 5 == 0))}
    assert {r["group"] for r in doc["breakdowns"][0]["rows"]} == {"城关支行", "河西支行"}
    # the same file with a UTF-8 byte-order mark
    g = tmp_path / "bom.csv"
    g.write_bytes(b"\xef\xbb\xbf" + f.read_bytes().decode("gbk").encode("utf-8"))
    again = evaluate_file(g, arm_column="分组", control_value="对照组", outcome_column="是否购买")
    assert again["comparisons"] == doc["comparisons"]


def test_an_xlsx_workbook(tmp_path: Path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "活动结果"
    ws.append(["customer", "arm", "converted", "tier"])
    counts = {"control": (60, 6), "offer": (140, 28)}
    for arm, (n, x) in counts.items():
        for i in range(n):
            ws.append([f"C{arm}{i}", arm, 1 if i < x else 0, "贵宾" if i % 2 else "大众"])
    ws.append([None, None, None, None])  # a formatted but empty row at the end
    path = tmp_path / "campaign.xlsx"
    wb.save(path)
    doc = evaluate_file(path, arm_column="arm", control_value="control", outcome_column="converted", by=["tier"])
    assert doc["inputs"]["format"] == "xlsx" and doc["inputs"]["sheet"] == "活动结果"
    assert {a["arm"]: (a["customers"], a["conversions"]) for a in doc["arms"]} == counts
    assert doc["comparisons"][0]["uplift"] == pytest.approx(28 / 140 - 6 / 60)
    # a bad cell is reported with the row number Excel shows
    ws.cell(row=10, column=3, value="perhaps")
    wb.save(path)
    with pytest.raises(CampaignImportError, match=r"campaign.xlsx: column 'converted', row 10: 'perhaps'"):
        evaluate_file(path, arm_column="arm", control_value="control", outcome_column="converted")


def test_a_parquet_file_with_typed_columns(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    arms = ["control"] * 100 + ["offer"] * 300
    bought = [i % 10 == 0 for i in range(100)] + [i % 6 == 0 for i in range(300)]
    decile = [i % 10 + 1 for i in range(400)]
    pq.write_table(pa.table({"arm": arms, "bought": bought, "decile": decile}), tmp_path / "c.parquet")
    doc = evaluate_file(tmp_path / "c.parquet", arm_column="arm", control_value="control", outcome_column="bought",
                        by=["decile"], min_group=5)
    assert {a["arm"]: a["conversions"] for a in doc["arms"]} == {"control": 10, "offer": 50}
    assert [r["group"] for r in doc["breakdowns"][0]["rows"]] == [str(d) for d in range(1, 11)]  # 1…10, not 1, 10, 2
    # a folder of parts, as Spark and the generator write them
    parts = tmp_path / "parts"
    parts.mkdir()
    pq.write_table(pa.table({"arm": arms[:150], "bought": bought[:150]}), parts / "part-0.parquet")
    pq.write_table(pa.table({"arm": arms[150:], "bought": bought[150:]}), parts / "part-1.parquet")
    again = evaluate_file(parts, arm_column="arm", control_value="control", outcome_column="bought")
    assert again["comparisons"] == doc["comparisons"] and again["inputs"]["rows"] == 400


def test_tab_and_semicolon_separated_files(tmp_path: Path):
    rows = experiment({"control": (40, 4), "offer": (60, 12)})
    for sep, name in (("\t", "c.tsv"), (";", "c.csv")):
        f = tmp_path / name
        f.write_text("\n".join(sep.join(r) for r in [["arm", "bought"], *rows]) + "\n", encoding="utf-8")
        doc = evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought")
        assert [(a["customers"], a["conversions"]) for a in doc["arms"]] == [(40, 4), (60, 12)]


def test_a_breakdown_flags_a_group_too_small_to_judge(tmp_path: Path):
    rows = []
    rng = np.random.default_rng(8)
    for i in range(2000):
        branch = "B01" if i < 1900 else "B99"
        arm = "control" if (i % 4 == 0 and i < 1900) or (i >= 1900 and i % 20 == 0) else "offer"
        rows.append([arm, "1" if rng.random() < (0.15 if arm == "offer" else 0.1) else "0", branch])
    f = write_csv(tmp_path / "c.csv", ["arm", "bought", "branch"], rows)
    doc = evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought", by=["branch"])
    (b,) = doc["breakdowns"]
    by = {r["group"]: r for r in b["rows"]}
    assert set(by) == {"B01", "B99"}  # the small group is shown, not hidden
    assert by["B99"]["too_small"] and by["B99"]["n_control"] == 5 and "too small to judge" in by["B99"]["note"]
    assert not by["B01"]["too_small"] and by["B01"]["n_control"] == 475
    assert b["too_small"] == 1
    assert any("too small to judge" in w for w in doc["warnings"])
    assert any("exploratory" in w for w in doc["warnings"])


def test_unknown_file_types_and_bad_options(tmp_path: Path):
    f = write_csv(tmp_path / "c.csv", ["arm", "bought"], experiment({"control": (30, 3), "offer": (30, 6)}))
    with pytest.raises(CampaignImportError, match="confidence"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought", confidence=95)
    with pytest.raises(CampaignImportError, match="cost"):
        evaluate_file(f, arm_column="arm", control_value="control", outcome_column="bought", cost_per_contact=-2)
    (tmp_path / "c.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(CampaignImportError, match="xlsx"):
        evaluate_file(tmp_path / "c.xls", arm_column="arm", control_value="control", outcome_column="bought")
    with pytest.raises(CampaignImportError, match="no such file"):
        evaluate_file(tmp_path / "nope.csv", arm_column="arm", control_value="control", outcome_column="bought")
