"""The card compiled to SQL gives the points Python gives, for every row: the Ibis expression on DuckDB and
on Spark, the exported SQL text as is in DuckDB (and, translated, in Spark SQL), and generated values at
every bin edge, empty, special and unseen values (hypothesis)."""

from __future__ import annotations

import math

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finecrm.ml.scorecard import Scorecard, card_expr, card_sql
from finecrm.ml.scorecard.sql import GRADE, GRADE_PD, SCORE, points_column
from tests.ml.scorecard_data import applicants


@pytest.fixture(scope="module")
def fitted():
    x, y = applicants(3000, seed=11)
    # a name with a space, a quote and Chinese: the SQL must quote it
    x = x.rename(columns={"noise": "备注 \"x\""})
    return Scorecard(special_codes=[-999], min_iv=0.0, max_correlation=1.0).fit(x, y), x


def tricky_rows(card, n: int = 400, seed: int = 5) -> pd.DataFrame:
    """Every edge, its neighbouring floats, empties, specials and unseen categories, plus random values."""
    rng = np.random.default_rng(seed)
    cols = {}
    for v in card.variables:
        if v.dtype == "numerical":
            edges = np.asarray(v.splits, dtype=float)
            near = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf), [-999.0]])
            vals = rng.choice(near, n)
            spread = float(np.ptp(edges)) if len(edges) > 1 else 10.0
            random = rng.random(n) < 0.3
            vals[random] = rng.normal(float(np.mean(edges)) if len(edges) else 0.0, spread, int(random.sum()))
            vals[rng.random(n) < 0.1] = np.nan
            cols[v.name] = vals
        else:
            seen = [c for b in v.bins for c in (b.categories or [])]
            vals = rng.choice(np.asarray([*seen, "never seen", "O'Brien"], dtype=object), n).astype(object)
            vals[rng.random(n) < 0.1] = None
            cols[v.name] = vals
    return pd.DataFrame(cols)


def load(con, rows: pd.DataFrame, name: str, folder):
    """``rows`` as a table of ``con``, through a Parquet file as a bank's data would come (an in-memory
    pandas table would reach Spark with empty text as the string 'NaN')."""
    path = folder / f"{name}.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), path)
    return con.create_table(name, con.read_parquet(str(path)), overwrite=True)


def python_result(sc, rows):
    pts = sc.points(rows)
    return pts, sc.score(rows), sc.grade(rows)


def check(sc, rows, got: pd.DataFrame):
    pts, score, grade = python_result(sc, rows)
    got = got.sort_values("_row").reset_index(drop=True)
    for v in sc.card_.variables:
        assert np.array_equal(got[points_column(v.name)].to_numpy(dtype=float), pts[v.name].to_numpy()), v.name
    assert np.array_equal(got[SCORE].to_numpy(dtype=float), score)
    assert list(got[GRADE]) == list(grade)
    pd_by_label = {g.label: g.pd for g in sc.card_.grades}
    assert np.allclose(got[GRADE_PD].to_numpy(dtype=float), [pd_by_label[g] for g in grade])


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_ibis_expression_equals_python_for_every_row(fitted, engine, request, tmp_path):
    sc, x = fitted
    rows = pd.concat([x.head(1500), tricky_rows(sc.card_)], ignore_index=True)
    rows["_row"] = np.arange(len(rows))
    con = ibis.duckdb.connect() if engine == "duckdb" else request.getfixturevalue("spark_con")()
    table = load(con, rows, f"applicants_{engine}", tmp_path)
    got = con.to_pyarrow(card_expr(sc.card_, table)).to_pandas()
    check(sc, rows, got)


def test_exported_sql_runs_as_is_in_duckdb(fitted):
    sc, x = fitted
    rows = pd.concat([x.head(1000), tricky_rows(sc.card_, seed=9)], ignore_index=True)
    rows["_row"] = np.arange(len(rows))
    text = card_sql(sc.card_, "applicants")
    con = duckdb.connect()
    con.register("applicants_df", rows)
    con.execute("CREATE TABLE applicants AS SELECT * FROM applicants_df")
    got = con.execute(text).df()
    check(sc, rows, got)
    assert list(got.columns[: len(rows.columns)]) == list(rows.columns)  # the table's own columns come first


@pytest.mark.spark
def test_exported_sql_in_spark_dialect_runs_in_spark(fitted, spark_con, tmp_path):
    sc, x = fitted
    rows = pd.concat([x.head(300), tricky_rows(sc.card_, n=200, seed=4)], ignore_index=True)
    rows["_row"] = np.arange(len(rows))
    con = spark_con()
    load(con, rows, "applicants_sparksql", tmp_path)
    text = card_sql(sc.card_, "applicants_sparksql", dialect="spark")
    got = con._session.sql(text).toPandas()
    check(sc, rows, got)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_values_at_the_edges_score_alike_in_sql(fitted, data):
    sc, _ = fitted
    cols = {}
    n = data.draw(st.integers(1, 25))
    for v in sc.card_.variables:
        if v.dtype == "numerical":
            edge_values = st.sampled_from(v.splits).flatmap(
                lambda e: st.sampled_from([e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf)]))
            value = st.one_of(edge_values, st.just(-999.0), st.none(),
                              st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12,
                                        max_value=1e12))
            cols[v.name] = [np.nan if a is None else a for a in data.draw(st.lists(value, min_size=n, max_size=n))]
        else:
            seen = [c for b in v.bins for c in (b.categories or [])]
            value = st.one_of(st.sampled_from(seen), st.none(), st.text(max_size=6))
            cols[v.name] = data.draw(st.lists(value, min_size=n, max_size=n))
    rows = pd.DataFrame(cols)
    for v in sc.card_.variables:
        if v.dtype == "categorical":
            rows[v.name] = rows[v.name].astype(object)
    rows["_row"] = np.arange(n)
    con = duckdb.connect()
    con.register("applicants", rows)
    check(sc, rows, con.execute(card_sql(sc.card_, "applicants")).df())


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(300, 900), pdo=st.sampled_from([10.0, 20.0, 50.0]),
       decimals=st.sampled_from([0, 2, None]))
def test_generated_tables_fit_cards_whose_sql_matches(seed, n, pdo, decimals):
    x, y = applicants(n, seed=seed)
    sc = Scorecard(pdo=pdo, points_decimals=decimals, special_codes=[-999], min_iv=0.0).fit(x, y)
    rows = pd.concat([x, tricky_rows(sc.card_, n=100, seed=seed)], ignore_index=True)
    rows["_row"] = np.arange(len(rows))
    con = duckdb.connect()
    con.register("applicants", rows)
    got = con.execute(card_sql(sc.card_, "applicants")).df().sort_values("_row").reset_index(drop=True)
    pts, score, grade = python_result(sc, rows)
    for v in sc.card_.variables:
        assert np.allclose(got[points_column(v.name)].to_numpy(dtype=float), pts[v.name].to_numpy(), rtol=0,
                           atol=1e-9), v.name
    assert np.allclose(got[SCORE].to_numpy(dtype=float), score, rtol=0, atol=1e-8)
    if decimals is not None:  # whole or 2-decimal points: a sum near a grade cut is exact enough to compare
        assert list(got[GRADE]) == list(grade)
