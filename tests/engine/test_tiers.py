"""The AUM tier rule on a handful of in-memory customer months: upgrade at once, downgrade after 3 months below.

Expected tiers are worked out by hand from the rule (bands below), not by the code under test.
"""

from __future__ import annotations

from datetime import date

import ibis

from finecrm.core.settings import TierBand, TierSettings
from finecrm.engine.tiers import tier_with_hysteresis

from .conftest import rows

TIERS = TierSettings(
    retail=[TierBand(name="私行", min=6_000_000), TierBand(name="财富", min=500_000),
            TierBand(name="贵宾", min=50_000), TierBand(name="大众", min=0)],
    corporate=[TierBand(name="战略客户", min=10_000_000), TierBand(name="重点客户", min=5_000_000),
               TierBand(name="成长客户", min=1_000_000), TierBand(name="基础客户", min=0)],
    downgrade_after_months=3,
)
MONTHS = [date(2026, m, 1) for m in range(1, 7)]


def customer_months(paths: dict[str, list[float]], kind: str = "individual") -> ibis.Table:
    """One row per customer per month; retail customers by AUM, corporates by deposits (demand + time, half each)."""
    data: dict[str, list] = {"customer_id": [], "month": [], "kind": [], "aum_avg": [], "deposit_avg": [],
                             "time_deposit_avg": []}
    for cid, path in paths.items():
        for month, value in zip(MONTHS, path, strict=True):
            data["customer_id"].append(cid)
            data["month"].append(month)
            data["kind"].append(kind)
            corporate = kind == "corporate"
            data["aum_avg"].append(0.0 if corporate else float(value))
            data["deposit_avg"].append(value / 2 if corporate else 0.0)
            data["time_deposit_avg"].append(value / 2 if corporate else 0.0)
    return ibis.memtable(data, schema={"customer_id": "string", "month": "date", "kind": "string",
                                       "aum_avg": "float64", "deposit_avg": "float64", "time_deposit_avg": "float64"})


def history(backend, table: ibis.Table, cid: str) -> list[tuple]:
    got = rows(backend, tier_with_hysteresis(table, TIERS), "customer_id", "month", "raw_tier", "tier",
               "tier_watch", "months_below")
    return [r[2:] for r in got if r[0] == cid]


def test_downgrade_only_in_the_third_consecutive_month_below(backend):
    t = customer_months({
        # 财富 for two months, then 贵宾 for four: on watch for two months, down in the third
        "DOWN": [600_000, 600_000, 100_000, 100_000, 100_000, 100_000],
        # two months below, then back: never downgraded
        "DIP": [600_000, 100_000, 100_000, 600_000, 600_000, 600_000],
    })
    assert history(backend, t, "DOWN") == [
        ("财富", "财富", False, 0),
        ("财富", "财富", False, 0),
        ("贵宾", "财富", True, 1),
        ("贵宾", "财富", True, 2),
        ("贵宾", "贵宾", False, 0),
        ("贵宾", "贵宾", False, 0),
    ]
    assert history(backend, t, "DIP") == [
        ("财富", "财富", False, 0),
        ("贵宾", "财富", True, 1),
        ("贵宾", "财富", True, 2),
        ("财富", "财富", False, 0),
        ("财富", "财富", False, 0),
        ("财富", "财富", False, 0),
    ]


def test_upgrade_at_once(backend):
    t = customer_months({"UP": [10_000, 10_000, 60_000, 60_000, 7_000_000, 100_000]})
    assert history(backend, t, "UP") == [
        ("大众", "大众", False, 0),
        ("大众", "大众", False, 0),
        ("贵宾", "贵宾", False, 0),   # up the month AUM reaches 50,000
        ("贵宾", "贵宾", False, 0),
        ("私行", "私行", False, 0),   # two bands up at once
        ("贵宾", "私行", True, 1),    # and then held: on watch
    ]


def test_a_fall_over_two_bands_steps_down_one_band_at_a_time(backend):
    # 私行, then 财富 for two months, then 贵宾: the 私行 month leaves the 3-month window in month 4,
    # so the tier is 财富 there (贵宾 that month is below it: one month below 财富); 贵宾 only once no
    # month of the last three reached 财富 (month 6).
    t = customer_months({"FALL": [7_000_000, 600_000, 600_000, 100_000, 100_000, 100_000]})
    assert history(backend, t, "FALL") == [
        ("私行", "私行", False, 0),
        ("财富", "私行", True, 1),
        ("财富", "私行", True, 2),
        ("贵宾", "财富", True, 1),
        ("贵宾", "财富", True, 2),
        ("贵宾", "贵宾", False, 0),
    ]


def test_corporates_are_tiered_by_deposits_with_the_same_hysteresis(backend):
    # deposits (demand + time) 6M: 重点客户 (≥ 5M); then 2M: 成长客户 after three months below
    t = customer_months({"CORP": [6_000_000, 2_000_000, 2_000_000, 2_000_000, 2_000_000, 12_000_000]},
                        kind="corporate")
    assert history(backend, t, "CORP") == [
        ("重点客户", "重点客户", False, 0),
        ("成长客户", "重点客户", True, 1),
        ("成长客户", "重点客户", True, 2),
        ("成长客户", "成长客户", False, 0),
        ("成长客户", "成长客户", False, 0),
        ("战略客户", "战略客户", False, 0),
    ]
