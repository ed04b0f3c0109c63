"""The same rules select the same rows on a real local Spark, through the same Ibis expressions.

Each test runs its rules as boolean columns of one query, so Spark starts one job per test, not
one per rule.
"""

from __future__ import annotations

import shutil

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finecrm.rules import parse_rule

from .data import CASES, COLUMNS, ROWS, expected_ids
from .test_properties import bool_exprs

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    # pyspark 4.0's own pandas conversions warn under pandas 3; not ours to fix.
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (17) on PATH"),
]


@pytest.fixture(scope="module")
def spark_customers():
    import ibis
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    session = (
        SparkSession.builder.master("local[1]")
        .appName("finecrm-rules-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark_types = {
        "int": T.LongType(), "string": T.StringType(), "decimal": T.DecimalType(18, 2), "float": T.DoubleType(),
        "bool": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampNTZType(),
    }
    schema = T.StructType([T.StructField(name, spark_types[kind]) for name, kind in COLUMNS.items()])
    # Rows go in as Python values with None, so NULLs are NULLs (not pandas' NaN, which Spark keeps as NaN).
    frame = session.createDataFrame([tuple(row[name] for name in COLUMNS) for row in ROWS], schema)
    frame.createOrReplaceTempView("customers")
    con = ibis.pyspark.connect(session)
    return con.table("customers")


def test_every_case_selects_the_same_rows_on_spark(spark_customers):
    table = spark_customers
    # One Spark job for all cases: each rule becomes a boolean column.
    flags = {f"case_{i}": parse_rule(text, COLUMNS).to_ibis(table) for i, (text, _) in enumerate(CASES)}
    # Spark's own current_date of this query is what the current_date rules are read against.
    result = table.select("customer_id", today=ibis.today(), **flags).to_pyarrow().to_pylist()
    today = result[0]["today"]
    mismatches = {}
    for i, (text, reading) in enumerate(CASES):
        got = {row["customer_id"] for row in result if row[f"case_{i}"] is True}
        if got != expected_ids(reading, today):
            mismatches[text] = (sorted(got), sorted(expected_ids(reading, today)))
    assert not mismatches, mismatches


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(bool_exprs(3), min_size=100, max_size=100))
def test_generated_rules_select_the_same_rows_on_spark_and_duckdb(spark_customers, customers, texts):
    rules = [parse_rule(text, COLUMNS) for text in texts]

    def selections(table) -> list[set[int]]:
        flags = {f"r{i}": rule.to_ibis(table) for i, rule in enumerate(rules)}
        rows = table.select("customer_id", **flags).to_pyarrow().to_pylist()
        return [{row["customer_id"] for row in rows if row[f"r{i}"] is True} for i in range(len(rules))]

    mismatches = [
        (rule.normalized, sorted(on_duckdb), sorted(on_spark))
        for rule, on_duckdb, on_spark in zip(rules, selections(customers), selections(spark_customers), strict=True)
        if on_duckdb != on_spark
    ]
    assert not mismatches, mismatches
