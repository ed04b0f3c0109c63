"""DuckDB and Spark produce the same marts from the same warehouse (the same Ibis code on both)."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.spark

#: Float sums are accumulated in a different order on each backend; amounts rounded to the fen can
#: then differ by one fen at a .005 boundary. Anything larger is a real difference.
FEN = 0.0101
#: Marts whose grain includes nullable columns (so no declared key): the columns that identify a row.
GRAIN = {"portfolio_summary": ("branch_id", "grid_id", "manager_id", "month", "kind", "tier")}


@pytest.fixture(scope="module")
def both(built, built_spark):
    ws, duck = built
    _, spark = built_spark
    assert spark["engine"] == "spark" and spark["checks_passed"]
    return ws, duck, spark


def _rel(ws, build_id: str, mart: str):
    return duckdb.sql(f"SELECT * FROM read_parquet('{ws.snapshots / build_id / 'marts' / mart}/**/*.parquet')")


def test_same_marts_same_rows_same_values(both):
    ws, duck, spark = both
    assert set(duck["marts"]) == set(spark["marts"])
    for name, meta in duck["marts"].items():
        a = _rel(ws, duck["build_id"], name)
        b = _rel(ws, spark["build_id"], name)
        assert sorted(a.columns) == sorted(b.columns), name
        types_a = dict(zip(a.columns, map(str, a.types), strict=True))
        types_b = dict(zip(b.columns, map(str, b.types), strict=True))
        assert types_a == types_b, f"{name}: column types differ"
        assert meta["rows"] == spark["marts"][name]["rows"], name
        if not meta["rows"]:
            continue
        ident = meta["key"] or GRAIN[name]
        on = " AND ".join(f'a."{c}" IS NOT DISTINCT FROM b."{c}"' for c in ident)
        joined = duckdb.sql(f"SELECT count(*) FROM a JOIN b ON {on}").fetchall()[0][0]
        assert joined == meta["rows"], f"{name}: keys differ"
        for col, typ in types_a.items():
            if col in ident:
                continue
            if typ in ("DOUBLE", "FLOAT") or typ.startswith("DECIMAL"):
                cond = (f'abs(coalesce(a."{col}", 0) - coalesce(b."{col}", 0)) > '
                        f'greatest({FEN}, 1e-9 * abs(coalesce(a."{col}", 0))) '
                        f'OR (a."{col}" IS NULL) <> (b."{col}" IS NULL)')
            else:
                cond = f'a."{col}" IS DISTINCT FROM b."{col}"'
            bad = duckdb.sql(f"SELECT count(*) FROM a JOIN b ON {on} WHERE {cond}").fetchall()[0][0]
            assert bad == 0, f"{name}.{col}: {bad} rows differ between DuckDB and Spark"


def test_same_segment_model(both):
    _, duck, spark = both
    a, b = duck["artifacts"]["segments"], spark["artifacts"]["segments"]
    assert a["labels"] == b["labels"] and a["sample_rows"] == b["sample_rows"]
    for ca, cb in zip(a["centroids"], b["centroids"], strict=True):
        assert ca == pytest.approx(cb, abs=1e-6)
