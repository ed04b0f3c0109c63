"""The marketing marts on the engine suite's bank: adoption dates from the raw tables, and the
scoring hook joined back the same way on DuckDB and Spark."""

from __future__ import annotations

import duckdb
import pytest

from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.marketing.propensity import train_target
from finecrm.services.workspace import init_workspace, open_workspace


def _mart(ws, manifest, name: str) -> str:
    return f"read_parquet('{ws.snapshots / manifest['build_id'] / 'marts' / name}/**/*.parquet')"


def test_product_adoption_is_the_first_date_in_the_raw_tables(built):
    ws, manifest = built
    raw = {t: f"read_parquet('{ws.raw / t}/**/*.parquet')" for t in ("signups", "accounts", "products", "customers")}
    expected = duckdb.sql(f"""
        WITH s AS (SELECT customer_id, min(signed_on) FILTER (WHERE service = 'mobile') AS m FROM {raw['signups']}
                   GROUP BY 1),
             a AS (SELECT a.customer_id, min(a.open_date) FILTER (WHERE p.category = 'wealth') AS w,
                          min(a.open_date) FILTER (WHERE p.category = 'credit_card') AS c,
                          min(a.open_date) FILTER (WHERE a.product_code = 'LN01') AS l
                   FROM {raw['accounts']} a JOIN {raw['products']} p USING (product_code) GROUP BY 1)
        SELECT c.customer_id, s.m, a.w, a.c, a.l FROM {raw['customers']} c
        LEFT JOIN s USING (customer_id) LEFT JOIN a USING (customer_id)""")
    got = duckdb.sql(f"""SELECT customer_id, first_mobile_banking_on, first_wealth_on, first_credit_card_on,
                                first_consumer_loan_on FROM {_mart(ws, manifest, 'product_adoption')}""")
    assert got.shape[0] == expected.shape[0]
    diff = duckdb.sql("""SELECT count(*) FROM got g JOIN expected e USING (customer_id)
        WHERE g.first_mobile_banking_on IS DISTINCT FROM e.m OR g.first_wealth_on IS DISTINCT FROM e.w
           OR g.first_credit_card_on IS DISTINCT FROM e.c OR g.first_consumer_loan_on IS DISTINCT FROM e.l""")
    assert diff.fetchall()[0][0] == 0
    counts = duckdb.sql("SELECT count(first_mobile_banking_on), count(first_consumer_loan_on) FROM got").fetchall()[0]
    assert counts[0] > 1000 and counts[1] > 10


def test_features_cover_the_history_window_for_individuals(built):
    ws, manifest = built
    f = _mart(ws, manifest, "propensity_features")
    months, kinds = duckdb.sql(f"""
        SELECT count(DISTINCT month), (SELECT count(*) FROM {_mart(ws, manifest, 'customer_360')} c
                                        JOIN (SELECT DISTINCT customer_id FROM {f}) USING (customer_id)
                                        WHERE c.kind <> 'individual') FROM {f}""").fetchall()[0]
    assert months == min(ws.settings.marketing.history_months, 12) and kinds == 0
    last = duckdb.sql(f"SELECT max(month) FROM {f}").fetchall()[0][0]
    assert str(last) == manifest["as_of"][:8] + "01"


@pytest.mark.spark
def test_scores_join_back_the_same_on_spark(bank_dir, tmp_path_factory):
    """With an active model, DuckDB and Spark builds give the same scores, deciles and next best product."""
    home = tmp_path_factory.mktemp("scored")
    init_workspace(home)
    ws = open_workspace(home)
    ingest(ws, bank_dir)
    build(ws)
    train_target(ws, "mobile_banking", actor="test", activate=True)
    duck = build(ws)
    spark = build(ws, engine="spark")
    assert duck["checks_passed"] and spark["checks_passed"]
    assert duck["artifacts"]["propensity"] == spark["artifacts"]["propensity"]
    a = duckdb.sql(f"SELECT * FROM {_mart(ws, duck, 'customer_propensity')}")
    b = duckdb.sql(f"SELECT * FROM {_mart(ws, spark, 'customer_propensity')}")
    assert a.shape == b.shape and a.columns == b.columns
    scored = duckdb.sql("SELECT count(p_mobile_banking) FROM a").fetchall()[0][0]
    assert scored > 300
    diff = duckdb.sql("""SELECT count(*) FROM a JOIN b USING (customer_id)
        WHERE abs(coalesce(a.p_mobile_banking, -1) - coalesce(b.p_mobile_banking, -1)) > 1e-12
           OR a.decile_mobile_banking IS DISTINCT FROM b.decile_mobile_banking
           OR a.reason_mobile_banking IS DISTINCT FROM b.reason_mobile_banking
           OR a.nbp_target IS DISTINCT FROM b.nbp_target OR a.nbp_reason IS DISTINCT FROM b.nbp_reason
           OR a.eligible_wealth IS DISTINCT FROM b.eligible_wealth""").fetchall()[0][0]
    assert diff == 0
