"""A generated bank, ingested and built once per session (DuckDB); Spark builds the same workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate

N_CUSTOMERS = 3000


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bank") / "bank"
    generate(out, customers=N_CUSTOMERS, months=12, seed=11)
    return out


@pytest.fixture(scope="session")
def built(bank_dir, tmp_path_factory):
    """(workspace, manifest) after ingest and a DuckDB build."""
    home = tmp_path_factory.mktemp("ws")
    init_workspace(home)
    ws = open_workspace(home)
    report = ingest(ws, bank_dir)
    assert not report["unusable"], report["unusable"]
    return ws, build(ws)


def mart(ws, build_id: str, name: str):
    import duckdb

    return duckdb.sql(f"SELECT * FROM read_parquet('{ws.snapshots / build_id / 'marts' / name}/**/*.parquet')")


@pytest.fixture(scope="session")
def built_spark(built):
    """The same workspace built on local Spark: (workspace, manifest)."""
    ws, _ = built
    return ws, build(ws, engine="spark")


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine_build(request):
    """The engine suite runs on both backends: (workspace, manifest) of a DuckDB or a Spark build."""
    return request.getfixturevalue("built" if request.param == "duckdb" else "built_spark")
