"""The credit marts of a generated bank against the generator's ground truth, on DuckDB and Spark.

Days past due must equal ``_truth/loans.dpd_as_of``; the system category must be the 2023 rule applied
to that truth; the outstanding principal is recomputed here from the generated schedule files, row by
row in Python; the portfolio must add up to the loan-level mart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import duckdb
import pytest

from ...conftest import mart


def by_rule(dpd: int) -> str:
    """The default thresholds of the 2023 rule, written out: more than N days past due → at least …"""
    if dpd > 360:
        return "loss"
    if dpd > 270:
        return "doubtful"
    if dpd > 90:
        return "substandard"
    if dpd > 0:
        return "special_mention"
    return "normal"


def _files(bank_dir, name: str) -> str:
    return str(bank_dir / name / "*.parquet")


@pytest.fixture(scope="module")
def truth(bank_dir) -> dict[str, int]:
    rows = duckdb.sql(f"SELECT loan_id, dpd_as_of FROM read_parquet('{_files(bank_dir / '_truth', 'loans')}')")
    return dict(rows.fetchall())


def _as_dicts(relation) -> list[dict]:
    return relation.to_arrow_table().to_pylist()


def test_days_past_due_equal_the_truth_for_every_loan(engine_build, truth):
    ws, manifest = engine_build
    got = dict(mart(ws, manifest["build_id"], "loan_status").select("loan_id, dpd").fetchall())
    assert set(got) == set(truth)
    wrong = {k: (got[k], truth[k]) for k in truth if got[k] != truth[k]}
    assert not wrong, f"{len(wrong)} loans differ, e.g. {list(wrong.items())[:5]}"
    assert max(truth.values()) > 360 and sum(d > 90 for d in truth.values()) >= 3  # the test has bad loans to see


def test_system_category_is_the_rule_on_the_truth(engine_build, truth):
    ws, manifest = engine_build
    status = _as_dicts(mart(ws, manifest["build_id"], "loan_status").select("loan_id, is_open"))
    cls = _as_dicts(mart(ws, manifest["build_id"], "loan_classification")
                    .select("loan_id, system_category, final_category, is_overridden"))
    assert {r["loan_id"] for r in cls} == {r["loan_id"] for r in status if r["is_open"]}
    assert {k for k, d in truth.items() if d > 0} <= {r["loan_id"] for r in cls}  # past due is never closed
    wrong = [r for r in cls if r["system_category"] != by_rule(truth[r["loan_id"]])]
    assert not wrong, wrong[:5]
    # no change was handed to the build: the final category is the system's
    assert all(r["final_category"] == r["system_category"] and not r["is_overridden"] for r in cls)
    assert {"normal", "substandard", "loss"} <= {r["system_category"] for r in cls}


def test_outstanding_principal_is_the_schedule_recomputed(engine_build, bank_dir):
    ws, manifest = engine_build
    as_of = date.fromisoformat(manifest["as_of"])
    loans = _as_dicts(duckdb.sql(f"SELECT loan_id, principal FROM read_parquet('{_files(bank_dir, 'loans')}')"))
    schedule = _as_dicts(duckdb.sql(f"SELECT * FROM read_parquet('{_files(bank_dir, 'loan_schedule')}')"))
    # Independently, in fen: instalments paid in full by as_of repay their principal; a partial payment of
    # an instalment already due pays its interest first, the rest goes to principal.
    repaid: dict[str, int] = defaultdict(int)
    overdue: dict[str, int] = defaultdict(int)
    instalments: dict[str, int] = defaultdict(int)
    for s in schedule:
        instalments[s["loan_id"]] += 1
        p, i = round(float(s["due_principal"]) * 100), round(float(s["due_interest"]) * 100)
        if s["paid_date"] is not None and s["paid_date"] <= as_of:
            repaid[s["loan_id"]] += p
        elif s["due_date"] <= as_of:
            to_principal = min(max(round(float(s["paid_amount"] or 0) * 100) - i, 0), p)
            repaid[s["loan_id"]] += to_principal
            if s["due_date"] < as_of:
                overdue[s["loan_id"]] += p - to_principal
    expected = {r["loan_id"]: (round(float(r["principal"]) * 100) - repaid[r["loan_id"]]) / 100 for r in loans}
    got = {r["loan_id"]: r for r in _as_dicts(mart(ws, manifest["build_id"], "loan_status")
                                              .select("loan_id, outstanding_principal, overdue_principal, "
                                                      "instalments"))}
    assert set(got) == set(expected)
    wrong = [(k, got[k]["outstanding_principal"], v) for k, v in expected.items()
             if abs(got[k]["outstanding_principal"] - v) > 0.001]
    assert not wrong, wrong[:5]
    wrong = [(k, got[k]["overdue_principal"], overdue[k] / 100) for k in expected
             if abs(got[k]["overdue_principal"] - overdue[k] / 100) > 0.001]
    assert not wrong, wrong[:5]
    assert {k: r["instalments"] for k, r in got.items()} == {k: instalments[k] for k in expected}
    assert any(v > 0 for v in overdue.values()) and any(v == 0 for v in expected.values())


def test_the_portfolio_adds_up_to_the_loans(engine_build):
    ws, manifest = engine_build
    loans = _as_dicts(mart(ws, manifest["build_id"], "loan_classification")
                      .select("branch_id, product_code, final_category, outstanding_principal, overdue_principal"))
    expected: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for r in loans:
        e = expected[(r["branch_id"], r["product_code"], r["final_category"])]
        e[0] += 1
        e[1] += r["outstanding_principal"]
        e[2] += r["overdue_principal"]
        e[3] += r["outstanding_principal"] if r["final_category"] in ("substandard", "doubtful", "loss") else 0.0
    got = {(r["branch_id"], r["product_code"], r["category"]): r for r in _as_dicts(
        mart(ws, manifest["build_id"], "credit_portfolio")
        .select("branch_id, product_code, category, loans, outstanding_principal, overdue_principal, npl_balance"))}
    assert set(got) == set(expected)
    for k, (n, out, over, npl) in expected.items():
        g = got[k]
        assert g["loans"] == n, k
        assert g["outstanding_principal"] == pytest.approx(out, abs=0.011), k
        assert g["overdue_principal"] == pytest.approx(over, abs=0.011), k
        assert g["npl_balance"] == pytest.approx(npl, abs=0.011), k
    assert sum(g["npl_balance"] for g in got.values()) > 0


def test_overdue_history_is_the_schedule_at_each_month_end(engine_build, bank_dir):
    ws, manifest = engine_build
    as_of = date.fromisoformat(manifest["as_of"])
    got = {(r["loan_id"], r["month_end"]): r for r in _as_dicts(
        mart(ws, manifest["build_id"], "loan_overdue_history").select("loan_id, month, month_end, dpd, dpd_bucket"))}
    ends = sorted({k[1] for k in got})
    assert ends[-1] == as_of and len(ends) == 12  # every month of the generated year, the last one as of the build
    schedule = _as_dicts(duckdb.sql(f"SELECT loan_id, due_date, paid_date "
                                    f"FROM read_parquet('{_files(bank_dir, 'loan_schedule')}')"))
    # Independently: per month end, the earliest instalment due by then and not paid in full by then.
    first_unpaid: dict[tuple, date] = {}
    for s in schedule:
        for end in ends:
            if s["due_date"] <= end and (s["paid_date"] is None or s["paid_date"] > end):
                key = (s["loan_id"], end)
                first_unpaid[key] = min(first_unpaid.get(key, s["due_date"]), s["due_date"])
    expected = {k: (k[1] - d).days for k, d in first_unpaid.items()}
    missing = [k for k, d in expected.items() if d > 0 and k not in got]
    assert not missing, missing[:5]  # a loan past due is open
    wrong = [(k, r["dpd"], expected.get(k, 0)) for k, r in got.items() if r["dpd"] != expected.get(k, 0)]
    assert not wrong, wrong[:5]
    buckets = {r["dpd_bucket"] for r in got.values()}
    assert {"M0", "M4+"} <= buckets
    assert all((r["dpd_bucket"] == "M0") == (r["dpd"] == 0) for r in got.values())
    # the build month's row is the loan's status on the build date
    status = dict(mart(ws, manifest["build_id"], "loan_status").filter("is_open").select("loan_id, dpd").fetchall())
    assert {k[0]: r["dpd"] for k, r in got.items() if k[1] == as_of} == status
