"""Baseline: customer_360 as a bank analyst would write it in pandas.

Reads the warehouse's canonical Parquet (only the columns it needs), then merges and groups:
AUM and its parts, tier with the 3-month downgrade rule, contribution, holdings, signups, 30/90-day
activity, off-counter rate and lifecycle stage — the same definitions as finecrm's customer_360,
without behaviour segments (timed separately in finecrm) and without checks or snapshots.

    python bench/pandas_customer_360.py WAREHOUSE_RAW OUT.parquet
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import numpy as np
import pandas as pd

RETAIL = [("私行", 6_000_000), ("财富", 500_000), ("贵宾", 50_000), ("大众", 0)]
CORPORATE = [("战略客户", 10_000_000), ("重点客户", 5_000_000), ("成长客户", 1_000_000), ("基础客户", 0)]
SPREAD = {"deposit": 0.015, "debit_card": 0.015, "time_deposit": 0.006, "wealth": 0.004, "fund": 0.008,
          "insurance": 0.01}
NOT_CI = {"interest", "fee", "salary", "pension", "loan_disbursement"}


def read(raw: Path, table: str, columns: list[str]) -> pd.DataFrame:
    files = sorted(glob.glob(str(raw / table / "**" / "*.parquet"), recursive=True))
    if not files:
        return pd.DataFrame(columns=columns)
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


def tier_rank(values: pd.Series, bands: list[tuple[str, float]]) -> pd.Series:
    n = len(bands)
    rank = pd.Series(1, index=values.index)
    for i, (_, low) in enumerate(reversed(bands[:-1])):
        rank[values >= low] = i + 2
    return rank.where(rank <= n, n)


def main(raw: Path, out: Path) -> None:
    customers = read(raw, "customers", ["customer_id", "kind", "birth_date", "open_date", "branch_id", "grid_id"])
    products = read(raw, "products", ["product_code", "category"])
    accounts = read(raw, "accounts", ["account_id", "customer_id", "product_code", "open_date", "close_date"])
    months = read(raw, "account_month", ["account_id", "month", "end_balance", "avg_daily_balance"])
    txns = read(raw, "transactions", ["account_id", "ts", "amount", "direction", "channel", "kind"])
    signups = read(raw, "signups", ["customer_id", "service", "signed_on", "cancelled_on"])
    loans = read(raw, "loans", ["account_id", "rate"])

    months["month"] = pd.to_datetime(months["month"])
    as_of_month = months["month"].max()
    as_of = as_of_month + pd.offsets.MonthEnd(0)
    acc = accounts.merge(products, on="product_code", how="left")
    acc["part"] = acc["category"].replace({"debit_card": "deposit"})
    acc = acc.merge(loans.groupby("account_id")["rate"].max().rename("loan_rate"), on="account_id", how="left")
    acc["annual_rate"] = acc["category"].map(SPREAD).fillna(0.0)
    is_loan = acc["category"] == "loan"
    acc.loc[is_loan, "annual_rate"] = acc.loc[is_loan, "loan_rate"].astype(float).fillna(0.045) - 0.03

    m = months.merge(acc[["account_id", "customer_id", "part", "annual_rate"]], on="account_id")
    m["avg"] = m["avg_daily_balance"].astype(float)
    m["end"] = m["end_balance"].astype(float)
    m["contrib"] = m["avg"] * m["annual_rate"] / 12
    parts = m.pivot_table(index=["customer_id", "month"], columns="part", values="avg", aggfunc="sum",
                          fill_value=0.0)
    for p in ("deposit", "time_deposit", "wealth", "fund", "insurance", "loan"):
        if p not in parts:
            parts[p] = 0.0
    parts["aum_avg"] = parts[["deposit", "time_deposit", "wealth", "fund", "insurance"]].sum(axis=1)
    parts["contribution_month"] = m.groupby(["customer_id", "month"])["contrib"].sum()
    parts = parts.reset_index().merge(customers[["customer_id", "kind"]], on="customer_id")
    parts = parts.sort_values(["customer_id", "month"])
    corp = parts["kind"] == "corporate"
    raw_rank = tier_rank(parts["aum_avg"], RETAIL)
    raw_rank[corp] = tier_rank((parts["deposit"] + parts["time_deposit"])[corp], CORPORATE)
    parts["raw_rank"] = raw_rank
    # downgrade only after 3 months below = highest raw tier of the last 3 months
    parts["tier_rank"] = parts.groupby("customer_id")["raw_rank"].transform(
        lambda s: s.rolling(3, min_periods=1).max())
    parts["aum_3m_ago"] = parts.groupby("customer_id")["aum_avg"].shift(3)
    last = parts[parts["month"] == as_of_month].set_index("customer_id")
    year = parts[parts["month"] > as_of_month - pd.DateOffset(months=12)]
    contrib = year.groupby("customer_id")["contribution_month"].agg(["sum", "count"])

    t = txns.merge(acc[["account_id", "customer_id"]], on="account_id")
    t["amount"] = t["amount"].astype(float)
    t["day"] = pd.to_datetime(t["ts"]).dt.normalize()
    t["ci"] = ~t["kind"].isin(NOT_CI) & (t["channel"] != "batch")
    t["off"] = t["ci"] & (t["channel"] != "counter")
    recent90 = t[t["day"] > as_of - pd.Timedelta(days=90)]
    recent30 = t[t["day"] > as_of - pd.Timedelta(days=30)]
    act = pd.DataFrame({
        "txn_ci_30d": recent30[recent30["ci"]].groupby("customer_id").size(),
        "txn_ci_90d": recent90[recent90["ci"]].groupby("customer_id").size(),
        "txn_off_counter_90d": recent90[recent90["off"]].groupby("customer_id").size(),
        "last_ci_date": t[t["ci"]].groupby("customer_id")["day"].max(),
    })
    by_channel = recent90[recent90["ci"]].pivot_table(index="customer_id", columns="channel", values="amount",
                                                      aggfunc="size", fill_value=0).add_prefix("txn_")
    fees = t[(t["kind"] == "fee") & (t["day"] > as_of - pd.Timedelta(days=365))].groupby("customer_id")["amount"]

    open_acc = acc[acc["close_date"].isna() | (pd.to_datetime(acc["close_date"]) > as_of)]
    holdings = pd.crosstab(open_acc["customer_id"], open_acc["category"]).gt(0).add_prefix("has_")
    holdings["products_held"] = open_acc.groupby("customer_id")["product_code"].nunique()
    active = signups[signups["cancelled_on"].isna() | (pd.to_datetime(signups["cancelled_on"]) > as_of)]
    signed = pd.crosstab(active["customer_id"], active["service"]).gt(0).add_prefix("signed_")

    c = customers.set_index("customer_id")
    c = c.join(last[["deposit", "time_deposit", "wealth", "fund", "insurance", "loan", "aum_avg", "raw_rank",
                     "tier_rank", "aum_3m_ago"]])
    c["contribution"] = (contrib["sum"] * 12 / contrib["count"]).reindex(c.index).fillna(0) + (
        fees.sum().reindex(c.index).fillna(0))
    c = c.join(act).join(by_channel).join(holdings).join(signed)
    names = np.array([n for n, _ in reversed(RETAIL)])
    cnames = np.array([n for n, _ in reversed(CORPORATE)])
    rank = c["tier_rank"].fillna(1).astype(int) - 1
    c["tier"] = np.where(c["kind"] == "corporate", cnames[rank], names[rank])
    c["off_counter_rate_90d"] = c["txn_off_counter_90d"] / c["txn_ci_90d"]
    first_open = acc.groupby("customer_id")["open_date"].min().reindex(c.index)
    age_m = (as_of.year - pd.to_datetime(first_open).dt.year) * 12 + (as_of.month - pd.to_datetime(first_open).dt.month)
    inactive = (as_of - pd.to_datetime(c["last_ci_date"])).dt.days
    change = c["aum_avg"] / c["aum_3m_ago"] - 1
    c["lifecycle"] = np.select(
        [age_m < 6, inactive.isna() | (inactive > 365), change <= -0.3, change >= 0.2],
        ["new", "dormant", "declining", "growing"], default="stable")
    c.reset_index().to_parquet(out, index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
