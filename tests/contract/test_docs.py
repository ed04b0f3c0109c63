from __future__ import annotations

from finecrm.contract.docs import render
from finecrm.contract.ingest import REASONS
from finecrm.contract.tables import TABLES

from ..conftest import ROOT


def test_data_contract_doc_matches_the_code():
    doc = ROOT / "docs" / "data-contract.md"
    assert doc.read_text(encoding="utf-8") == render(), "run 'make docs' (finecrm contract docs) and commit"


def test_every_quarantine_reason_is_explained():
    codes = {c.code for t in TABLES for c in t.checks}
    assert codes <= set(REASONS)
    ingest_doc = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    for code in REASONS:
        assert f"`{code}`" in ingest_doc, f"docs/ingest.md does not explain {code}"


def test_contract_is_well_formed():
    names = {t.name for t in TABLES}
    for t in TABLES:
        cols = t.column_names
        assert len(set(cols)) == len(cols)
        assert set(t.key) <= set(cols)
        for k in t.key:
            assert t.column(k).required, f"{t.name}.{k} is a key part and must be required"
        for c in t.foreign_keys:
            parent, col = c.ref.split(".")
            assert parent in names and col in {x.name for x in next(p for p in TABLES if p.name == parent).columns}
            assert TABLES.index(next(p for p in TABLES if p.name == parent)) <= TABLES.index(t), "parents first"
        if t.period:
            assert t.period in cols
