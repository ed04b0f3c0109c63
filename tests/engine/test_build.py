"""A full build on a generated bank: checks, the generator's truth recovered, snapshots behave."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from finecrm.engine import snapshots
from finecrm.engine.registry import MARTS
from finecrm.services.snapshot.console import QueryError, open_snapshot, run_sql

from .conftest import mart

TIER_NAMES = {"private_banking": "私行", "wealth": "财富", "vip": "贵宾", "mass": "大众",
              "corp_strategic": "战略客户", "corp_core": "重点客户", "corp_growth": "成长客户", "corp_basic": "基础客户"}


def truth(bank_dir, name: str):
    path = bank_dir / "_truth" / name
    pattern = f"{path}/*.parquet" if path.is_dir() else f"{path}.parquet"
    return duckdb.sql(f"SELECT * FROM read_parquet('{pattern}')")


def test_every_mart_is_built_and_passes_its_checks(engine_build):
    ws, manifest = engine_build
    assert manifest["checks_passed"] is True
    assert set(manifest["marts"]) == {m.name for m in MARTS}
    for name, m in manifest["marts"].items():
        assert m["checks"], f"{name} declares no checks"
        assert all(c["passed"] for c in m["checks"]), name
    assert manifest["marts"]["customer_360"]["rows"] > 2900  # customers opened by the build date
    assert snapshots.manifest(ws.snapshots, manifest["build_id"])["checks_passed"]


def test_generated_tiers_are_recovered(engine_build, bank_dir):
    ws, manifest = engine_build
    c360 = mart(ws, manifest["build_id"], "customer_360")  # noqa: F841 (used in SQL)
    t = truth(bank_dir, "customers")  # noqa: F841
    rows = duckdb.sql("SELECT t.aum_tier, c.tier FROM t JOIN c360 c USING (customer_id)").fetchall()
    assert len(rows) > 2900
    agree = sum(TIER_NAMES[a] == b for a, b in rows)
    assert agree == len(rows), f"{len(rows) - agree} customers in another tier than generated"


def test_injected_deposit_outflows_are_alerted(engine_build, bank_dir):
    ws, manifest = engine_build
    alerts = {r[0] for r in mart(ws, manifest["build_id"], "deposit_alerts").project("customer_id").fetchall()}
    t = truth(bank_dir, "deposit_watch")
    abnormal = {r[0] for r in t.filter("is_abnormal").project("customer_id").fetchall()}
    assert abnormal, "the generator injected no abnormal outflow"
    recall = len(abnormal & alerts) / len(abnormal)
    precision = len(abnormal & alerts) / max(len(alerts), 1)
    print(f"deposit_watch recall {recall:.2f}, precision {precision:.2f} ({len(alerts)} alerts)")
    assert recall >= 0.9
    # every alert names its rule, parameters and evidence
    for rule, params, evidence in mart(ws, manifest["build_id"], "deposit_alerts").project(
            "rule, params, evidence").fetchall():
        assert rule == "deposit_drop" and "drop_share=0.3" in params and "baseline" in evidence


def test_pareto_curve_is_heavy_tailed(engine_build):
    ws, manifest = engine_build
    v = mart(ws, manifest["build_id"], "customer_value")
    top20 = v.filter("aum_customer_share <= 0.2").aggregate("max(cum_aum_share)").fetchall()[0][0]
    assert 0.6 < top20 < 0.98
    ranks = v.order("contribution_rank").project("contribution").fetchall()
    assert all(a[0] >= b[0] for a, b in itertools.pairwise(ranks)), "rank 1 = highest contribution"


def test_segments_are_labelled_and_explained(engine_build):
    ws, manifest = engine_build
    seg = mart(ws, manifest["build_id"], "customer_segment")
    labels = {r[0] for r in seg.project("segment").distinct().fetchall()}
    assert {"steady", "growth", "consumer"} <= labels
    assert seg.filter("segment_reason = ''").aggregate("count(*)").fetchall()[0][0] == 0
    model = manifest["artifacts"]["segments"]
    assert len(model["centroids"]) == 6 and model["sample_rows"] > 100


def test_sql_console_reads_marts_and_nothing_else(built, tmp_path):
    ws, manifest = built
    res = run_sql(ws, "SELECT count(*) AS n FROM customer_360", build_id=manifest["build_id"])
    hidden = run_sql(ws, "SELECT * FROM customer_360 LIMIT 1", build_id=manifest["build_id"])["columns"]
    assert not {"name", "phone", "id_number"} & set(hidden)  # personal data is left out by default
    shown = run_sql(ws, "SELECT name FROM customer_360 LIMIT 1", build_id=manifest["build_id"], hide_pii=False)
    assert shown["columns"] == ["name"]
    assert res["columns"] == ["n"] and res["rows"][0][0] > 2900
    res = run_sql(ws, "SELECT customer_id FROM customer_360 ORDER BY 1", limit=5, build_id=manifest["build_id"])
    assert len(res["rows"]) == 5 and res["truncated"]
    for bad in (
        f"COPY customer_360 TO '{tmp_path / 'x.csv'}'",
        "CREATE TABLE x AS SELECT 1",
        "ATTACH '/tmp/other.duckdb' AS o",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SELECT 1; DROP VIEW customer_360",
    ):
        with pytest.raises(QueryError):
            run_sql(ws, bad)
    # Two locks: the console's parse refuses files and table functions ...
    with pytest.raises(QueryError, match="not allowed"):
        run_sql(ws, "SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(QueryError, match="not allowed"):
        run_sql(ws, f"SELECT * FROM read_parquet('{ws.raw}/customers/data.parquet')")
    # ... and the locked connection itself cannot read outside the snapshot.
    con, _ = open_snapshot(ws)
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute(f"SELECT * FROM read_parquet('{ws.raw}/customers/data.parquet')")
    finally:
        con.close()
    assert not (tmp_path / "x.csv").exists()


def test_every_mart_column_is_documented(built):
    from tests.conftest import ROOT

    _, manifest = built
    doc = (ROOT / "docs" / "marts.md").read_text(encoding="utf-8")
    for name, m in manifest["marts"].items():
        assert f"`{name}`" in doc, f"docs/marts.md does not describe {name}"
        for col in m["columns"]:
            assert f"`{col}`" in doc, f"docs/marts.md does not explain {name}.{col}"


def test_rule_columns_match_the_built_customer_360(built):
    import ibis

    from finecrm.rules import columns_from_schema
    from finecrm.services.customers.columns import PII_COLUMNS, customer_360_columns

    ws, manifest = built
    path = ws.snapshots / manifest["build_id"] / "marts" / "customer_360"
    actual = columns_from_schema(ibis.duckdb.connect().read_parquet(f"{path}/*.parquet"))
    for pii in PII_COLUMNS:
        assert actual.pop(pii)
    assert customer_360_columns() == actual
