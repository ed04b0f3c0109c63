"""Every table the generator writes conforms to the data contract."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

from finecrm.contract.tables import TABLES, TRANSACTIONS

from .checks import contract_violations, files_of, read
from .conftest import AS_OF

CHUNKED = {"account_month", "account_day", "transactions", "loan_schedule"}


def test_parquet_bank_conforms(small_parquet: tuple[Path, dict[str, int]]) -> None:
    out, rows = small_parquet
    assert contract_violations(out, "parquet", AS_OF) == []
    for t in TABLES:
        assert rows[t.name] > 0, f"{t.name} is empty"
        assert read(out, t.name).num_rows == rows[t.name]


def test_csv_bank_conforms(small_csv: tuple[Path, dict[str, int]]) -> None:
    out, rows = small_csv
    assert contract_violations(out, "csv", AS_OF) == []
    for t in TABLES:
        assert read(out, t.name, "csv").num_rows == rows[t.name]


def test_layout_single_files_and_parts(small_parquet: tuple[Path, dict[str, int]]) -> None:
    out, _ = small_parquet
    for name in ("branches", "staff", "grids", "products"):
        assert (out / f"{name}.parquet").is_file()
    for name in CHUNKED | {"customers", "accounts", "signups", "loans"}:
        parts = files_of(out, name, "parquet")
        # 1,000 customers in chunks of 400: three parts, numbered from 0
        assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]


def test_parquet_types_are_exact(small_parquet: tuple[Path, dict[str, int]]) -> None:
    out, _ = small_parquet
    for t in TABLES:
        for f in files_of(out, t.name, "parquet"):
            assert pq.read_schema(f).remove_metadata().equals(t.arrow_schema())


def test_csv_text_format(small_csv: tuple[Path, dict[str, int]]) -> None:
    out, _ = small_csv
    raw = (out / "transactions" / "part-00000.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(TRANSACTIONS.column_names)
    assert '"' not in text
    first = lines[1].split(",")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first[2])  # ts
    assert re.fullmatch(r"\d+\.\d\d", first[3])  # money, two decimals
    assert first[10] in ("true", "false")
    cust = (out / "customers" / "part-00000.csv").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", cust[1].split(",")[11])  # open_date
    # corporates have no birth date: an empty field, not "null"
    assert any(",," in line for line in cust[1:])
    assert "null" not in text.lower() and "none" not in text.lower()


def test_nothing_after_as_of_and_months_covered(small_parquet: tuple[Path, dict[str, int]]) -> None:
    out, _ = small_parquet
    months = read(out, "account_month").column("month").to_pylist()
    assert min(months).isoformat() == "2025-10-01" and max(months).isoformat() == "2026-09-01"
    days = read(out, "account_day").column("date").to_pylist()
    assert max(days) == AS_OF and (AS_OF - min(days)).days == 89
    ts = read(out, "transactions").column("ts").to_pylist()
    assert max(ts).date() <= AS_OF and min(ts).date().isoformat() >= "2025-10-01"
