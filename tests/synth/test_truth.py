"""The ground truth in _truth/ agrees with the data it describes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from finecrm.synth import truth

from .checks import read
from .conftest import AS_OF


def read_truth(out: Path, name: str, fmt: str = "parquet") -> pa.Table:
    return read(out / "_truth", name, fmt, truth.SCHEMAS[name])


@pytest.fixture(scope="module", params=["small_parquet", "bank5k"])
def db(request: pytest.FixtureRequest) -> duckdb.DuckDBPyConnection:
    out, _ = request.getfixturevalue(request.param)
    con = duckdb.connect()
    for name in ("customers", "accounts", "transactions", "signups", "staff", "loans", "loan_schedule",
                 "account_day", "campaign_responses", "products", "account_parties"):
        con.register(name, read(out, name))
    for name in truth.SCHEMAS:
        con.register(f"t_{name}", read_truth(out, name))
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return float(rows(con, sql)[0][0])


def test_truth_ids_exist(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) FROM t_case_transactions WHERE txn_id NOT IN (SELECT txn_id FROM transactions)") == 0
    assert one(db, """SELECT count(*) FROM t_case_transactions c JOIN transactions t USING (txn_id)
                      WHERE c.account_id <> t.account_id OR c.amount <> t.amount OR c.direction <> t.direction""") == 0
    for table, col, ref in (("t_cases", "customer_id", "customers"), ("t_cases", "account_id", "accounts"),
                            ("t_case_parties", "customer_id", "customers"), ("t_case_parties", "account_id", "accounts"),
                            ("t_case_parties", "staff_id", "staff"), ("t_deposit_watch", "customer_id", "customers"),
                            ("t_loans", "loan_id", "loans")):
        assert one(db, f"SELECT count(*) FROM {table} WHERE {col} IS NOT NULL AND {col} NOT IN "
                       f"(SELECT {col} FROM {ref})") == 0, (table, col)
    assert one(db, "SELECT count(*) FROM t_customers") == one(db, "SELECT count(*) FROM customers")
    assert one(db, "SELECT count(*) FROM t_loans") == one(db, "SELECT count(*) FROM loans")


def test_every_typology_has_cases_with_transactions(db: duckdb.DuckDBPyConnection) -> None:
    counts = dict(rows(db, "SELECT typology, count(*) FROM t_cases WHERE n_txns > 0 GROUP BY 1"))
    for typ in ("fan_in_fan_out", "concentrated_in_fan_out", "pass_through", "cash_structuring",
                "dormant_reactivation", "cycle", "abnormal_outflow"):
        assert counts.get(typ, 0) >= 3, typ
    assert counts.get("insider_ebanking", 0) >= 1
    assert one(db, """SELECT count(*) FROM t_cases c JOIN (SELECT case_id, count(*) n FROM t_case_transactions GROUP BY 1) x
                      USING (case_id) WHERE c.n_txns <> x.n""") == 0
    assert one(db, """SELECT count(*) FROM t_case_transactions ct JOIN t_cases c USING (case_id)
                      JOIN transactions t USING (txn_id)
                      WHERE CAST(t.ts AS DATE) NOT BETWEEN c.start_date AND c.end_date""") == 0


def test_typologies_look_like_their_definition(db: duckdb.DuckDBPyConnection) -> None:
    # structuring: cash just under the 50,000 reporting threshold
    bad = one(db, """SELECT count(*) FROM t_case_transactions ct JOIN t_cases c USING (case_id) JOIN transactions t USING (txn_id)
                     WHERE c.typology = 'cash_structuring' AND (t.kind <> 'cash' OR t.amount NOT BETWEEN 45000 AND 49999.99)""")
    assert bad == 0
    # fan-in: many distinct small senders, then most of it leaves in one or two transfers
    for n_in, senders, n_out, ratio in rows(db, """
            SELECT count(*) FILTER (WHERE t.direction = 'in'), count(DISTINCT t.counterparty_account) FILTER (WHERE t.direction = 'in'),
                   count(*) FILTER (WHERE t.direction = 'out'),
                   sum(t.amount) FILTER (WHERE t.direction = 'out') / sum(t.amount) FILTER (WHERE t.direction = 'in')
            FROM t_case_transactions ct JOIN t_cases c USING (case_id) JOIN transactions t USING (txn_id)
            WHERE c.typology = 'fan_in_fan_out' GROUP BY case_id"""):
        assert n_in >= 15 and senders == n_in and n_out <= 2 and 0.85 < ratio < 1
    # cycle: money goes around three accounts of the bank and every hop names the next account
    for hops, accounts in rows(db, """SELECT count(*), count(DISTINCT t.account_id) FROM t_case_transactions ct
                                       JOIN t_cases c USING (case_id) JOIN transactions t USING (txn_id)
                                       WHERE c.typology = 'cycle' AND t.direction = 'out' GROUP BY case_id"""):
        assert accounts == 3 and hops % 3 == 0
    assert one(db, """SELECT count(*) FROM t_case_transactions ct JOIN t_cases c USING (case_id) JOIN transactions t USING (txn_id)
                      WHERE c.typology = 'cycle' AND t.counterparty_account NOT IN (SELECT account_id FROM accounts)""") == 0
    # the cycle's members are related through a common authorised party
    assert one(db, """SELECT count(*) FROM t_case_parties p JOIN account_parties ap USING (account_id)
                      WHERE p.role = 'ring_member' AND ap.role = 'authorised'""") >= 9
    # dormant reactivation: nothing customer-initiated on the account before the case
    assert one(db, """SELECT count(*) FROM t_cases c JOIN transactions t ON t.account_id = c.account_id
                      WHERE c.typology = 'dormant_reactivation' AND CAST(t.ts AS DATE) < c.start_date
                      AND t.channel NOT IN ('batch', 'other')""") == 0
    # pass-through: nearly all of what came in left again
    for ratio in rows(db, """SELECT sum(t.amount) FILTER (WHERE t.direction = 'out') / sum(t.amount) FILTER (WHERE t.direction = 'in')
                             FROM t_case_transactions ct JOIN t_cases c USING (case_id) JOIN transactions t USING (txn_id)
                             WHERE c.typology = 'pass_through' GROUP BY case_id"""):
        assert 0.95 < ratio[0] < 1


def test_insider_case(db: duckdb.DuckDBPyConnection) -> None:
    cases = rows(db, "SELECT case_id, customer_id FROM t_cases WHERE typology = 'insider_ebanking'")
    assert cases
    for case_id, customer in cases:
        staff = rows(db, f"SELECT staff_id FROM t_case_parties WHERE case_id = '{case_id}' AND role = 'staff'")[0][0]
        role, staff_branch = rows(db, f"SELECT role, branch_id FROM staff WHERE staff_id = '{staff}'")[0]
        assert role == "operations_manager"
        home = rows(db, f"SELECT branch_id FROM customers WHERE customer_id = '{customer}'")[0][0]
        signup = rows(db, f"""SELECT branch_id, signed_on FROM signups WHERE customer_id = '{customer}'
                              AND service = 'mobile' AND operator_id = '{staff}'""")
        assert len(signup) == 1
        assert signup[0][0] == staff_branch != home
        card = rows(db, f"""SELECT a.account_id, a.open_date, p.category FROM accounts a JOIN products p USING (product_code)
                            WHERE a.customer_id = '{customer}' AND a.operator_id = '{staff}'""")
        assert len(card) == 1 and card[0][2] == "debit_card" and card[0][1] == signup[0][1]
        moved = rows(db, f"""SELECT t.amount, a.close_date FROM transactions t JOIN accounts a USING (account_id)
                             JOIN products p USING (product_code)
                             WHERE t.counterparty_account = '{card[0][0]}' AND p.category = 'time_deposit'
                             AND t.channel = 'mobile' AND t.direction = 'out'""")
        assert len(moved) == 1 and moved[0][1] is not None
        atm = rows(db, f"""SELECT count(*), sum(amount), max(CAST(ts AS DATE)) FROM transactions
                           WHERE account_id = '{card[0][0]}' AND channel = 'atm' AND direction = 'out'""")[0]
        assert atm[0] >= 3 and float(atm[1]) > 0.95 * float(moved[0][0])
        assert (atm[2] - signup[0][1]).days <= 10
        # the card's daily balances show the money arriving and leaving
        peak = one(db, f"SELECT max(balance) FROM account_day WHERE account_id = '{card[0][0]}'")
        assert peak > 0


def test_deposit_watch_labels(db: duckdb.DuckDBPyConnection) -> None:
    abnormal = rows(db, "SELECT max_drop_7d FROM t_deposit_watch WHERE is_abnormal")
    normal = rows(db, "SELECT max_drop_7d FROM t_deposit_watch WHERE NOT is_abnormal")
    assert len(abnormal) >= 3 and len(normal) >= 5
    assert all(r[0] >= 0.3 for r in abnormal)
    assert all(r[0] < 0.2 for r in normal)
    # the outflow transactions are there, on the drop date or within the next days
    assert one(db, """SELECT count(*) FROM t_deposit_watch w JOIN t_cases c USING (case_id)
                      WHERE w.is_abnormal AND c.n_txns = 0""") == 0


def test_deposit_watch_drop_recomputed_from_account_day(db: duckdb.DuckDBPyConnection) -> None:
    cid, drop, day = rows(db, "SELECT customer_id, max_drop_7d, drop_date FROM t_deposit_watch WHERE is_abnormal LIMIT 1")[0]
    series = rows(db, f"""SELECT d.date, sum(d.balance)::DOUBLE FROM account_day d JOIN accounts a USING (account_id)
                          WHERE a.customer_id = '{cid}' GROUP BY 1 ORDER BY 1""")
    days = [r[0] for r in series]
    bal = [r[1] for r in series]
    i = days.index(day)
    avg30 = sum(bal[i - 30:i]) / 30
    low = min(bal[i:i + 7])
    assert abs((1 - low / avg30) - drop) < 1e-3


def test_customer_truth(db: duckdb.DuckDBPyConnection) -> None:
    tiers = {r[0] for r in rows(db, "SELECT DISTINCT aum_tier FROM t_customers")}
    assert {"mass", "vip", "corp_basic"} <= tiers
    life = dict(rows(db, "SELECT lifecycle, count(*) FROM t_customers GROUP BY 1"))
    assert set(life) == {"new", "growing", "stable", "declining", "dormant", "lost"}
    # lost customers have closed every account; new customers opened within six months
    assert one(db, """SELECT count(*) FROM t_customers t JOIN accounts a USING (customer_id)
                      WHERE t.lifecycle = 'lost' AND a.status <> 'closed'""") == 0
    assert one(db, f"""SELECT count(*) FROM t_customers t JOIN customers c USING (customer_id)
                       WHERE t.lifecycle = 'new' AND c.open_date < DATE '{AS_OF}' - INTERVAL 183 DAY""") == 0
    # dormant customers initiated nothing in the window (but for the cases that wake an account up)
    assert one(db, """SELECT count(*) FROM t_customers t JOIN accounts a USING (customer_id) JOIN transactions x USING (account_id)
                      WHERE t.lifecycle = 'dormant' AND x.channel NOT IN ('batch', 'other') AND NOT t.in_case""") == 0
    assert one(db, """SELECT count(*) FROM t_customers t JOIN t_cases c USING (customer_id)
                      WHERE c.typology = 'dormant_reactivation' AND t.lifecycle = 'dormant'""") >= 3


def test_loan_truth_matches_schedule(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(db, f"""WITH s AS (SELECT loan_id, min(due_date) FILTER (WHERE paid_date IS NULL AND due_date <= DATE '{AS_OF}') d
                                 FROM loan_schedule GROUP BY 1)
                      SELECT count(*) FROM t_loans t JOIN s USING (loan_id)
                      WHERE t.dpd_as_of <> coalesce(date_diff('day', s.d, DATE '{AS_OF}'), 0)""")
    assert bad == 0
    pats = dict(rows(db, "SELECT delinquency, max(dpd_as_of) FROM t_loans GROUP BY 1"))
    assert pats["on_time"] == 0 and pats.get("cured", 0) == 0


def test_campaign_truth(db: duckdb.DuckDBPyConnection) -> None:
    t = rows(db, "SELECT n_treatment, n_control, responders_treatment, responders_control, true_uplift FROM t_campaign")[0]
    arms = dict(rows(db, "SELECT arm, count(*) FROM campaign_responses GROUP BY 1"))
    assert (arms["treatment"], arms["control"]) == (t[0], t[1])
    resp = dict(rows(db, "SELECT arm, count(*) FILTER (WHERE responded) FROM campaign_responses GROUP BY 1"))
    assert (resp["treatment"], resp["control"]) == (t[2], t[3])
    assert 0.15 < t[1] / (t[0] + t[1]) < 0.35 and t[4] == 0.04
    # every responder bought the product on the response date
    missing = one(db, """SELECT count(*) FROM campaign_responses r WHERE r.responded AND NOT EXISTS (
                           SELECT 1 FROM accounts a WHERE a.customer_id = r.customer_id
                           AND a.product_code = r.product_code AND a.open_date = r.responded_on)""")
    assert missing == 0
    assert one(db, "SELECT count(*) FROM campaign_responses WHERE arm = 'control' AND contacted_on IS NOT NULL") == 0


def test_readme_documents_every_truth_file(small_parquet: tuple[Path, dict[str, int]]) -> None:
    out, _ = small_parquet
    text = (out / "_truth" / "README.md").read_text(encoding="utf-8")
    for name, schema in truth.SCHEMAS.items():
        assert f"## {name}" in text, name
        for col in schema.names:
            assert col in text, (name, col)


def test_docs_describe_every_truth_column() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "synthetic-bank.md").read_text(encoding="utf-8")
    for name, schema in truth.SCHEMAS.items():
        assert f"### {name}" in doc, name
        for col in schema.names:
            assert col in doc, (name, col)
