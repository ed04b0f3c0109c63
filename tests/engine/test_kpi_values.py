"""The KPI values (mart kpi_values) of a built bank against the formulas of docs/kpi.md worked out with pandas from
the bank's own files (customers, accounts, products, balances, signups, transactions, loans) — and, for the two
measures whose definitions live elsewhere (deposits' daily average, the five categories), from the marts that
define them, summed here independently. On DuckDB and on Spark.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from .conftest import mart


def _file(bank, name: str) -> pd.DataFrame:
    path = bank / f"{name}.parquet"
    if path.exists():
        return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
    return duckdb.sql(f"SELECT * FROM read_parquet('{bank / name}/**/*.parquet')").df()


def _per_level(df: pd.DataFrame, measure: str, branch: str = "branch_id", manager: str = "manager_id") -> dict:
    out: dict = {}
    for (level, col) in (("branch", branch), ("manager", manager)):
        g = df[df[col].notna()].groupby(col)[measure].sum()
        out.update({(level, str(k)): float(v) for k, v in g.items()})
    return out


@pytest.fixture
def kpi(engine_build, bank_dir):
    ws, manifest = engine_build
    build_id = manifest["build_id"]
    got = mart(ws, build_id, "kpi_values").df()
    return ws, build_id, bank_dir, got


def _expected(ws, build_id, bank) -> dict[str, dict]:
    got = mart(ws, build_id, "kpi_values").df()
    as_of = pd.Timestamp(got.as_of_date.iloc[0]).date()
    first = as_of.replace(day=1)
    in_month = lambda s: (pd.to_datetime(s).dt.date >= first) & (pd.to_datetime(s).dt.date <= as_of)  # noqa: E731
    customers = _file(bank, "customers")[["customer_id", "branch_id", "manager_id"]]
    accounts = _file(bank, "accounts")
    products = _file(bank, "products")[["product_code", "category"]]
    c360 = mart(ws, build_id, "customer_360").df()[["customer_id", "aum_end"]]
    exp: dict[str, dict] = {}

    # deposit_growth: the portfolio's daily-average deposits now and in December of the year before.
    ps = mart(ws, build_id, "portfolio_summary").df()
    ps["month"] = pd.to_datetime(ps["month"]).dt.date
    base_month = date(first.year - 1, 12, 1)
    assert base_month in set(ps["month"]), "the generated year holds the December before (12 months of data)"
    now = _per_level(ps[ps.month == first], "deposits_avg")
    before = _per_level(ps[ps.month == base_month], "deposits_avg")
    exp["deposit_growth"] = {k: (now.get(k, 0.0), before.get(k, 0.0)) for k in set(now) | set(before)}

    # new_effective_customers: first account opened this month, AUM at month end over the threshold.
    firsts = accounts.groupby("customer_id", as_index=False)["open_date"].min()
    newc = firsts[in_month(firsts.open_date)].merge(c360, on="customer_id").merge(customers, on="customer_id")
    newc["n"] = (newc.aum_end >= ws.settings.kpi.effective_customer_min_aum).astype(float)
    exp["new_effective_customers"] = _per_level(newc, "n")

    # mobile_active_new: first mobile signup this month and a mobile transaction this month (all customer-initiated).
    s = _file(bank, "signups")
    s = s[s.service == "mobile"].groupby("customer_id", as_index=False)["signed_on"].min()
    s = s[in_month(s.signed_on)]
    tx = _file(bank, "transactions")
    tx = tx[(tx.channel == "mobile") & in_month(pd.to_datetime(tx.ts).dt.date)]
    users = tx.merge(accounts[["account_id", "customer_id"]], on="account_id")[["customer_id"]].drop_duplicates()
    active = s.merge(users, on="customer_id").merge(customers, on="customer_id")
    active["n"] = 1.0
    exp["mobile_active_new"] = _per_level(active, "n")

    # wealth_sales: month-end balance of the wealth accounts opened this month.
    bal = _file(bank, "account_month")
    bal = bal[pd.to_datetime(bal.month).dt.date == first][["account_id", "end_balance"]]
    w = accounts.merge(products, on="product_code")
    w = w[(w.category == "wealth") & in_month(w.open_date)].merge(bal, on="account_id", how="left")
    w["end_balance"] = w.end_balance.fillna(0.0)
    exp["wealth_sales"] = _per_level(w.drop(columns="branch_id").merge(customers, on="customer_id"), "end_balance")

    # loans_disbursed: loans started this month, at the loan account's branch (else the borrower's) and manager.
    loans = _file(bank, "loans")
    loans = loans[in_month(loans.start_date)].merge(customers.rename(columns={"branch_id": "home"}), on="customer_id")
    loans = loans.merge(accounts[["account_id", "branch_id"]], on="account_id", how="left")
    loans["branch_id"] = loans.branch_id.fillna(loans.home)
    exp["loans_disbursed"] = _per_level(loans, "principal")

    # npl_ratio: 次级/可疑/损失 outstanding ÷ outstanding, by the classification's branch and manager.
    lc = mart(ws, build_id, "loan_classification").df()
    lc["npl"] = lc.outstanding_principal.where(lc.final_category.isin(["substandard", "doubtful", "loss"]), 0.0)
    num, den = _per_level(lc, "npl"), _per_level(lc, "outstanding_principal")
    exp["npl_ratio"] = {k: (num[k] / den[k] if den[k] > 0 else None) for k in den}
    return exp


def test_every_indicator_equals_an_independent_computation(kpi):
    ws, build_id, bank, got = kpi
    exp = _expected(ws, build_id, bank)
    units = set(zip(got.level, got.unit_id, strict=True))
    assert {lvl for lvl, _ in units} == {"branch", "manager"}
    for code, values in exp.items():
        rows = got[got.indicator == code]
        assert set(zip(rows.level, rows.unit_id, strict=True)) == units, code  # every unit scored on every indicator
        for r in rows.itertuples():
            key = (r.level, str(r.unit_id))
            if code == "deposit_growth":
                value, base = values.get(key, (0.0, 0.0))
                assert r.value == pytest.approx(value, abs=0.01), (code, key)
                assert r.base_value == pytest.approx(base, abs=0.01), (code, key)
                assert r.result == pytest.approx(value - base, abs=0.02), (code, key)
            elif code == "npl_ratio":
                want = values.get(key)
                if want is None:
                    assert pd.isna(r.value), (code, key)
                else:
                    assert r.value == pytest.approx(want, abs=1e-4), (code, key)
            else:
                assert r.value == pytest.approx(values.get(key, 0.0), abs=0.01), (code, key)
                assert pd.isna(r.base_value) and r.result == pytest.approx(r.value), (code, key)
    # The generated bank gives every indicator something to count (else the comparison would prove little).
    for code in exp:
        assert (got[got.indicator == code].value.fillna(0) != 0).any(), code


def test_managers_carry_the_branch_they_work_at(kpi):
    _, _, bank, got = kpi
    staff = _file(bank, "staff").set_index("staff_id").branch_id.astype(str).to_dict()
    managers = got[got.level == "manager"]
    assert len(managers)
    for r in managers.itertuples():
        assert r.branch_id == staff.get(str(r.unit_id)), r.unit_id
    branches = got[got.level == "branch"]
    assert (branches.branch_id == branches.unit_id).all()
