"""aml_large_value on hand-made days at and around each PBoC 2016 No. 3 threshold, on DuckDB and Spark.

Each day below is built to sit exactly on a threshold, a fen under it, or to cross it only when
counted cumulatively; the expected reports are worked out from the rule by hand (one per customer,
day, kind, direction and currency that reaches its threshold; in and out apart).
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import pyarrow as pa

from finecrm.core.settings import Settings
from finecrm.engine.marts.aml import aml_large_value
from finecrm.engine.model import BuildContext

from ...conftest import rows

D1, D2 = date(2026, 6, 1), date(2026, 6, 2)
S = pa.string()

#: (txn, account, day, hour, amount, direction, kind, cross_border)
TXNS = [
    # P1, an individual: cash cumulative exactly 50,000 in one day (two accounts), and one fen short the next
    ("t01", "A1", D1, 9, 30_000.00, "in", "cash", False),
    ("t02", "A1b", D1, 15, 20_000.00, "in", "cash", False),
    ("t03", "A1", D2, 9, 49_999.99, "in", "cash", False),
    # ... cash out the same day is counted apart from cash in
    ("t04", "A1", D1, 16, 50_000.00, "out", "cash", False),
    # domestic transfers out: 499,999.99 alone is not enough, 250,000 + 250,000 the next day is
    ("t05", "A1", D1, 10, 499_999.99, "out", "transfer", False),
    ("t06", "A1", D2, 10, 250_000.00, "out", "transfer", False),
    ("t07", "A1", D2, 11, 250_000.00, "out", "transfer", False),
    # cross-border: 200,000 reaches the individual's cross-border threshold although far below the domestic one
    ("t08", "A1", D1, 12, 200_000.00, "in", "transfer", True),
    ("t09", "A1", D2, 12, 199_999.99, "in", "transfer", True),
    # P2, a corporate: domestic and cross-border transfers count together against 2,000,000
    ("t10", "A2", D1, 9, 1_000_000.00, "in", "transfer", False),
    ("t11", "A2", D1, 10, 1_000_000.00, "in", "transfer", True),
    ("t12", "A2", D2, 9, 1_999_999.99, "in", "transfer", False),
    # ... interest is no transfer (not in transfer_kinds), however large
    ("t13", "A2", D2, 23, 3_000_000.00, "in", "interest", False),
    # ... a corporate's 600,000 stays under its threshold although it would cross an individual's
    ("t14", "A2", D2, 11, 600_000.00, "out", "transfer", False),
    # P3, an individual with a US-dollar account: cash against USD 10,000
    ("t15", "A3", D1, 9, 10_000.00, "in", "cash", False),
    ("t16", "A3", D2, 9, 9_999.99, "in", "cash", False),
    # P3's euro account: EUR 9,300 x 1.08 = USD 10,044 crosses, the sum is reported in euros
    ("t17", "A4", D1, 9, 9_300.00, "out", "cash", False),
]
ACCOUNTS = {"A1": ("P1", "CNY"), "A1b": ("P1", "CNY"), "A2": ("P2", "CNY"), "A3": ("P3", "USD"), "A4": ("P3", "EUR")}
CUSTOMERS = {"P1": "individual", "P2": "corporate", "P3": "individual"}


def sources() -> dict[str, ibis.Table]:
    t = ibis.memtable(pa.Table.from_pylist(
        [{"txn_id": x, "account_id": a, "ts": datetime(d.year, d.month, d.day, h), "day": d, "amount": amt,
          "direction": dr, "channel": "counter" if k == "cash" else "online", "kind": k,
          "counterparty_account": None if k == "cash" else "X" + x, "counterparty_bank": None, "cross_border": cb,
          "operator_id": "S1" if k == "cash" else None, "customer_initiated": k != "interest"}
         for x, a, d, h, amt, dr, k, cb in TXNS],
        schema=pa.schema([("txn_id", S), ("account_id", S), ("ts", pa.timestamp("us")), ("day", pa.date32()),
                          ("amount", pa.float64()), ("direction", S), ("channel", S), ("kind", S),
                          ("counterparty_account", S), ("counterparty_bank", S), ("cross_border", pa.bool_()),
                          ("operator_id", S), ("customer_initiated", pa.bool_())])))
    a = ibis.memtable([{"account_id": k, "customer_id": c, "currency": cur, "open_date": date(2020, 1, 1)}
                       for k, (c, cur) in ACCOUNTS.items()],
                      schema={"account_id": "string", "customer_id": "string", "currency": "string",
                              "open_date": "date"})
    c = ibis.memtable([{"customer_id": k, "kind": v, "branch_id": "B1"} for k, v in CUSTOMERS.items()],
                      schema={"customer_id": "string", "kind": "string", "branch_id": "string"})
    return {"stg_transactions": t, "stg_accounts": a, "stg_customers": c}


def test_reports_at_and_around_every_threshold(backend):
    ctx = BuildContext(as_of=D2, settings=Settings())
    got = rows(backend, aml_large_value.build(sources(), ctx), "customer_id", "report_date", "report_kind",
               "direction", "currency", "amount", "n_txns", "threshold", "threshold_currency", "single",
               "accounts", "txn_ids", key=5)
    assert got == sorted([
        ("P1", D1, "cash", "in", "CNY", 50_000.0, 2, 50_000.0, "CNY", False, "A1,A1b", "t01,t02"),
        ("P1", D1, "cash", "out", "CNY", 50_000.0, 1, 50_000.0, "CNY", True, "A1", "t04"),
        ("P1", D1, "cross_border_transfer", "in", "CNY", 200_000.0, 1, 200_000.0, "CNY", True, "A1", "t08"),
        ("P1", D2, "transfer", "out", "CNY", 500_000.0, 2, 500_000.0, "CNY", False, "A1", "t06,t07"),
        ("P2", D1, "transfer", "in", "CNY", 2_000_000.0, 2, 2_000_000.0, "CNY", False, "A2", "t10,t11"),
        ("P3", D1, "cash", "in", "USD", 10_000.0, 1, 10_000.0, "USD", True, "A3", "t15"),
        ("P3", D1, "cash", "out", "EUR", 9_300.0, 1, 10_000.0, "USD", True, "A4", "t17"),
    ], key=lambda r: r[:5])


def test_report_fields_say_when_where_and_with_whom(backend):
    ctx = BuildContext(as_of=D2, settings=Settings())
    got = rows(backend, aml_large_value.build(sources(), ctx).filter(ibis._.customer_id == "P1"), "report_date",
               "report_kind", "direction", "first_ts", "last_ts", "channels", "counterparty_accounts", "operators",
               "kind_zh", key=3)
    # (cash has no counterparty; an empty value of an in-memory table reads as 'NaN' on Spark, so it is not compared)
    assert got[0][:6] + got[0][7:] == (D1, "cash", "in", datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 15),
                                       "counter", "S1", "大额现金交易")
    transfer = next(r for r in got if r[1] == "transfer")
    assert transfer[5:7] == ("online", "Xt06,Xt07")
