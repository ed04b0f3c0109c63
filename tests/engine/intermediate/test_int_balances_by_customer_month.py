"""The month's contribution (贡献度) by source, from balances and rates (stg_products → int_accounts_enriched →
int_balances_by_customer_month on in-memory tables).

Contribution of a balance = its daily average × annual rate ÷ 12: deposits earn the FTP spread, loans
the loan rate minus the FTP rate (the default loan rate when the loan is unknown), wealth the
intermediary rate. Expected figures are worked out by hand with the rates below.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from finecrm.core.settings import ContributionSettings, Settings
from finecrm.engine.intermediate import int_accounts_enriched, int_balances_by_customer_month
from finecrm.engine.model import BuildContext
from finecrm.engine.staging import stg_products

from ..conftest import rows

SETTINGS = Settings(contribution=ContributionSettings(
    deposit_spread={"deposit": 0.015, "time_deposit": 0.006}, loan_ftp_rate=0.03, default_loan_rate=0.045,
    intermediary_rates={"wealth": 0.004, "fund": 0.008, "insurance": 0.01}))
JUNE = date(2026, 6, 1)

#: account → (product, category, average daily balance in June)
ACCOUNTS = {
    "D1": ("DD", "deposit", 120_000.0),        # 120,000 × 1.5% ÷ 12 = 150
    "K1": ("DC", "debit_card", 12_000.0),      # a demand deposit: 12,000 × 1.5% ÷ 12 = 15
    "T1": ("TD", "time_deposit", 240_000.0),   # 240,000 × 0.6% ÷ 12 = 120
    "W1": ("WM", "wealth", 300_000.0),         # 300,000 × 0.4% ÷ 12 = 100
    "L1": ("LN", "loan", 100_000.0),           # 100,000 × (6% − 3%) ÷ 12 = 250
    "L2": ("LN", "loan", 120_000.0),           # no loan record: 120,000 × (4.5% − 3%) ÷ 12 = 150
}


def test_contribution_of_the_month_by_source(backend):
    products = ibis.memtable(
        [{"product_code": code, "category": cat} for code, cat in
         {p: c for p, c, _ in ACCOUNTS.values()}.items()],
        schema={"product_code": "string", "category": "string"})
    accounts = ibis.memtable([{"account_id": a, "customer_id": "X", "product_code": p}
                              for a, (p, _, _) in ACCOUNTS.items()],
                             schema={"account_id": "string", "customer_id": "string", "product_code": "string"})
    loans = ibis.memtable([{"account_id": "L1", "rate": 0.06}], schema={"account_id": "string", "rate": "float64"})
    month = ibis.memtable([{"account_id": a, "month": JUNE, "end_balance": avg, "avg_daily_balance": avg}
                           for a, (_, _, avg) in ACCOUNTS.items()],
                          schema={"account_id": "string", "month": "date", "end_balance": "float64",
                                  "avg_daily_balance": "float64"})
    ctx = BuildContext(as_of=date(2026, 6, 30), settings=SETTINGS)
    enriched = int_accounts_enriched.build(
        {"stg_accounts": accounts, "stg_products": stg_products.build({"products": products}, ctx),
         "stg_loans": loans}, ctx)
    out = int_balances_by_customer_month.build({"stg_account_month": month, "int_accounts_enriched": enriched}, ctx)
    got = rows(backend, out, "customer_id", "month", "contribution_deposits", "contribution_loans",
               "contribution_intermediary", "aum_avg", "deposit_avg", "time_deposit_avg", "loan_avg")
    assert got == [("X", JUNE, pytest.approx(150 + 15 + 120), pytest.approx(250 + 150), pytest.approx(100),
                    # AUM: deposits (the debit card's too), time deposits and wealth; loans apart
                    pytest.approx(672_000), pytest.approx(132_000), pytest.approx(240_000), pytest.approx(220_000))]
