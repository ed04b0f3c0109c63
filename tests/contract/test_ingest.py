"""The ingest end to end on small banks: reasons, cascades, storage by period and by key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from finecrm.contract.tables import TABLES
from finecrm.core.errors import IngestError
from finecrm.services.data.ingest import ingest

from .bank import clean_bank, write_bank


def stored(ws, table: str):
    files = sorted((ws.raw / table).rglob("data.parquet"))
    return duckdb.sql("SELECT * FROM read_parquet([" + ",".join(f"'{f}'" for f in files) + "], hive_partitioning = false)") if files else None


def digests(ws) -> dict[str, str]:
    return {str(p.relative_to(ws.raw)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ws.raw.rglob("*.parquet"))}


def quarantine(report, table):
    f = report["quarantine_files"][table]["parquet"]
    return pq.read_table(f).to_pylist()


def test_clean_bank_is_accepted_whole_and_typed(workspace, tmp_path):
    bank = clean_bank()
    write_bank(tmp_path / "in", bank)
    report = ingest(workspace, tmp_path / "in")
    assert report["status"] == "ok" and not report["unusable"]
    for name, rows in bank.items():
        t = report["tables"][name]
        assert (t["read"], t["accepted"], t["quarantined"]) == (len(rows), len(rows), 0)
    rel = stored(workspace, "account_month")
    types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    assert types == {"account_id": "VARCHAR", "month": "DATE", "end_balance": "DECIMAL(18,2)",
                     "avg_daily_balance": "DECIMAL(18,2)"}
    assert rel.aggregate("sum(end_balance)").fetchall()[0][0] == sum(
        float(r["end_balance"]) for r in bank["account_month"])
    # every table is written with the exact contract schema
    for t in TABLES:
        if t.name in bank:
            files = sorted((workspace.raw / t.name).rglob("data.parquet"))
            assert pq.read_schema(files[0]).names == list(t.column_names)


def test_each_kind_of_bad_row_gets_its_reason(workspace, tmp_path):
    bank = clean_bank()
    c = bank["customers"]
    c[0]["birth_date"] = "1985-13-01"          # bad_type
    c[1]["kind"] = "alien"                     # bad_code
    c[2]["name"] = ""                          # missing
    c[3]["branch_id"] = "B9"                   # orphan
    c[4]["birth_date"] = "1850-01-01"          # out_of_range
    c.append(dict(c[5], name="重复"))           # duplicate_key (first kept)
    a = bank["accounts"]
    a[-1]["close_date"] = "2020-01-01"         # close_before_open
    write_bank(tmp_path / "in", bank)
    report = ingest(workspace, tmp_path / "in")
    q = {r["key"]: r for r in quarantine(report, "customers")}
    assert q["C0000"]["code"] == "bad_type" and "1985-13-01" in q["C0000"]["reason"]
    assert q["C0001"]["code"] == "bad_code" and q["C0001"]["column"] == "kind"
    assert q["C0002"]["code"] == "missing" and q["C0002"]["column"] == "name"
    assert q["C0003"]["code"] == "orphan" and "B9" in q["C0003"]["reason"]
    assert q["C0004"]["code"] == "out_of_range"
    assert q["C0005"]["code"] == "duplicate_key" and q["C0005"]["source_row"] == len(c) + 1
    assert "customers.csv row 7" in q["C0005"]["reason"]
    kept = stored(workspace, "customers").filter("customer_id = 'C0005'").fetchall()
    assert len(kept) == 1 and kept[0][2] == "客户5"  # the first occurrence, not the duplicate
    # the raw record is kept so nothing is lost
    assert json.loads(q["C0000"]["record"])["birth_date"] == "1985-13-01"
    # a quarantined customer's accounts become orphans (cascade), reasons say why
    acc_q = quarantine(report, "accounts")
    assert {r["code"] for r in acc_q} == {"orphan", "close_before_open"}
    t = report["tables"]["customers"]
    assert t["read"] == t["accepted"] + t["quarantined"] == len(c)
    assert sum(t["by_reason"].values()) == t["quarantined"]


def test_reingesting_the_same_input_changes_nothing(workspace, tmp_path):
    write_bank(tmp_path / "in", clean_bank())
    ingest(workspace, tmp_path / "in")
    before = digests(workspace)
    ingest(workspace, tmp_path / "in")
    assert digests(workspace) == before and before


def test_a_later_period_adds_its_months_and_a_reload_replaces_only_them(workspace, tmp_path):
    write_bank(tmp_path / "jul_aug", clean_bank(months=("2026-07", "2026-08")))
    ingest(workspace, tmp_path / "jul_aug")
    july = (workspace.raw / "account_month" / "period=2026-07" / "data.parquet").read_bytes()

    later = clean_bank(months=("2026-08", "2026-09"))
    for r in later["account_month"]:
        if r["month"] == "2026-08":
            r["end_balance"] = "1.00"  # a corrected re-export of August
    write_bank(tmp_path / "aug_sep", later)
    ingest(workspace, tmp_path / "aug_sep")

    periods = sorted(p.name for p in (workspace.raw / "account_month").iterdir())
    assert periods == ["period=2026-07", "period=2026-08", "period=2026-09"]
    assert (workspace.raw / "account_month" / "period=2026-07" / "data.parquet").read_bytes() == july
    aug = stored(workspace, "account_month").filter("month = DATE '2026-08-01'")
    assert {r[0] for r in aug.aggregate("min(end_balance)").fetchall()} == {1}


def test_dimension_rows_merge_by_key(workspace, tmp_path):
    bank = clean_bank(n_customers=4)
    write_bank(tmp_path / "a", bank)
    ingest(workspace, tmp_path / "a")
    update = {"customers": [dict(bank["customers"][0], name="改名"),
                            dict(bank["customers"][0], customer_id="C9999")]}
    (tmp_path / "b").mkdir()
    from .bank import HEADERS, to_csv
    (tmp_path / "b" / "customers.csv").write_text(to_csv(update["customers"], HEADERS["customers"]))
    report = ingest(workspace, tmp_path / "b")
    assert report["tables"]["customers"]["accepted"] == 2  # branches come from the warehouse
    names = dict(stored(workspace, "customers").project("customer_id, name").fetchall())
    assert len(names) == 5 and names["C0000"] == "改名" and names["C9999"] == "客户0"


def test_missing_required_column_makes_the_table_unusable_with_advice(workspace, tmp_path):
    bank = clean_bank()
    for r in bank["customers"]:
        del r["open_date"]
    folder = tmp_path / "in"
    write_bank(folder, {k: v for k, v in bank.items() if k != "customers"})
    from .bank import HEADERS, to_csv
    header = [h for h in HEADERS["customers"] if h != "open_date"]
    (folder / "customers.csv").write_text(to_csv(bank["customers"], header))
    report = ingest(workspace, folder)
    assert report["status"] == "failed"
    assert "open_date" in report["tables"]["customers"]["error"]
    # nothing can reference an unusable table: its children are quarantined as orphans, not lost
    assert report["unusable"] == ["account_month", "accounts", "customers"]
    acc = report["tables"]["accounts"]
    assert acc["by_reason"] == {"orphan": acc["read"]} and acc["quarantined"] == len(bank["accounts"])
    assert "--mapping" in report["tables"]["customers"]["error"]


def test_folder_without_contract_tables_is_refused(workspace, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "export.csv").write_text("a\n1\n")
    with pytest.raises(IngestError, match="--mapping"):
        ingest(workspace, tmp_path / "x")


def test_ignored_files_are_reported(workspace, tmp_path):
    write_bank(tmp_path / "in", clean_bank())
    (tmp_path / "in" / "custmers.csv").write_text("a\n1\n")
    report = ingest(workspace, tmp_path / "in")
    assert report["ignored_files"] == ["custmers.csv"]


def test_parquet_parts_and_row_numbers(workspace, tmp_path):
    import pyarrow as pa

    bank = clean_bank()
    folder = tmp_path / "in"
    write_bank(folder, {k: v for k, v in bank.items() if k != "account_month"})
    parts = folder / "account_month"
    parts.mkdir()
    rows = bank["account_month"]
    half = len(rows) // 2
    for i, chunk in enumerate((rows[:half], [*rows[half:], dict(rows[0])])):
        pq.write_table(pa.Table.from_pylist(chunk), parts / f"part-{i:05d}.parquet")
    report = ingest(workspace, folder)
    t = report["tables"]["account_month"]
    assert (t["read"], t["accepted"], t["quarantined"]) == (len(rows) + 1, len(rows), 1)
    q = quarantine(report, "account_month")[0]
    assert q["code"] == "duplicate_key" and q["source_file"] == "part-00001.parquet"
    assert q["source_row"] == len(rows) - half + 1 and "part-00000.parquet row 1" in q["reason"]


def test_report_and_run_are_recorded(workspace, tmp_path):
    from finecrm.db.repositories import list_audit, list_ingest_runs
    from finecrm.db.session import make_engine, session_factory

    write_bank(tmp_path / "in", clean_bank())
    report = ingest(workspace, tmp_path / "in")
    saved = json.loads(Path(report["report_file"]).read_text())
    assert saved["totals"] == report["totals"]
    with session_factory(make_engine(workspace.database_url))() as s:
        runs = list_ingest_runs(s)
        assert [r.id for r in runs] == [report["ingest_id"]] and runs[0].rows_read == report["totals"]["read"]
        assert list_audit(s, action="run_ingest")[0].details["ingest_id"] == report["ingest_id"]


# -- issue 12: incomplete exports, late rows, values that would change, header-only files -------------

def test_a_missing_or_empty_required_table_is_incomplete_and_the_build_refuses(tmp_path):
    from tests.cli.shell import run

    from .bank import HEADERS

    home = str(tmp_path / "ws")
    run("init", "--home", home)
    bank = clean_bank()
    folder = tmp_path / "in"
    write_bank(folder, {k: v for k, v in bank.items() if k not in ("customers", "account_month")})
    (folder / "account_month.csv").write_text(",".join(HEADERS["account_month"]) + "\n")  # header only
    res = run("ingest", str(folder), "--home", home, "--json")
    assert res.returncode == 3, res.stderr
    report = json.loads(res.stdout)
    assert report["status"] == "incomplete" and report["incomplete"] == ["customers", "account_month"]
    t = report["tables"]["account_month"]
    assert t["status"] == "empty" and "no rows" in t["note"]
    assert "incomplete" in report["warnings"][0] and "customers, account_month" in report["warnings"][0]
    human = run("ingest", str(folder), "--home", home)
    assert human.returncode == 3 and "incomplete" in human.stderr and "every row was quarantined" not in human.stderr
    refused = run("build", "--home", home)
    assert refused.returncode == 2 and "customers, account_month" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert json.loads(run("snapshots", "list", "--home", home, "--json").stdout) == []
    # the next run, with the tables, is complete
    write_bank(folder, bank)
    done = run("ingest", str(folder), "--home", home, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["incomplete"] == []


@pytest.mark.slow
def test_a_complete_warehouse_builds_after_an_incomplete_one(tmp_path):
    from tests.cli.shell import run

    home = str(tmp_path / "ws")
    run("init", "--home", home)
    bank = clean_bank(n_customers=30)
    write_bank(tmp_path / "part", {k: v for k, v in bank.items() if k != "products"})
    assert run("ingest", str(tmp_path / "part"), "--home", home, "--quiet").returncode == 3
    assert run("build", "--home", home, "--quiet").returncode == 2
    write_bank(tmp_path / "rest", {"products": bank["products"]})
    assert run("ingest", str(tmp_path / "rest"), "--home", home, "--quiet").returncode == 0
    built = run("build", "--home", home, "--quiet")
    assert built.returncode == 0, built.stderr


def test_a_header_only_optional_table_is_no_error(workspace, tmp_path):
    write_bank(tmp_path / "in", clean_bank())
    (tmp_path / "in" / "staff.csv").write_text("staff_id,name,branch_id,role,active\n\n")
    report = ingest(workspace, tmp_path / "in")
    assert report["status"] == "ok" and not report["unusable"] and report["empty"] == ["staff"]
    t = report["tables"]["staff"]
    assert t["status"] == "empty" and t["read"] == 0 and "no rows" in t["note"]
    assert not (workspace.raw / "staff").exists()


def test_one_late_row_does_not_replace_a_month(tmp_path):
    from tests.cli.shell import run

    home = tmp_path / "ws"
    run("init", "--home", str(home))
    write_bank(tmp_path / "jul_aug", clean_bank(n_customers=40, months=("2026-07", "2026-08")))
    assert run("ingest", str(tmp_path / "jul_aug"), "--home", str(home), "--quiet").returncode == 0
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    july = ws.raw / "account_month" / "period=2026-07" / "data.parquet"
    july_rows = pq.ParquetFile(july).metadata.num_rows
    july_bytes = july.read_bytes()
    # the September export, with one stray July row in it
    sep = clean_bank(n_customers=40, months=("2026-09",))
    late = dict(sep["account_month"][0], month="2026-07", end_balance="1.00")
    write_bank(tmp_path / "sep", {"account_month": [*sep["account_month"], late]})
    res = run("ingest", str(tmp_path / "sep"), "--home", str(home), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["periods"] == [
        {"table": "account_month", "period": "2026-07", "rows_before": july_rows, "rows_after": 1,
         "action": "held_back"},
        {"table": "account_month", "period": "2026-09", "rows_before": 0, "rows_after": len(sep["account_month"]),
         "action": "added"},
    ]
    assert july.read_bytes() == july_bytes, "July kept whole"
    assert (ws.raw / "account_month" / "period=2026-09" / "data.parquet").is_file()
    t = report["tables"]["account_month"]
    assert t["read"] == t["accepted"] + t["quarantined"] and t["by_reason"] == {"period_held_back": 1}
    held = quarantine(report, "account_month")[0]
    assert "--replace-periods 2026-07" in held["reason"] and held["key"] == f"{late['account_id']}|2026-07-01"
    assert any("held back" in w for w in report["warnings"])
    # the operator confirms: July is replaced, and the report says with how many rows before and after
    res = run("ingest", str(tmp_path / "sep"), "--home", str(home), "--replace-periods", "2026-07", "--json")
    report = json.loads(res.stdout)
    assert report["periods"][0] == {"table": "account_month", "period": "2026-07", "rows_before": july_rows,
                                    "rows_after": 1, "action": "replaced"}
    assert pq.ParquetFile(july).metadata.num_rows == 1
    bad = run("ingest", str(tmp_path / "sep"), "--home", str(home), "--replace-periods", "July", "--json")
    assert bad.returncode == 2 and "--replace-periods" in json.loads(bad.stdout)["error"]


def test_the_shrink_limit_is_a_setting(workspace, tmp_path):
    import yaml

    from finecrm.core.errors import ConfigError
    from finecrm.core.settings import parse_settings
    from finecrm.services.workspace import open_workspace

    with pytest.raises(ConfigError, match=r"ingest\.period_shrink_limit"):
        parse_settings({"ingest": {"period_shrink_limit": 1.5}}, "finecrm.yaml")
    doc = yaml.safe_load(workspace.config_path.read_text())
    doc["ingest"]["period_shrink_limit"] = 1
    workspace.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    ws = open_workspace(workspace.home)
    write_bank(tmp_path / "a", clean_bank(months=("2026-07",)))
    ingest(ws, tmp_path / "a")
    one = clean_bank(months=("2026-07",))["account_month"][:1]
    write_bank(tmp_path / "b", {"account_month": one})
    report = ingest(ws, tmp_path / "b")
    assert report["periods"][0]["action"] == "replaced" and report["status"] == "ok"


def test_values_that_storing_would_change_are_quarantined(workspace, tmp_path):
    bank = clean_bank()
    c = bank["customers"]
    # balances of customers 6 and 7, whom nothing below quarantines (a quarantined customer's rows cascade)
    m = [r for r in bank["account_month"] if r["account_id"][:5] in ("A0006", "A0007")]
    line = {id(r): i + 2 for i, r in enumerate(bank["account_month"])}
    c[0]["name"] = "客\x00户"                      # NUL in a name
    c[1]["customer_id"] = "C\x010001"             # a control character in a key
    c[2]["name"] = "长" * 2000                     # over ingest.max_field_chars (1000)
    c[3]["risk_tolerance"] = "1.5"                # not a whole number (DuckDB would make it 2)
    c[4]["open_date"] = "2020-03-01 10:30:00"     # a date with a time of day
    c[5]["open_date"] = "2020/03/01 00:00:00"     # a date at midnight: the same day (documented)
    m[0]["end_balance"] = "1234.567"              # more decimals than the fen
    m[1]["end_balance"] = "1234.560"              # trailing zero: the same amount
    m[2]["end_balance"] = "1e3"                   # exponent: how a spreadsheet shows a rounded number
    m[3]["avg_daily_balance"] = "1_000"
    write_bank(tmp_path / "in", bank)
    report = ingest(workspace, tmp_path / "in")
    qc = {r["source_row"]: r for r in quarantine(report, "customers")}
    assert qc[2]["code"] == "control_character" and "position 2" in qc[2]["reason"]
    assert qc[3]["code"] == "control_character" and qc[3]["column"] == "customer_id"
    assert qc[4]["code"] == "too_long" and "2000 characters" in qc[4]["reason"]
    assert qc[5]["code"] == "bad_type" and qc[5]["column"] == "risk_tolerance"
    assert qc[6]["code"] == "bad_type" and qc[6]["column"] == "open_date"
    assert 7 not in qc
    qm = {r["source_row"]: r for r in quarantine(report, "account_month")}
    assert qm[line[id(m[0])]]["code"] == "too_many_decimals" and "1234.567" in qm[line[id(m[0])]]["reason"]
    assert "ingest.round_money" in qm[line[id(m[0])]]["reason"]
    assert line[id(m[1])] not in qm
    assert qm[line[id(m[2])]]["code"] == qm[line[id(m[3])]]["code"] == "bad_type"
    stored_m = stored(workspace, "account_month")
    assert stored_m.filter(f"account_id = '{m[1]['account_id']}' AND month = DATE '{m[1]['month']}-01'").project(
        "CAST(end_balance AS VARCHAR)").fetchall() == [("1234.56",)]
    day = stored(workspace, "customers").filter("customer_id = 'C0005'").project("open_date").fetchall()
    assert str(day[0][0]) == "2020-03-01"


def test_rounding_money_is_a_setting(workspace, tmp_path):
    import yaml

    from finecrm.services.workspace import open_workspace

    doc = yaml.safe_load(workspace.config_path.read_text())
    doc["ingest"]["round_money"] = True
    workspace.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    ws = open_workspace(workspace.home)
    bank = clean_bank()
    bank["account_month"][0]["end_balance"] = "1234.565"
    write_bank(tmp_path / "in", bank)
    report = ingest(ws, tmp_path / "in")
    assert report["status"] == "ok"
    row = bank["account_month"][0]
    got = stored(ws, "account_month").filter(
        f"account_id = '{row['account_id']}' AND month = DATE '{row['month']}-01'").project("end_balance").fetchall()
    assert str(got[0][0]) == "1234.57"  # to the fen, half away from zero


def test_typed_parquet_values_that_would_change_are_quarantined(workspace, tmp_path):
    import pyarrow as pa

    bank = clean_bank()
    folder = tmp_path / "in"
    write_bank(folder, {k: v for k, v in bank.items() if k != "account_month"})
    rows = bank["account_month"]
    table = pa.table({
        "account_id": [r["account_id"] for r in rows],
        "month": pa.array([date_of(r["month"] + "-01") for r in rows], pa.date32()),
        "end_balance": [1234.567 if i == 0 else float(r["end_balance"]) for i, r in enumerate(rows)],
        "avg_daily_balance": [float(r["avg_daily_balance"]) for r in rows],
    })
    pq.write_table(table, folder / "account_month.parquet")
    report = ingest(workspace, folder)
    q = quarantine(report, "account_month")
    assert [(r["source_row"], r["code"]) for r in q] == [(1, "too_many_decimals")]
    assert report["tables"]["account_month"]["accepted"] == len(rows) - 1


def date_of(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_a_bank_re_encoded_as_gbk_ingests_exactly_as_the_utf8_original(tmp_path):
    import shutil
    from datetime import date

    from finecrm.services.workspace import init_workspace, open_workspace
    from finecrm.synth import generate

    utf8 = tmp_path / "utf8"
    generate(utf8, customers=300, months=3, seed=2, fmt="csv", as_of=date(2026, 6, 30))
    staff = (utf8 / "staff.csv").read_text(encoding="utf-8").splitlines()
    # two staff whose names in GBK are also valid UTF-8 bytes: the names issue 12 lost
    for i, name in ((1, "钱倩霞"), (2, "郑霞")):
        cells = staff[i].split(",")
        cells[1] = name
        staff[i] = ",".join(cells)
    (utf8 / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    gbk = tmp_path / "gbk"
    shutil.copytree(utf8, gbk)
    for f in gbk.rglob("*.csv"):
        f.write_bytes(f.read_text(encoding="utf-8").encode("gbk"))
    reports = {}
    for name, folder in (("utf8", utf8), ("gbk", gbk)):
        init_workspace(tmp_path / f"ws_{name}")
        reports[name] = ingest(open_workspace(tmp_path / f"ws_{name}"), folder)
    r = reports["gbk"]
    assert r["status"] == "ok" and r["totals"]["quarantined"] == 0, r["totals"]
    assert set(r["tables"]["staff"]["encodings"].values()) == {"gbk"}
    assert digests(open_workspace(tmp_path / "ws_gbk")) == digests(open_workspace(tmp_path / "ws_utf8"))
    names = {n for (n,) in stored(open_workspace(tmp_path / "ws_gbk"), "staff").project("name").fetchall()}
    assert {"钱倩霞", "郑霞"} <= names
