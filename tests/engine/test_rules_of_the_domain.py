"""Domain rules on hand-made customers whose history we choose: hysteresis, lifecycle, potential."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace

MONTHS = [date(2026, m, 1) for m in range(1, 10)]


def write(folder: Path, name: str, rows: list[dict]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Customers with chosen AUM paths (yuan, one value per month Jan–Sep 2026)."""
    paths = {
        "DOWN": [600_000, 600_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000],
        "DIP": [600_000, 100_000, 100_000, 600_000, 600_000, 600_000, 600_000, 600_000, 600_000],
        "UP": [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 7_000_000],
        "FALL": [200_000] * 6 + [200_000, 150_000, 100_000],
        "WATCH": [600_000] * 7 + [100_000, 100_000],
    }
    folder = tmp_path_factory.mktemp("small")
    write(folder, "branches", [{"branch_id": "HO", "name": "总行", "parent_id": "", "level": "head_office"}])
    write(folder, "products", [{"product_code": "DD", "name": "活期", "category": "deposit"}])
    customers, accounts, months = [], [], []
    for cid, path in paths.items():
        customers.append({"customer_id": cid, "kind": "individual", "name": cid, "open_date": "2020-01-01",
                          "branch_id": "HO"})
        accounts.append({"account_id": f"A{cid}", "customer_id": cid, "product_code": "DD",
                         "open_date": "2020-01-01", "status": "active", "branch_id": "HO", "currency": "CNY"})
        for m, v in zip(MONTHS, path, strict=True):
            months.append({"account_id": f"A{cid}", "month": m.isoformat(), "end_balance": v,
                           "avg_daily_balance": v})
    write(folder, "customers", customers)
    write(folder, "accounts", accounts)
    write(folder, "account_month", months)
    home = tmp_path_factory.mktemp("ws")
    init_workspace(home)
    ws = open_workspace(home)
    ingest(ws, folder)
    return ws


def history(ws, build_id: str, cid: str) -> list[tuple]:
    path = ws.snapshots / build_id / "marts" / "customer_tier_history"
    return duckdb.sql(f"SELECT tier, tier_watch, months_below FROM read_parquet('{path}/*.parquet') "
                      f"WHERE customer_id = '{cid}' ORDER BY month").fetchall()


@pytest.fixture(scope="module")
def built_small(small):
    return build(small)  # five customers: too few to cluster, which the build says and survives


def test_downgrade_only_after_three_months_upgrade_at_once(small, built_small):
    m = built_small
    down = history(small, m["build_id"], "DOWN")
    assert [t for t, _, _ in down] == ["财富", "财富", "财富", "财富", "贵宾", "贵宾", "贵宾", "贵宾", "贵宾"]
    assert [w for _, w, _ in down][:5] == [False, False, True, True, False]
    assert [n for _, _, n in down][:5] == [0, 0, 1, 2, 0]
    dip = history(small, m["build_id"], "DIP")  # two months below, then back: never downgraded
    assert {t for t, _, _ in dip} == {"财富"}
    up = history(small, m["build_id"], "UP")
    assert up[-1][0] == "私行" and up[-2][0] == "大众"
    watch = history(small, m["build_id"], "WATCH")
    assert watch[-1] == ("财富", True, 2)


def test_lifecycle_declining_after_a_30_percent_fall(small, built_small):
    m = built_small
    path = small.snapshots / m["build_id"] / "marts" / "customer_360"
    rows = dict(duckdb.sql(f"SELECT customer_id, lifecycle FROM read_parquet('{path}/*.parquet')").fetchall())
    assert rows["FALL"] == "declining"  # 100k vs 200k three months before: -50%
    assert rows["UP"] == "growing"
    # no customer-initiated transactions at all in the 9 months shown (< 12): not dormant yet
    assert rows["DIP"] == "stable"


def test_tiny_bank_gets_one_segment_with_a_reason(small, built_small):
    path = small.snapshots / built_small["build_id"] / "marts" / "customer_segment"
    reasons = {r[0] for r in duckdb.sql(f"SELECT segment_reason FROM read_parquet('{path}/*.parquet')").fetchall()}
    assert reasons == {"客户太少，未分群 / too few customers to segment"}
