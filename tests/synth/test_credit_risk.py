"""The synthetic bank's credit risk: who goes bad follows each loan's latent probability, and not too many do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from finecrm.synth import bank, cases, customers, loans, truth
from finecrm.synth.calendar import Calendar
from finecrm.synth.org import build_org

from .checks import read
from .test_propensity import auc

BAD = ("rolled_90", "rolled_360")


def _truth_loans(out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = read(out / "_truth", "loans", "parquet", truth.SCHEMAS["loans"])
    p = np.array(t.column("p_bad_latent").to_pylist(), dtype=float)
    pattern = np.array(t.column("delinquency").to_pylist())
    prior = np.array(t.column("prior_late").to_pylist(), dtype=int)
    return p, pattern, prior


def test_latent_probability_in_the_truth_separates_bad_from_good_loans(bank5k: tuple[Path, dict[str, int]]) -> None:
    out, _ = bank5k
    p, pattern, _ = _truth_loans(out)
    bad = np.isin(pattern, BAD)
    assert bad.sum() >= 10 and (~bad).sum() >= 300
    assert auc(p, bad) > 0.65
    assert ((p > 0) & (p < 1)).all()


@pytest.fixture(scope="module")
def chunk() -> tuple[customers.Customers, loans.Loans]:
    """The loans of one full chunk (20,000 customers): enough bad loans for a sharp measure, in seconds."""
    cal = Calendar(bank.DEFAULT_AS_OF, 12)
    org = build_org(bank._rng(5, 0), bank.CHUNK, bank.DEFAULT_AS_OF)

    def rng(stage: int) -> np.random.Generator:
        return bank._rng(5, 1, 0, stage)

    cust = customers.generate(rng(0), org, cal, 0, 0, bank.CHUNK)
    cases.plan(rng(1), cust, cal, cases.split_counts(cases.case_counts(bank.CHUNK), [bank.CHUNK])[0], 0)
    return cust, loans.plan(rng(2), cust, cal)


@pytest.fixture(scope="module")
def many_loans(chunk: tuple[customers.Customers, loans.Loans]) -> loans.Loans:
    return chunk[1]


#: The coefficients as docs/synthetic-bank.md states them (copied from the text, not from the code).
OCCUPATION = {"农民": 0.5, "个体工商户": 0.6, "公务员": -1.2, "教师": -1.0, "工人": 0.2, "企业职员": -0.3, "医生": -1.0,
              "退休": -0.3, "学生": 0.9, "自由职业": 0.8, "无业": 1.3}


def test_latent_probability_is_the_documented_function(chunk: tuple[customers.Customers, loans.Loans]) -> None:
    cust, ln = chunk
    who = ln.cust
    principal = ln.principal / 100
    deposits = np.clip(np.log(np.maximum(cust.aum[who], 1.0) / principal), -3, 3)
    declining = cust.pattern[who] == customers.DECLINING
    common = -0.45 * deposits + 1.0 * declining + 0.9 * ln.prior_late
    age = cust.age[who]
    income = cust.income[who]
    occ = np.array([OCCUPATION[customers.OCCUPATIONS[o]] if o >= 0 else 0.0 for o in cust.occupation[who]])
    income_term = np.where(income > 0, -0.5 * np.log(np.where(income > 0, income, 1.0) / 5_000), 0.0)
    individual = -5.0 + 0.06 * np.maximum(30 - age, 0) + 0.05 * np.maximum(age - 55, 0) + occ + income_term
    logit = np.where(cust.corporate[who], -5.1, individual) + common
    assert np.allclose(ln.p_bad, 1 / (1 + np.exp(-logit)), rtol=1e-9, atol=1e-12)
    assert ln.prior_late.min() >= 0 and ln.prior_late.max() <= 4


def test_latent_probability_ranks_rolled_90_and_rolled_360(many_loans: loans.Loans) -> None:
    p = many_loans.p_bad
    # every bad loan, and the few past 360 days alone (fewer: a looser bound)
    for level, bound in (((loans.ROLLED_90, loans.ROLLED_360), 0.7), ((loans.ROLLED_360,), 0.6)):
        bad = np.isin(many_loans.pattern, level)
        assert bad.sum() >= 10
        assert auc(p, bad) > bound, level
    share = np.isin(many_loans.pattern, (loans.ROLLED_90, loans.ROLLED_360)).mean()
    assert 0.015 <= share <= 0.07


def test_the_share_of_bad_loans_is_realistic(bank5k: tuple[Path, dict[str, int]]) -> None:
    out, _ = bank5k
    p, pattern, prior = _truth_loans(out)
    rolled = np.isin(pattern, BAD).mean()
    assert 0.015 <= rolled <= 0.07  # a few percent past 90 days, as county banks report
    assert 0.02 <= (pattern == "cured").mean() <= 0.15
    assert 0.02 <= p.mean() <= 0.08
    # prior lateness is rare, and borrowers who were late before are riskier
    assert (prior == 0).mean() > 0.6
    assert p[prior >= 1].mean() > p[prior == 0].mean()
