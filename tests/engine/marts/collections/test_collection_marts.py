"""The collection marts of a generated bank against the generator's truth, and the priority on hand-made loans.

The queue must hold exactly the loans the truth has past due (``_truth/loans.dpd_as_of`` > 0), each in the bucket
worked out here from the days past due (DuckDB and Spark); the roll rates must equal a count made here with pandas
over the month ends; the priority order is checked on loans written by hand with roll rates written by hand.
"""

from __future__ import annotations

import itertools
from datetime import date

import duckdb
import ibis
import pandas as pd
import pytest

from finecrm.core.settings import Settings
from finecrm.core.settings_collections import CollectionSettings
from finecrm.engine.marts.collections import collection_queue
from finecrm.engine.model import BuildContext

from ...conftest import mart


def by_hand(dpd: int) -> str:
    """The default buckets, written out: M1 1–30, M2 31–60, M3 61–90, M4+ beyond; M0 not past due."""
    if dpd <= 0:
        return "M0"
    if dpd <= 30:
        return "M1"
    if dpd <= 60:
        return "M2"
    if dpd <= 90:
        return "M3"
    return "M4+"


def test_the_queue_is_the_loans_past_due_in_the_truth_in_their_buckets(engine_build, bank_dir):
    ws, manifest = engine_build
    truth = dict(duckdb.sql(f"SELECT loan_id, dpd_as_of FROM read_parquet('{bank_dir / '_truth' / 'loans'}/*.parquet')")
                 .fetchall())
    got = {r[0]: r[1:] for r in mart(ws, manifest["build_id"], "collection_queue")
           .select("loan_id, dpd, bucket, step, priority_rank").fetchall()}
    expected = {k for k, d in truth.items() if d > 0}
    assert set(got) == expected
    wrong = [(k, got[k][1], by_hand(truth[k])) for k in expected if got[k][1] != by_hand(truth[k])]
    assert not wrong, wrong[:5]
    steps = {"M1": "sms", "M2": "phone", "M3": "letter_visit", "M4+": "legal"}
    assert all(got[k][2] == steps[got[k][1]] for k in got)
    assert sorted(r[3] for r in got.values()) == list(range(1, len(got) + 1))  # ranks 1..n, no gap, no tie
    assert {"M1", "M4+"} <= {r[1] for r in got.values()}  # the test has early and late arrears to see


def test_roll_rates_equal_a_count_of_the_month_ends(built):
    ws, manifest = built
    hist = mart(ws, manifest["build_id"], "loan_overdue_history").select("loan_id, month, product_code, dpd").df()
    hist["bucket"] = hist["dpd"].map(by_hand)
    hist["month"] = pd.to_datetime(hist["month"])
    months = sorted(hist["month"].unique())
    nxt = dict(itertools.pairwise(months))
    start = hist[hist["month"].isin(list(nxt))].copy()
    start["next"] = start["month"].map(nxt)
    later = hist.rename(columns={"month": "next", "bucket": "to"})[["loan_id", "next", "to"]]
    moved = start.merge(later, on=["loan_id", "next"], how="left")
    moved["to"] = moved["to"].fillna("closed")
    counts = moved.groupby(["product_code", "bucket", "to"]).size()
    bank = moved.groupby(["bucket", "to"]).size()
    expected = {(p, f, t): int(n) for (p, f, t), n in counts.items()}
    expected.update({("*", f, t): int(n) for (f, t), n in bank.items()})
    got = {(r["product_code"], r["from_bucket"], r["to_bucket"]): r for r in
           mart(ws, manifest["build_id"], "collection_roll_rates").to_arrow_table().to_pylist()}
    assert {k: r["loans"] for k, r in got.items()} == expected
    totals = moved.groupby("bucket").size()
    for (p, f, _), r in got.items():
        if p == "*":
            assert r["from_loans"] == totals[f]
            assert r["rate"] == pytest.approx(r["loans"] / totals[f])
    # some loans got worse and some were cured: the matrix has something to say
    assert any(r["worse"] for r in got.values()) and ("*", "M1", "M0") in got


# --- the priority on hand-made loans -------------------------------------------------------------------------


def _status(rows: list[tuple]) -> ibis.Table:
    """loan_status rows: (loan_id, product_code, dpd, outstanding_principal, overdue_interest)."""
    return ibis.memtable(pd.DataFrame({
        "loan_id": [r[0] for r in rows], "customer_id": [f"C{r[0]}" for r in rows], "customer_kind": "individual",
        "branch_id": "B1", "manager_id": "S1", "product_code": [r[1] for r in rows], "product_name": "x",
        "as_of_date": date(2026, 6, 30), "dpd": [r[2] for r in rows], "principal": 100_000.0,
        "outstanding_principal": [float(r[3]) for r in rows], "overdue_principal": 1000.0,
        "overdue_interest": [float(r[4]) for r in rows], "overdue_amount": 1000.0, "overdue_instalments": 1,
        "first_unpaid_due": date(2026, 6, 1)}))


def _rates(rows: list[tuple]) -> ibis.Table:
    """collection_roll_rates rows: (product, from, to, loans, from_loans), ranks by the default buckets."""
    rank = {"M0": 0, "closed": 0, "M1": 1, "M2": 2, "M3": 3, "M4+": 4}
    return ibis.memtable(pd.DataFrame({
        "product_code": [r[0] for r in rows], "from_bucket": [r[1] for r in rows], "to_bucket": [r[2] for r in rows],
        "loans": [r[3] for r in rows], "from_loans": [r[4] for r in rows],
        "from_rank": [rank[r[1]] for r in rows], "to_rank": [rank[r[2]] for r in rows],
        "rate": [r[3] / r[4] for r in rows], "worse": [rank[r[2]] > rank[r[1]] for r in rows]}))


@pytest.fixture
def duck(tmp_path):
    from finecrm.engine.backends import connect

    con = connect("duckdb", tmp_path / "duckdb", memory_limit="1GB", threads=1)
    yield con.con
    con.close()


def test_priority_is_exposure_times_the_roll_probability(duck):
    settings = Settings(collections=CollectionSettings(roll_rates={"min_loans": 10}))
    ctx = BuildContext(as_of=date(2026, 6, 30), settings=settings)
    rates = _rates([
        # bank-wide: M1 rolls 1 in 4, M2 1 in 2; the last bucket stays 9 in 10
        ("*", "M1", "M2", 25, 100), ("*", "M1", "M0", 75, 100),
        ("*", "M2", "M3", 50, 100), ("*", "M2", "M1", 50, 100),
        ("*", "M4+", "M4+", 90, 100), ("*", "M4+", "closed", 10, 100),
        # product P has enough M1 history of its own (rolls 4 in 5); product Q has too little (5 < 10)
        ("P", "M1", "M2", 16, 20), ("P", "M1", "M0", 4, 20),
        ("Q", "M1", "M2", 5, 5),
    ])
    status = _status([
        ("A", "P", 10, 10_000, 0),      # M1, own rate 0.8 → 8,000
        ("B", "Q", 20, 20_000, 0),      # M1, Q too thin → bank 0.25 → 5,000
        ("C", "Q", 45, 9_000, 1_000),   # M2, bank 0.5, exposure 10,000 → 5,000 (more days past due than B: first)
        ("D", "P", 200, 5_000, 0),      # M4+, stays 0.9 → 4,500
        ("E", "P", 75, 50_000, 0),      # M3, no history anywhere → 1 → 50,000
        ("F", "P", 0, 99_999, 0),       # not past due: not in the queue
    ])
    q = collection_queue.build({"loan_status": status, "collection_roll_rates": rates}, ctx)
    got = duck.to_pyarrow(q.order_by("priority_rank")).to_pylist()
    assert [r["loan_id"] for r in got] == ["E", "A", "C", "B", "D"]
    by = {r["loan_id"]: r for r in got}
    assert [by[k]["bucket"] for k in "ABCDE"] == ["M1", "M1", "M2", "M4+", "M3"]
    assert [by[k]["roll_basis"] for k in "ABCDE"] == ["product", "bank", "bank", "bank", "none"]
    assert [by[k]["roll_probability"] for k in "ABCDE"] == pytest.approx([0.8, 0.25, 0.5, 0.9, 1.0])
    assert [by[k]["expected_loss"] for k in "ABCDE"] == pytest.approx([8000, 5000, 5000, 4500, 50000])
    assert by["A"]["priority_reason_zh"] == ("逾期 10 天（M1）；一个月后转入更差分段的概率 80%（本产品 20 笔历史）；"
                                             "敞口 ¥10000 × 80% ≈ 预期损失 ¥8000")
    assert "chance of no improvement a month later 90%" in by["D"]["priority_reason_en"]
    assert "no history yet" in by["E"]["priority_reason_en"]
    assert by["C"]["priority_reason"] == by["C"]["priority_reason_zh"] + " / " + by["C"]["priority_reason_en"]


def test_configured_buckets_move_the_boundaries(duck):
    buckets = [{"code": "B1", "up_to_days": 15, "step": "phone"}, {"code": "B2", "up_to_days": None, "step": "legal"}]
    cfg = CollectionSettings(buckets=buckets, assignment={"buckets": ["B1", "B2"]})
    ctx = BuildContext(as_of=date(2026, 6, 30), settings=Settings(collections=cfg))
    q = collection_queue.build({"loan_status": _status([("A", "P", 15, 1, 0), ("B", "P", 16, 1, 0)]),
                                "collection_roll_rates": _rates([("*", "M1", "M0", 1, 1)]).filter(ibis.literal(False))},
                               ctx)
    got = {r["loan_id"]: (r["bucket"], r["step"]) for r in duck.to_pyarrow(q).to_pylist()}
    assert got == {"A": ("B1", "phone"), "B": ("B2", "legal")}


def test_kept_and_broken_promises_equal_the_truth(built, bank_dir):
    """The generator's promises (``_truth/collection_promises``: what collectors would have recorded, and whether
    the repayment followed) read back through the collections service on the built snapshot."""
    from finecrm.db.models import CollectionPromise
    from finecrm.services.collections.queue import promise_states
    from finecrm.services.snapshot.serving import opened

    ws, _ = built
    truth = duckdb.sql(f"SELECT * FROM read_parquet('{bank_dir / '_truth' / 'collection_promises'}/*.parquet') "
                       "ORDER BY loan_id").to_arrow_table().to_pylist()
    assert {"kept", "broken"} <= {t["outcome"] for t in truth}  # the test has both to tell apart
    made = [CollectionPromise(id=i, contact_id=i, loan_id=t["loan_id"], customer_id=t["customer_id"],
                              amount=float(t["amount"]), made_on=t["made_on"], promised_on=t["promised_on"])
            for i, t in enumerate(truth, start=1)]
    with opened(ws) as serving:
        got = promise_states(serving, made)
    wrong = [(t["loan_id"], g["status"], t["outcome"], g["paid"], t["paid_in_window"])
             for t, g in zip(truth, got, strict=True)
             if g["status"] != t["outcome"] or abs(g["paid"] - float(t["paid_in_window"])) > 0.005]
    assert not wrong, wrong[:5]
