"""The generated bank looks like a county bank: concentration of AUM, channel shift, adoption by
age, every tier band, delinquency, lifecycle — measured on the contract tables themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest

from finecrm.synth.identity import resident_id_check, uscc_valid

from .checks import read
from .conftest import AS_OF

AUM_CATS = "('deposit','time_deposit','debit_card','wealth','fund','insurance')"


@pytest.fixture(scope="module")
def db(bank5k: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    out, _ = bank5k
    con = duckdb.connect()
    for name in ("customers", "accounts", "account_month", "account_day", "transactions", "signups", "products",
                 "loans", "loan_schedule", "staff", "branches", "grids", "campaign_responses"):
        con.register(name, read(out, name))
    con.execute(f"""CREATE TABLE aum AS
        SELECT c.customer_id, c.kind, coalesce(sum(m.avg_daily_balance), 0)::DOUBLE AS aum
        FROM customers c LEFT JOIN accounts a USING (customer_id) LEFT JOIN products p USING (product_code)
        LEFT JOIN account_month m ON m.account_id = a.account_id AND m.month = DATE '2026-09-01'
             AND p.category IN {AUM_CATS}
        GROUP BY ALL""")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    assert row is not None
    return float(row[0])


def test_top20_hold_most_aum(db: duckdb.DuckDBPyConnection) -> None:
    share = one(db, """WITH r AS (SELECT aum, row_number() OVER (ORDER BY aum DESC) rn, count(*) OVER () n
                                  FROM aum WHERE kind = 'individual')
                       SELECT sum(aum) FILTER (WHERE rn <= n * 0.2) / sum(aum) FROM r""")
    assert 0.6 <= share <= 0.95


def test_every_tier_band_present(db: duckdb.DuckDBPyConnection) -> None:
    bands = db.execute("""SELECT count(*) FILTER (WHERE aum >= 6e6), count(*) FILTER (WHERE aum >= 5e5 AND aum < 6e6),
                                 count(*) FILTER (WHERE aum >= 5e4 AND aum < 5e5), count(*) FILTER (WHERE aum < 5e4)
                          FROM aum WHERE kind = 'individual'""").fetchone()
    assert bands is not None and all(b >= 1 for b in bands)
    assert bands[3] > bands[2] > bands[1] > bands[0]  # a pyramid: most customers are mass retail


def test_mobile_share_rises_and_counter_falls(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("""SELECT date_trunc('month', ts) m, avg((channel = 'mobile')::INT), avg((channel = 'counter')::INT)
                         FROM transactions WHERE channel NOT IN ('batch', 'other') GROUP BY 1 ORDER BY 1""").fetchall()
    assert len(rows) == 12
    first, last = rows[0], rows[-1]
    assert last[1] > first[1] + 0.08
    assert last[2] < first[2]


def test_mobile_only_after_signup(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(db, """SELECT count(*) FROM transactions t JOIN accounts a USING (account_id)
                     WHERE t.channel = 'mobile' AND NOT EXISTS (
                        SELECT 1 FROM signups s WHERE s.customer_id = a.customer_id AND s.service = 'mobile'
                        AND s.signed_on <= CAST(t.ts AS DATE)
                        AND (s.cancelled_on IS NULL OR s.cancelled_on > CAST(t.ts AS DATE)))""")
    assert bad == 0


def test_mobile_adoption_by_age(db: duckdb.DuckDBPyConnection) -> None:
    rows = dict(db.execute("""
        SELECT date_diff('year', birth_date, DATE '2026-09-30') < 40 AS young,
               avg((EXISTS (SELECT 1 FROM signups s WHERE s.customer_id = c.customer_id AND s.service = 'mobile'
                            AND s.cancelled_on IS NULL))::INT)
        FROM customers c WHERE kind = 'individual' AND date_diff('year', birth_date, DATE '2026-09-30') NOT BETWEEN 40 AND 59
        GROUP BY 1""").fetchall())
    assert rows[True] > rows[False] + 0.3


def test_older_and_rural_customers_use_the_counter_more(db: duckdb.DuckDBPyConnection) -> None:
    rows = dict(db.execute("""
        SELECT date_diff('year', c.birth_date, DATE '2026-09-30') >= 60,
               avg((t.channel = 'counter')::INT)
        FROM transactions t JOIN accounts a USING (account_id) JOIN customers c USING (customer_id)
        WHERE c.kind = 'individual' AND t.channel NOT IN ('batch', 'other') AND t.kind IN ('transfer', 'cash')
        GROUP BY 1""").fetchall())
    assert rows[True] > rows[False] + 0.1


def test_counter_transactions_have_a_teller_of_the_bank(db: duckdb.DuckDBPyConnection) -> None:
    missing = one(db, "SELECT count(*) FROM transactions WHERE channel = 'counter' AND operator_id IS NULL")
    assert missing == 0
    roles = {r[0] for r in db.execute("""SELECT DISTINCT s.role FROM transactions t JOIN staff s ON s.staff_id = t.operator_id
                                          WHERE t.channel = 'counter'""").fetchall()}
    assert roles == {"teller"}


def test_volume_and_heavy_tail(db: duckdb.DuckDBPyConnection) -> None:
    per = one(db, "SELECT count(*) / (SELECT count(*) * 12 FROM customers) FROM transactions")
    assert 10 <= per <= 22
    row = db.execute("""SELECT avg(n) FILTER (WHERE kind = 'corporate'), avg(n) FILTER (WHERE kind = 'individual')
                              FROM (SELECT c.kind, count(t.txn_id) n FROM customers c JOIN accounts a USING (customer_id)
                                    LEFT JOIN transactions t USING (account_id) GROUP BY c.customer_id, c.kind)""").fetchone()
    assert row is not None
    corp, ind = row
    assert corp > 3 * ind


def test_delinquency_patterns_in_the_schedule(db: duckdb.DuckDBPyConnection) -> None:
    dpd = dict(db.execute("""
        WITH first_unpaid AS (SELECT loan_id, min(due_date) d FROM loan_schedule
                              WHERE paid_date IS NULL AND due_date <= DATE '2026-09-30' GROUP BY 1)
        SELECT CASE WHEN date_diff('day', d, DATE '2026-09-30') > 360 THEN '360+'
                    WHEN date_diff('day', d, DATE '2026-09-30') > 90 THEN '90+' ELSE 'lt90' END, count(*)
        FROM first_unpaid GROUP BY 1""").fetchall())
    assert dpd.get("360+", 0) >= 1 and dpd.get("90+", 0) >= 3
    late = one(db, "SELECT count(DISTINCT loan_id) FROM loan_schedule WHERE paid_date > due_date")
    on_time = one(db, "SELECT count(*) FROM loans") - late - sum(dpd.values())
    assert late >= 3 and on_time > 5 * late  # most pay on time
    partial = one(db, "SELECT count(*) FROM loan_schedule WHERE paid_date IS NULL AND paid_amount > 0")
    assert partial >= 1


def test_loan_accounts_carry_outstanding_principal(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(db, """SELECT count(*) FROM loans l JOIN account_month m USING (account_id)
                     WHERE m.end_balance > l.principal""")
    assert bad == 0
    assert one(db, "SELECT count(*) FROM loans l JOIN account_month m USING (account_id)") > 0


def test_account_day_matches_account_month(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("""
        WITH d AS (SELECT account_id, date_trunc('month', date)::DATE m, avg(balance)::DOUBLE a,
                          arg_max(balance, date)::DOUBLE e, count(*) n
                   FROM account_day GROUP BY 1, 2)
        SELECT count(*), count(*) FILTER (WHERE abs(d.e - am.end_balance::DOUBLE) > 0.005),
               count(*) FILTER (WHERE abs(d.a - am.avg_daily_balance::DOUBLE) > 0.01)
        FROM d JOIN account_month am ON am.account_id = d.account_id AND am.month = d.m
        WHERE d.m >= DATE '2026-08-01' AND d.n = date_part('day', last_day(d.m))""").fetchone()
    assert rows is not None and rows[0] > 1000
    assert rows[1] == 0 and rows[2] == 0


def test_transactions_inside_account_lifetime(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(db, """SELECT count(*) FROM transactions t JOIN accounts a USING (account_id)
                     WHERE CAST(t.ts AS DATE) < a.open_date OR CAST(t.ts AS DATE) > a.close_date""")
    assert bad == 0


def test_organisation_shape(db: duckdb.DuckDBPyConnection) -> None:
    levels = dict(db.execute("SELECT level, count(*) FROM branches GROUP BY 1").fetchall())
    assert levels["head_office"] == 1 and levels["sub_branch"] >= 3 and levels["outlet"] >= levels["sub_branch"]
    cms = one(db, "SELECT count(*) FROM staff WHERE role = 'customer_manager'")
    assert 5_000 / 500 <= cms <= 5_000 / 300 + 3
    for role in ("lobby_manager", "teller", "operations_manager", "branch_head", "risk_officer", "collector",
                 "compliance_officer", "analyst"):
        assert one(db, f"SELECT count(*) FROM staff WHERE role = '{role}'") >= 1, role
    rural_in_grid = one(db, """SELECT avg((c.grid_id IS NOT NULL)::INT) FROM customers c
                               JOIN branches o ON o.branch_id = c.branch_id JOIN branches s ON s.branch_id = o.parent_id
                               WHERE c.kind = 'individual' AND s.region NOT LIKE '%城区'""")
    assert rural_in_grid > 0.7


def test_managers_take_the_most_valuable_customers(db: duckdb.DuckDBPyConnection) -> None:
    rows = dict(db.execute("""SELECT c.manager_id IS NOT NULL, median(a.aum) FROM customers c JOIN aum a USING (customer_id)
                              GROUP BY 1""").fetchall())
    assert rows[True] > 5 * rows[False]
    share = one(db, "SELECT avg((manager_id IS NOT NULL)::INT) FROM customers")
    assert 0.3 < share < 0.9


def test_identity_numbers(bank5k: tuple[Path, dict[str, int]]) -> None:
    out, _ = bank5k
    c = read(out, "customers").to_pylist()
    people = [r for r in c if r["id_type"] == "resident_id"]
    assert len(people) > 4_000
    for r in people:
        idn = r["id_number"]
        assert resident_id_check(idn[:17]) == idn[17]
        assert idn[6:14] == r["birth_date"].strftime("%Y%m%d")
        assert (int(idn[16]) % 2 == 1) == (r["gender"] == "M")
    firms = [r for r in c if r["kind"] == "corporate"]
    assert firms and all(r["id_type"] == "uscc" and uscc_valid(r["id_number"]) for r in firms)
    assert all(r["name"].endswith(("公司", "合作社")) for r in firms)
    ages = np.array([(AS_OF - r["birth_date"]).days / 365.25 for r in c if r["birth_date"] is not None])
    assert ages.min() >= 18 and ages.max() <= 91 and 35 < np.median(ages) < 60
    opened = [r["open_date"] for r in c]
    assert sum(d > AS_OF - dt.timedelta(days=183) for d in opened) > 0.02 * len(c)
    assert min(opened) < dt.date(2005, 1, 1)
