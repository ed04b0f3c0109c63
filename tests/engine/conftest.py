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


# --- one model on in-memory tables ------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark_for_rules(tmp_path_factory):
    """Returns the local Spark backend the in-memory rule tests share, started on first use.

    Spark takes a while to start, so the session is shared. A Spark build stops the session it ran on
    (the runner closes its backend), and Spark hands a build the running session if there is one, so
    a session found stopped is started again. Started with the default build settings, so a build
    that picks it up runs as it would have on its own.
    """
    from pyspark.sql import SparkSession

    from finecrm.core.settings import Settings
    from finecrm.engine.backends import connect

    work = tmp_path_factory.mktemp("spark-rules")
    running: list = []

    def get():
        if not running or SparkSession.getActiveSession() is None:
            running[:] = [connect("spark", work, memory_limit=Settings().build.memory_limit)]
        return running[0].con

    yield get
    if running:
        running[0].close()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request, tmp_path):
    """An Ibis backend to run one model on ``ibis.memtable`` inputs: DuckDB, or the shared local Spark."""
    if request.param == "spark":
        yield request.getfixturevalue("spark_for_rules")()
        return
    from finecrm.engine.backends import connect

    duck = connect("duckdb", tmp_path / "duckdb", memory_limit="1GB", threads=1)
    yield duck.con
    duck.close()


def rows(con, expr, *columns: str, key: int = 2) -> list[tuple]:
    """The result on ``con`` as tuples of ``columns``, sorted by the first ``key`` of them."""
    table = con.to_pyarrow(expr.select(*columns))
    return sorted((tuple(r[c] for c in columns) for r in table.to_pylist()), key=lambda r: r[:key])
