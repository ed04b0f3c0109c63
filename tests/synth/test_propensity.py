"""Who signs up for mobile banking next is predictable from features as of a cut-off date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np

from .checks import read
from .conftest import AS_OF


def auc(score: np.ndarray, label: np.ndarray) -> float:
    order = np.argsort(score, kind="stable")
    ranks = np.empty(score.size)
    ranks[order] = np.arange(1, score.size + 1)
    pos = label.astype(bool)
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def logistic(x: np.ndarray, y: np.ndarray, iters: int = 25) -> np.ndarray:
    """Plain Newton–Raphson logistic regression with a little ridge (no sklearn in this package)."""
    x = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-x @ w))
        h = x.T @ (x * (p * (1 - p))[:, None]) + 1e-3 * np.eye(x.shape[1])
        w += np.linalg.solve(h, x.T @ (y - p))
    return w


def test_mobile_signup_in_next_90_days_is_predictable(bank5k: tuple[Path, dict[str, int]]) -> None:
    out, _ = bank5k
    cut = AS_OF - dt.timedelta(days=90)
    con = duckdb.connect()
    for name in ("customers", "accounts", "transactions", "signups", "branches", "account_month", "products"):
        con.register(name, read(out, name))
    rows = con.execute(f"""
        WITH pop AS (
            SELECT c.customer_id, date_diff('year', c.birth_date, DATE '{cut}') age,
                   (s.region LIKE '%城区')::INT urban
            FROM customers c JOIN branches o ON o.branch_id = c.branch_id JOIN branches s ON s.branch_id = o.parent_id
            WHERE c.kind = 'individual' AND c.open_date < DATE '{cut}'
              AND NOT EXISTS (SELECT 1 FROM signups m WHERE m.customer_id = c.customer_id AND m.service = 'mobile'
                              AND m.signed_on <= DATE '{cut}' AND (m.cancelled_on IS NULL OR m.cancelled_on > DATE '{cut}'))
              AND EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = c.customer_id
                          AND (a.close_date IS NULL OR a.close_date > DATE '{AS_OF}')))
        SELECT p.customer_id, p.age, p.urban,
               (EXISTS (SELECT 1 FROM signups o WHERE o.customer_id = p.customer_id AND o.service = 'online'
                        AND o.signed_on <= DATE '{cut}'))::INT AS online,
               ln(1 + (SELECT count(*) FROM transactions t JOIN accounts a USING (account_id)
                       WHERE a.customer_id = p.customer_id AND t.channel NOT IN ('batch', 'other')
                       AND t.ts BETWEEN DATE '{cut}' - INTERVAL 90 DAY AND DATE '{cut}')) AS activity,
               ln(1 + coalesce((SELECT sum(m.avg_daily_balance)::DOUBLE FROM account_month m JOIN accounts a USING (account_id)
                                JOIN products pr USING (product_code)
                                WHERE a.customer_id = p.customer_id AND m.month = date_trunc('month', DATE '{cut}')
                                AND pr.category IN ('deposit', 'time_deposit', 'wealth', 'fund', 'insurance')), 0)) AS aum,
               (EXISTS (SELECT 1 FROM signups m WHERE m.customer_id = p.customer_id AND m.service = 'mobile'
                        AND m.signed_on > DATE '{cut}' AND m.signed_on <= DATE '{AS_OF}'))::INT AS label
        FROM pop p ORDER BY p.customer_id""").fetchall()
    data = np.array([r[1:] for r in rows], dtype=float)
    x, y = data[:, :-1], data[:, -1]
    assert y.sum() >= 50 and (1 - y).sum() >= 500
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    # two-fold cross-validation: fit on one half, score the other, and the other way round
    fold = np.arange(len(y)) % 2 == 0
    scores = np.zeros(len(y))
    for train in (fold, ~fold):
        w = logistic(x[train], y[train])
        scores[~train] = np.column_stack([np.ones((~train).sum()), x[~train]]) @ w
        assert w[1] < 0  # older customers sign up less
    assert auc(scores, y) >= 0.75
