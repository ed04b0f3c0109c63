"""The console's parse lock: a query may read the marts it is given by name, and nothing else."""

from __future__ import annotations

import pytest

from finecrm.core.sqlguard import check_reads_only, check_single_select

MARTS = frozenset({"customer_360", "customer_value"})


@pytest.mark.parametrize("sql", [
    "SELECT tier, count(*) FROM customer_360 GROUP BY 1",
    "WITH a AS (SELECT * FROM customer_360) SELECT * FROM a JOIN customer_value USING (customer_id)",
    "SELECT * FROM main.customer_360",
    "SELECT (SELECT count(*) FROM customer_value) AS n",
    "SELECT table_name FROM information_schema.tables",
    "SELECT * FROM range(3)",
    "FROM customer_360 SELECT customer_id",
])
def test_the_marts_by_name_pass(sql):
    check_single_select(sql)
    check_reads_only(sql, MARTS)


@pytest.mark.parametrize(("sql", "words"), [
    ("SELECT * FROM read_parquet('/w/snapshots/x/marts/customer_360/**/*.parquet')", "read_parquet"),
    ("SELECT name FROM 'marts/customer_360/part-0.parquet'", "no mart named"),
    ('SELECT name FROM "marts/customer_360/part-0.parquet"', "no mart named"),
    ("SELECT * FROM glob('/w/**')", "glob"),
    ("SELECT * FROM query('SELECT 1')", "query"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT * FROM customer_360 WHERE customer_id IN (SELECT c FROM read_csv_auto('x.csv'))", "read_csv_auto"),
    ("SELECT read_text('/etc/passwd')", "read_text"),
    ("SELECT getenv('HOME')", "getenv"),
    ("SELECT * FROM other.main.customer_360", "only the marts"),
    ("SELECT * FROM information_schema.views", "only the marts"),
    ("SELECT * FROM raw_customers", "no mart named"),
    ("SELECT * FROM parquet_metadata('x.parquet')", "parquet_metadata"),
])
def test_files_paths_and_table_functions_are_refused(sql, words):
    with pytest.raises(ValueError, match=words) as err:
        check_reads_only(sql, MARTS)
    assert "/" in str(err.value)  # both languages
