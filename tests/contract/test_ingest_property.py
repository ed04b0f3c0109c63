"""Property: whatever is wrong with the input, accepted + quarantined = read, nothing is lost, and no
accepted value differs from its source text beyond the documented normalisations.

Random damage to a small clean bank: wrong types, impossible dates, empty and duplicate keys, orphan
references, bad codes, a GBK line in a UTF-8 file, truncated lines, blank lines, control characters
(NUL, tab, DEL, C1, a stray BOM), oversized fields, amounts with more decimals than the fen, whole
numbers written as decimals, dates with a time, exponents and digit separators. Each damaged line must
land in quarantine (by its line number) with a reason; every other line must be accounted for too.
Harmless variations — spaces around a value, 2020/3/1 for 2020-03-01, a midnight time on a date,
trailing zeros, a leading + — must be accepted, and every stored value must equal its source text
normalised as docs/ingest.md says (trimmed; empty is missing; numbers, dates and months read exactly).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finecrm.contract.tables import BY_NAME
from finecrm.contract.types import ColType, Column
from finecrm.contract.validation import TRUE_WORDS
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace

from .bank import HEADERS, clean_bank

CORRUPTIONS = ("bad_type", "bad_date", "empty_key", "duplicate", "orphan", "bad_code", "gbk", "truncate", "blank",
               "control", "long", "precision", "exotic", "padded", "format")
#: Variations a bank's export may show that are not damage: the row must be accepted, normalised.
HARMLESS = ("blank", "padded", "format")
CONTROL = ("\x00", "\x01", "\t", "\x1f", "\x7f", "\x85", "\ufeff")
# Which column a control character or an oversized value goes into, per table.
TEXT_COLUMN = {"customers": "name", "accounts": "account_id", "account_month": "account_id"}
# A value DuckDB's own casts would silently change (round, cut, or read differently).
CHANGED = {"customers": ("risk_tolerance", "2.5"), "accounts": ("open_date", "2021-01-15 10:00:00"),
           "account_month": ("end_balance", "123.456")}
EXOTIC = {"customers": ("risk_tolerance", "1e0"), "accounts": ("open_date", "20210115"),
          "account_month": ("avg_daily_balance", "1_000")}
PADDED = {"customers": "name", "accounts": "status", "account_month": "end_balance"}
# Which column each value corruption hits, per table (the contract checks these).
TYPED = {"customers": "birth_date", "accounts": "open_date", "account_month": "end_balance", "products": "risk_level",
         "branches": None}
DATES = {"customers": "open_date", "accounts": "open_date", "account_month": "month"}
CODES = {"customers": "kind", "accounts": "status", "products": "category", "branches": "level"}
ORPHANS = {"customers": ("branch_id", "B404"), "accounts": ("customer_id", "C404"),
           "account_month": ("account_id", "A404")}
KEY = {"branches": "branch_id", "products": "product_code", "customers": "customer_id", "accounts": "account_id",
       "account_month": "account_id"}


def _line(row: dict[str, str], header: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([row.get(h, "") for h in header])
    return buf.getvalue()


@st.composite
def corrupted_bank(draw):
    bank = clean_bank(n_customers=6)
    # Only leaf tables are corrupted, so a bad parent does not make its children orphans on top:
    # the cascade is covered by test_ingest; here every corruption must be caught where it is made.
    tables = ["customers", "accounts", "account_month"]
    ops = draw(st.lists(st.tuples(st.sampled_from(tables), st.sampled_from(CORRUPTIONS), st.integers(0, 10_000)),
                        min_size=1, max_size=8))
    control = draw(st.sampled_from(CONTROL))
    files: dict[str, list[bytes]] = {}
    must_quarantine: dict[str, set[int]] = {}
    blank_lines: dict[str, int] = {}
    # customers → accounts → account_month: rows of a child whose parent is corrupted are also
    # quarantined (as orphans); track parents that are hit so their children are expected too.
    hit_keys: dict[str, set[str]] = {t: set() for t in tables}
    plan: dict[str, dict[int, str]] = {t: {} for t in tables}
    for table, op, pick in ops:
        if op == "gbk" and (table != "customers" or "gbk" in plan[table].values()):
            # One GBK line in a UTF-8 file with Chinese text. (A file that is ASCII plus GBK lines,
            # or mostly GBK, is a GBK file and is read as one: by design, tested in test_csvfile.)
            continue
        plan[table].setdefault(pick % len(bank[table]), op)
    for table in ["branches", "products", *tables]:
        header = HEADERS[table]
        lines = [",".join(header).encode()]
        must = set()
        blanks = 0
        extra: list[tuple[bytes, bool]] = []
        for i, row in enumerate(bank[table]):
            row = dict(row)
            op = plan.get(table, {}).get(i)
            parent_hit = (table == "accounts" and row["customer_id"] in hit_keys["customers"]) or (
                table == "account_month" and row["account_id"] in hit_keys["accounts"])
            bad = op is not None and op not in HARMLESS
            if op == "bad_type" and TYPED.get(table):
                row[TYPED[table]] = "abc"
            elif op == "bad_date":
                row[DATES[table]] = "2026-02-30"
            elif op == "empty_key":
                row[KEY[table]] = ""
            elif op == "orphan":
                col, value = ORPHANS[table]
                row[col] = value
            elif op == "bad_code" and table in CODES:
                row[CODES[table]] = "zzz"
            elif op == "bad_code":  # account_month has no code column: use a non-first-day month
                row["month"] = "2026-07-15"
            elif op == "control":
                col = TEXT_COLUMN[table]
                row[col] = row[col][:1] + control + row[col][1:]
            elif op == "long":
                col = TEXT_COLUMN[table]
                row[col] = row[col] + "长" * 1000  # over ingest.max_field_chars (1000)
            elif op == "precision":
                col, value = CHANGED[table]
                row[col] = value
            elif op == "exotic":
                col, value = EXOTIC[table]
                row[col] = value
            elif op == "padded":
                row[PADDED[table]] = f"  {row[PADDED[table]]} "
            elif op == "format":
                if table == "customers":
                    y, m, d = row["open_date"].split("-")
                    row["open_date"] = f"{y}/{int(m)}/{int(d)}"
                    row["birth_date"] += " 00:00:00"
                elif table == "accounts":
                    row["open_date"] = row["open_date"].replace("-", "/")
                else:
                    row["end_balance"] = "+" + row["end_balance"] + "00"
                    row["month"] = row["month"] + "-01"
            elif op == "duplicate":
                bad = False  # the original stays valid; the copy appended at the end is the bad one
                extra.append((_line(row, header).encode(), True))
            text = _line(row, header)
            if op == "gbk":
                data = text.encode("gbk")
            elif op == "truncate":
                cut = text.rfind(",")  # drop the last field and its delimiter: one field short
                data = text[:cut].encode("utf-8")
            else:
                data = text.encode("utf-8")
            lines.append(data)
            if bad or parent_hit:
                must.add(len(lines))  # 1-based physical line number
                hit_keys.setdefault(table, set()).add(bank[table][i][KEY[table]])
            if op == "blank":
                lines.append(b"")
                blanks += 1
        for data, is_bad in extra:
            lines.append(data)
            if is_bad:
                must.add(len(lines))
        files[table] = lines
        must_quarantine[table] = must
        blank_lines[table] = blanks
    return files, must_quarantine, blank_lines


def normalised(col: Column, text: str) -> object:
    """The value a source text must be stored as (docs/ingest.md, "What is checked")."""
    t = text.strip(" ")
    if t == "":
        return None
    if col.type is ColType.STRING:
        return t
    if col.type is ColType.INT:
        return int(t)
    if col.type in (ColType.MONEY, ColType.RATE):
        return Decimal(t)
    if col.type is ColType.BOOL:
        return t.lower() in TRUE_WORDS
    found = re.match(r"(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?", t)
    assert found, t
    return date(int(found[1]), int(found[2]), int(found[3] or 1))


def check_values(ws, table: str, lines: list[bytes], quarantined_lines: set[int], accepted: int) -> None:
    """Every stored row is exactly one accepted source line, normalised."""
    spec = BY_NAME[table]
    header = lines[0].decode().split(",")
    expected: dict[tuple, dict[str, object]] = {}
    for number, raw in enumerate(lines[1:], start=2):
        if number in quarantined_lines or not raw.strip(b", "):
            continue
        values = dict(zip(header, next(csv.reader([raw.decode("utf-8")])), strict=True))
        row = {c.name: normalised(c, values[c.name]) if c.name in values else None for c in spec.columns}
        expected.setdefault(tuple(row[k] for k in spec.key), row)
    files = sorted((ws.raw / table).rglob("data.parquet"))
    stored = [r for f in files for r in pq.read_table(f).to_pylist()]
    assert len(stored) == accepted == len(expected), table
    for r in stored:
        assert r == expected[tuple(r[k] for k in spec.key)], f"{table}: stored {r} differs from its source"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_bank())
def test_accepted_plus_quarantined_is_read_and_every_bad_line_has_a_reason(case):
    files, must_quarantine, blank_lines = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "in"
        folder.mkdir()
        for table, lines in files.items():
            (folder / f"{table}.csv").write_bytes(b"\n".join(lines) + b"\n")
        init_workspace(root / "ws")
        ws = open_workspace(root / "ws")
        report = ingest(ws, folder)
        for table, lines in files.items():
            t = report["tables"][table]
            data_lines = len(lines) - 1 - blank_lines[table]
            assert t["read"] == data_lines, table
            assert t["accepted"] + t["quarantined"] == t["read"], table
            q_rows = []
            if t["quarantined"]:
                q_rows = pq.read_table(report["quarantine_files"][table]["parquet"]).to_pylist()
            assert len(q_rows) == t["quarantined"]
            assert all(r["code"] and r["reason"] for r in q_rows), table
            assert sum(t["by_reason"].values()) == t["quarantined"]
            quarantined_lines = {r["source_row"] for r in q_rows}
            missing = must_quarantine[table] - quarantined_lines
            assert not missing, f"{table}: corrupted lines {sorted(missing)} were accepted"
            assert quarantined_lines <= must_quarantine[table], (
                f"{table}: clean lines {sorted(quarantined_lines - must_quarantine[table])} were quarantined")
            if report["committed"]:
                check_values(ws, table, lines, quarantined_lines, t["accepted"])
            else:  # a table that could not be used at all: nothing was stored
                assert report["unusable"] and not list(ws.raw.rglob("*.parquet"))
