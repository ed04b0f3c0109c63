"""int_customer_current: contribution (贡献度) annualised over the months observed in the last 12.

Per month the contribution parts are given (int_balances_by_customer_month computes them from the
balances); expected annual figures are worked out by hand: sum of the last 12 months × 12 ÷ months
observed.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from finecrm.core.settings import Settings
from finecrm.engine.intermediate import int_customer_current
from finecrm.engine.model import BuildContext

from ..conftest import rows

AS_OF = date(2026, 6, 30)
PARTS = ("contribution_deposits", "contribution_loans", "contribution_intermediary", "fees")


def month(y: int, m: int) -> date:
    return date(y, m, 1)


def customer_months() -> ibis.Table:
    data = []
    # A: Jul 2025 – Jun 2026, every month 100 deposits + 50 loans + 10 intermediary + 5 fees;
    # Jun 2025 (13 months back) is outside the year and must not count.
    year = [month(2025, m) for m in range(7, 13)] + [month(2026, m) for m in range(1, 7)]
    data.append({"customer_id": "A", "month": month(2025, 6), "aum_avg": 10_000.0,
                 **dict.fromkeys(PARTS, 1_000_000.0)})
    for d in year:
        aum = {month(2026, 3): 30_000.0, month(2026, 6): 60_000.0}.get(d, 20_000.0)
        data.append({"customer_id": "A", "month": d, "aum_avg": aum, "contribution_deposits": 100.0,
                     "contribution_loans": 50.0, "contribution_intermediary": 10.0, "fees": 5.0})
    # B: opened in April 2026, three months of 100 deposits
    for d in (month(2026, 4), month(2026, 5), month(2026, 6)):
        data.append({"customer_id": "B", "month": d, "aum_avg": 1_000.0, "contribution_deposits": 100.0,
                     "contribution_loans": 0.0, "contribution_intermediary": 0.0, "fees": 0.0})
    # C: gone before the build month: no row
    data.append({"customer_id": "C", "month": month(2026, 1), "aum_avg": 5.0, **dict.fromkeys(PARTS, 1.0)})
    return ibis.memtable(data, schema={"customer_id": "string", "month": "date", "aum_avg": "float64",
                                       **dict.fromkeys(PARTS, "float64")})


def test_contribution_is_annualised_over_the_months_observed(backend):
    ctx = BuildContext(as_of=AS_OF, settings=Settings())
    got = rows(backend, int_customer_current.build({"int_customer_months": customer_months()}, ctx),
               "customer_id", "months_observed", "contribution_deposits", "contribution_loans",
               "contribution_intermediary", "contribution_fees", "contribution", key=1)
    assert got == [
        ("A", 12, pytest.approx(1200.0), pytest.approx(600.0), pytest.approx(120.0), pytest.approx(60.0),
         pytest.approx(1980.0)),
        # 300 in 3 months → 1,200 a year
        ("B", 3, pytest.approx(1200.0), pytest.approx(0.0), pytest.approx(0.0), pytest.approx(0.0),
         pytest.approx(1200.0)),
    ]


def test_aum_then_and_now(backend):
    ctx = BuildContext(as_of=AS_OF, settings=Settings())
    got = rows(backend, int_customer_current.build({"int_customer_months": customer_months()}, ctx),
               "customer_id", "aum_avg", "aum_avg_3m_ago", "aum_avg_12m_ago", "aum_avg_12m", key=1)
    # A: 60,000 now, 30,000 in March, 10,000 in June 2025; the year's mean: 10 months of 20,000,
    # one of 30,000 and one of 60,000
    assert got[0] == ("A", 60_000.0, 30_000.0, 10_000.0, pytest.approx((10 * 20_000 + 30_000 + 60_000) / 12))
    # B has no history that far back
    assert got[1] == ("B", 1_000.0, None, None, pytest.approx(1_000.0))
