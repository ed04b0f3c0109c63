"""Real bank data nobody here wrote: the Berka export through docs/examples/berka."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from finecrm.services.data.ingest import ingest

from ..conftest import BERKA_MAPPING


@pytest.fixture(scope="module")
def berka_report(berka_dir, tmp_path_factory):
    from finecrm.services.workspace import init_workspace, open_workspace

    home = tmp_path_factory.mktemp("berka")
    init_workspace(home)
    ws = open_workspace(home)
    return ws, ingest(ws, berka_dir, mapping_dir=BERKA_MAPPING)


def _count(berka_dir, name: str) -> int:
    # Count the export's own lines independently of finecrm: complete data lines of the file.
    data = (berka_dir / name).read_bytes()
    return data.count(b"\n") - 1


def test_every_client_account_disposition_and_loan_arrives(berka_report, berka_dir):
    ws, report = berka_report
    t = report["tables"]
    assert t["customers"]["accepted"] == _count(berka_dir, "client.asc") == 5369
    assert t["account_parties"]["accepted"] == _count(berka_dir, "disp.asc") == 5369
    assert t["loans"]["accepted"] == _count(berka_dir, "loan.asc") == 682
    current = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{ws.raw / 'accounts' / 'data.parquet'}') WHERE product_code = 'CURRENT'"
    ).fetchall()[0][0]
    assert current == _count(berka_dir, "account.asc") == 4500
    for name, entry in t.items():
        if entry["status"] != "absent":
            assert entry["accepted"] + entry["quarantined"] == entry["read"], name


def test_the_truncated_last_line_of_trans_is_quarantined_with_a_reason(berka_report, berka_dir):
    _ws, report = berka_report
    src = report["sources"]["trans"]
    assert src["read"] == src["accepted"] + src["quarantined"]
    assert src["quarantined"] == 1 and src["by_reason"] == {"broken_line": 1}
    rows = pq.read_table(report["quarantine_files"]["source:trans"]["parquet"]).to_pylist()
    last_line = (berka_dir / "trans.asc").read_bytes().count(b"\n") + 1
    assert rows[0]["source_row"] == last_line and rows[0]["code"] == "broken_line"
    assert "PRIJE" in rows[0]["record"] and "expected 10 fields" in rows[0]["reason"]
    # every complete transaction line became a transaction
    assert report["tables"]["transactions"]["accepted"] == src["accepted"]


def test_berka_values_are_mapped_sensibly(berka_report):
    ws, _ = berka_report
    raw = ws.raw
    women = duckdb.sql(f"SELECT avg((gender = 'F')::INT) FROM read_parquet('{raw / 'customers' / 'data.parquet'}')")
    assert 0.4 < women.fetchall()[0][0] < 0.6
    months = duckdb.sql(
        f"SELECT min(month), max(month) FROM read_parquet('{raw}/account_month/*/data.parquet')"
    ).fetchall()[0]
    assert str(months[0]) == "1993-01-01" and str(months[1]) == "1994-03-01"
    channels = dict(duckdb.sql(
        f"SELECT channel, count(*) FROM read_parquet('{raw}/transactions/*/data.parquet') GROUP BY 1").fetchall())
    assert set(channels) <= {"counter", "atm", "batch", "other"} and channels["counter"] > channels["atm"]
