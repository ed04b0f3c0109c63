"""Applicant tables with a known risk structure, made here (deterministic by seed) for the scorecard tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def applicants(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk falls with age and income, rises with utilisation and past delinquencies; housing matters;
    ``noise`` is unrelated. Some values are missing; ``months_on_book`` has the special code -999."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 75, n).astype(float)
    income = np.round(rng.lognormal(8.5, 0.6, n), 2)
    util = np.clip(rng.beta(2, 3, n), 0, 1)
    delinq = rng.poisson(0.4, n).astype(float)
    housing = rng.choice(["own", "rent", "family", "mortgage's"], n, p=[0.35, 0.3, 0.2, 0.15])
    months = rng.integers(1, 240, n).astype(float)
    noise = rng.normal(0, 1, n)
    logit = (-1.2 - 0.035 * (age - 40) - 0.6 * (np.log(income) - 8.5) + 2.2 * (util - 0.4) + 0.7 * delinq
             + np.select([housing == "rent", housing == "family"], [0.5, 0.2], 0.0) - 0.004 * (months - 100))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    income[rng.random(n) < 0.05] = np.nan
    util[rng.random(n) < 0.03] = np.nan
    months[rng.random(n) < 0.06] = -999.0  # no record at the bureau: a code, not a number of months
    housing = housing.astype(object)
    housing[rng.random(n) < 0.04] = None
    x = pd.DataFrame({"age": age, "monthly income": income, "utilisation": util, "delinquencies": delinq,
                      "housing": housing, "months_on_book": months, "noise": noise})
    return x, y
