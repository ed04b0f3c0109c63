"""Mappings are SQL written by a bank's data team: they may read their sources and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from finecrm.core.errors import MappingError
from finecrm.services.data.ingest import ingest

from .bank import HEADERS, clean_bank, to_csv


def make_mapping(tmp_path: Path, sql: dict[str, str], sources: str | None = None) -> tuple[Path, Path]:
    data = tmp_path / "export"
    data.mkdir()
    bank = clean_bank()
    (data / "kh.txt").write_text(to_csv(bank["customers"], HEADERS["customers"]).replace(",", "|"))
    (data / "jg.txt").write_text(to_csv(bank["branches"], HEADERS["branches"]).replace(",", "|"))
    m = tmp_path / "mapping"
    m.mkdir()
    (m / "mapping.yaml").write_text(
        sources or "sources:\n  kh: {file: kh.txt, delimiter: '|'}\n  jg: {file: jg.txt, delimiter: '|'}\n"
    )
    for table, text in sql.items():
        (m / f"{table}.sql").write_text(text)
    return data, m


def test_mapping_renames_and_converts(workspace, tmp_path):
    data, m = make_mapping(tmp_path, {
        "branches": "SELECT branch_id, name, parent_id, level FROM jg",
        "customers": "SELECT customer_id, kind, name, birth_date, open_date, branch_id FROM kh",
    })
    report = ingest(workspace, data, mapping_dir=m)
    assert report["tables"]["customers"]["accepted"] == 8 and report["totals"]["quarantined"] == 0
    # stored, but said plainly: a warehouse without products, accounts and balances is incomplete
    assert report["status"] == "incomplete" and report["committed"]
    assert report["incomplete"] == ["products", "accounts", "account_month"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "disabled by configuration"),
        ("SET enable_external_access = true", "expected a SELECT"),
        ("SELECT * FROM read_text('/etc/hostname')", "disabled by configuration"),
        ("COPY jg TO '/tmp/x.csv'", "expected a SELECT"),
        ("DROP TABLE jg", "expected a SELECT"),
        ("SELECT 1 AS branch_id; SELECT 2 AS branch_id", "exactly one SELECT"),
        ("ATTACH '/tmp/other.db' AS o", "expected a SELECT"),
        ("SELECT branch_id, 1 AS surprise FROM jg", "not in the contract"),
    ],
)
def test_mapping_cannot_escape(workspace, tmp_path, sql, message):
    data, m = make_mapping(tmp_path, {"branches": sql})
    try:
        report = ingest(workspace, data, mapping_dir=m)
    except MappingError as exc:
        assert message in str(exc)
        return
    assert report["tables"]["branches"]["status"] == "unusable"
    assert message in report["tables"]["branches"]["error"]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("sources: {}", "key 'sources'"),
        ("sources:\n  kh: {file: kh.txt, delim: '|'}\n", "unknown key(s) delim"),
        ("sources:\n  kh: {file: kh.txt, encoding: latin1}\n", "expected auto, utf-8 or gbk"),
        ("sources:\n  kh: {file: nothere.txt}\n", "nothere.txt not found"),
    ],
)
def test_mapping_config_errors_name_the_key(workspace, tmp_path, yaml_text, message):
    data, m = make_mapping(tmp_path, {"branches": "SELECT 1 AS branch_id"}, sources=yaml_text)
    with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest(workspace, data, mapping_dir=m)


def test_sql_file_must_be_named_after_a_table(workspace, tmp_path):
    data, m = make_mapping(tmp_path, {"clients": "SELECT 1"})
    with pytest.raises(MappingError, match="not a contract table"):
        ingest(workspace, data, mapping_dir=m)
