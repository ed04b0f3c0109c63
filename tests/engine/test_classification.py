"""The five-category rule on in-memory loans at and around every threshold, on DuckDB and Spark.

Expected categories are worked out by hand from the rule (more than N days past due → at least that
category), not by the code under test.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from finecrm.core.settings import ClassificationSettings
from finecrm.engine.classification import classify

from .conftest import rows

DEFAULT = ClassificationSettings()
#: days past due → category under the defaults (关注 > 0, 次级 > 90, 可疑 > 270, 损失 > 360)
BY_HAND = {
    0: "normal", 1: "special_mention", 89: "special_mention", 90: "special_mention", 91: "substandard",
    269: "substandard", 270: "substandard", 271: "doubtful", 359: "doubtful", 360: "doubtful", 361: "loss",
    2000: "loss",
}


def loans(dpds: list[int]) -> ibis.Table:
    return ibis.memtable({"loan_id": [f"L{d:05d}" for d in dpds], "dpd": dpds},
                         schema={"loan_id": "string", "dpd": "int64"})


def test_system_category_at_and_around_each_threshold(backend):
    got = rows(backend, classify(loans(list(BY_HAND)), DEFAULT), "loan_id", "dpd", "system_category",
               "system_category_rank", "system_category_zh", "final_category", "is_overridden", "is_npl", key=1)
    zh = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}
    rank = {"normal": 1, "special_mention": 2, "substandard": 3, "doubtful": 4, "loss": 5}
    assert [r[1:] for r in got] == [
        (d, c, rank[c], zh[c], c, False, c in ("substandard", "doubtful", "loss")) for d, c in BY_HAND.items()]


def test_reasons_name_the_days_and_the_threshold_in_both_languages(backend):
    got = {r[0]: r[1:] for r in rows(backend, classify(loans([0, 5, 95, 300, 400]), DEFAULT), "dpd",
                                     "system_reason_zh", "system_reason_en", "system_reason", "final_reason", key=1)}
    assert got[95][:2] == ("逾期 95 天，超过 90 天", "95 days past due, more than 90")
    assert got[95][2] == got[95][3] == "逾期 95 天，超过 90 天 / 95 days past due, more than 90"
    assert got[300][:2] == ("逾期 300 天，超过 270 天", "300 days past due, more than 270")
    assert got[400][:2] == ("逾期 400 天，超过 360 天", "400 days past due, more than 360")
    assert got[5][:2] == ("逾期 5 天，有逾期款项", "5 days past due: an amount is overdue")
    assert got[0][:2] == ("未逾期", "not past due")


def test_configured_thresholds_move_the_boundaries(backend):
    rules = ClassificationSettings(special_mention_over_days=30, substandard_over_days=60, doubtful_over_days=180,
                                   loss_over_days=720)
    expected = {0: "normal", 30: "normal", 31: "special_mention", 60: "special_mention", 61: "substandard",
                180: "substandard", 181: "doubtful", 720: "doubtful", 721: "loss"}
    got = rows(backend, classify(loans(list(expected)), rules), "dpd", "system_category", "system_reason_en", key=1)
    assert [(d, c) for d, c, _ in got] == list(expected.items())
    reasons = {d: r for d, _, r in got}
    assert reasons[30] == "30 days past due, not more than 30"
    assert reasons[31] == "31 days past due, more than 30"


def test_an_approved_change_gives_the_final_category_and_reason(backend):
    changes = ibis.memtable(pa.table({"loan_id": ["L00005", "L00400"], "category": ["substandard", "doubtful"],
                                      "reason": ["借款人已失联 / the borrower cannot be reached",
                                                 "抵押物已处置 / collateral sold"]}))
    got = {r[0]: r[1:] for r in rows(backend, classify(loans([0, 5, 400]), DEFAULT, changes), "dpd",
                                     "system_category", "final_category", "final_category_zh", "final_reason",
                                     "is_overridden", "is_npl", key=1)}
    assert got[5] == ("special_mention", "substandard", "次级", "借款人已失联 / the borrower cannot be reached",
                      True, True)
    assert got[400] == ("loss", "doubtful", "可疑", "抵押物已处置 / collateral sold", True, True)
    assert got[0] == ("normal", "normal", "正常", "未逾期 / not past due", False, False)


def test_a_change_holds_only_as_far_as_its_direction_allows(backend):
    """More severe is a floor the rules may pass; milder holds while the rules see the loan no worse than when it
    was decided (worked out by hand: dpd 0 → normal, 100 → substandard, 300 → doubtful)."""
    changes = ibis.memtable(pa.table({
        "loan_id": ["L00000", "L00100", "L00300", "L00101"],
        "category": ["substandard", "special_mention", "substandard", "normal"],
        "reason": ["上调 / up", "下调 / down", "上调 / up", "下调 / down"],
        "direction": ["more_severe", "less_severe", "more_severe", "less_severe"],
        # the rules' category when each change was decided
        "system_category": ["normal", "substandard", "substandard", "special_mention"],
    }))
    got = {r[0]: r[1:] for r in rows(backend, classify(loans([0, 100, 300, 101]), DEFAULT, changes), "loan_id",
                                     "system_category", "final_category", "is_overridden", key=1)}
    assert got["L00000"] == ("normal", "substandard", True)  # more severe than the rules: holds
    assert got["L00100"] == ("substandard", "special_mention", True)  # milder, rules no worse than then: holds
    assert got["L00300"] == ("doubtful", "doubtful", False)  # the rules already see it worse: theirs wins
    assert got["L00101"] == ("substandard", "substandard", False)  # worse than when decided: the milder one lapses
