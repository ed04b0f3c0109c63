"""customer_value on five hand-made customers: contribution rank, value tiers and the Pareto curve (二八定律).

Expected values are worked out by hand: rank 1 = the highest contribution (ties by customer id),
value tier by the share of customers ranked at or above, cumulative shares over positive values.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from finecrm.core.settings import ContributionSettings, Settings, ValueTier
from finecrm.engine.marts.customers import customer_value
from finecrm.engine.model import BuildContext

from ...conftest import rows

SETTINGS = Settings(contribution=ContributionSettings(value_tiers=[
    ValueTier(name="高价值", top_share=0.2), ValueTier(name="中价值", top_share=0.5),
    ValueTier(name="低价值", top_share=1.0)]))

#: customer → (annual contribution, average daily AUM)
CUSTOMERS = {
    "C1": (500.0, 100_000.0),
    "C2": (300.0, 900_000.0),
    "C3": (100.0, 50_000.0),
    "C4": (100.0, 50_000.0),   # ties C3 on both: ranked after it by customer id
    "C5": (-50.0, 0.0),        # a loss-making customer: last, and adds nothing to the curve
}


def current() -> ibis.Table:
    data = [{"customer_id": cid, "kind": "individual", "branch_id": "B1", "contribution": c,
             "contribution_deposits": c, "contribution_loans": 0.0, "contribution_intermediary": 0.0,
             "contribution_fees": 0.0, "aum_avg": aum} for cid, (c, aum) in CUSTOMERS.items()]
    money = ("contribution", "contribution_deposits", "contribution_loans", "contribution_intermediary",
             "contribution_fees", "aum_avg")
    return ibis.memtable(data, schema={"customer_id": "string", "kind": "string", "branch_id": "string",
                                       **dict.fromkeys(money, "float64")})


def value(backend, *columns: str) -> dict[str, tuple]:
    ctx = BuildContext(as_of=date(2026, 6, 30), settings=SETTINGS)
    got = rows(backend, customer_value.build({"int_customer_current": current()}, ctx), "customer_id", *columns,
               key=1)
    return {r[0]: r[1:] for r in got}


def test_rank_and_value_tier_by_contribution(backend):
    assert value(backend, "contribution_rank", "customer_share", "value_tier") == {
        "C1": (1, pytest.approx(0.2), "高价值"),   # top 20%
        "C2": (2, pytest.approx(0.4), "中价值"),   # within the top 50%
        "C3": (3, pytest.approx(0.6), "低价值"),
        "C4": (4, pytest.approx(0.8), "低价值"),
        "C5": (5, pytest.approx(1.0), "低价值"),
    }


def test_pareto_curves_of_contribution_and_aum(backend):
    got = value(backend, "cum_contribution_share", "aum_rank", "cum_aum_share")
    # positive contribution adds up to 1,000: the top customer (20%) gives half of it
    assert got["C1"][0] == pytest.approx(500 / 1000)
    assert [got[c][0] for c in ("C2", "C3", "C4", "C5")] == pytest.approx([0.8, 0.9, 1.0, 1.0])
    # by AUM (1,100,000 in all): C2, C1, C3, C4, C5
    assert {c: got[c][1] for c in CUSTOMERS} == {"C2": 1, "C1": 2, "C3": 3, "C4": 4, "C5": 5}
    assert [got[c][2] for c in ("C2", "C1", "C3", "C4", "C5")] == pytest.approx(
        [900 / 1100, 1000 / 1100, 1050 / 1100, 1.0, 1.0])
