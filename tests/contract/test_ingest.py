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
