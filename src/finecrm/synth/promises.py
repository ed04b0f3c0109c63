"""Promises to pay (还款承诺) the bank's collectors recorded on late loans, and whether the repayment followed.

Not a contract table — promises live in finecrm's operational database — but the answer key for detecting kept and
broken promises from the schedule. Drawn from a stream of its own after the schedule is final, so nothing else in
the bank changes. Each loan that was ever late gets one promise with probability ``P_PROMISE``:

- a **cured** loan (its missed instalments all paid on one cure day): the promise is made ``k`` days before the
  cure day (``k`` uniform 1–10, not before the day after the first missed instalment fell due) for a day ``L`` days
  later (``L`` uniform 3–14), for 50–100 % of what was paid on the cure day. The repayment falls inside the promise
  exactly when ``k ≤ L``: **kept**, else **broken** (paid, but after the promised day);
- a loan **still unpaid** at as_of (rolled past 90 days, or in early arrears): made a uniform 1 to dpd − 1 days after
  its first unpaid instalment fell due (a loan only 1 day past due gets none), for ``L`` days later, for that
  instalment's amount. No instalment is paid in full after it, so the promise is **broken** when its day is before
  as_of and **pending** otherwise.

``paid_in_window`` is what the schedule shows paid in full from the day the promise was made to its day (and by
as_of); the outcome rule is the one the collections area applies (kept when that reaches the amount; broken when
the day has passed without it; else pending).
"""

from __future__ import annotations

import numpy as np

from finecrm.synth.calendar import Calendar
from finecrm.synth.loans import CURED, IN_ARREARS, ROLLED_90, ROLLED_360, Loans

P_PROMISE = 0.6
OUTCOMES = ("kept", "broken", "pending")


def generate(rng: np.random.Generator, loans: Loans, cal: Calendar) -> dict[str, np.ndarray]:
    """One row per promise: ``loan`` (index), ``made_day``, ``promised_day`` (day numbers), ``amount`` and
    ``paid`` (fen), ``outcome`` (index into OUTCOMES)."""
    as_of = cal.as_of_day
    total = loans.s_principal + loans.s_interest
    late_paid = (loans.s_paid_day > loans.s_due)
    unpaid = (loans.s_paid_day < 0) & (loans.s_due < as_of)
    rows: dict[str, list[int]] = {k: [] for k in ("loan", "made_day", "promised_day", "amount", "paid", "outcome")}
    draw = rng.random(loans.n)
    ks = rng.integers(1, 11, size=loans.n)
    ls = rng.integers(3, 15, size=loans.n)
    shares = rng.uniform(0.5, 1.0, size=loans.n)
    offsets = rng.random(loans.n)
    first_row = np.searchsorted(loans.s_loan, np.arange(loans.n))
    last_row = np.searchsorted(loans.s_loan, np.arange(loans.n), side="right")
    for i in np.flatnonzero(draw < P_PROMISE):
        lo, hi = first_row[i], last_row[i]
        if lo == hi:
            continue
        pattern = loans.pattern[i]
        if pattern == CURED and late_paid[lo:hi].any():
            missed = np.flatnonzero(late_paid[lo:hi]) + lo
            cure = int(loans.s_paid_day[missed[0]])
            made = max(cure - int(ks[i]), int(loans.s_due[missed[0]]) + 1)
            on_cure = (loans.s_paid_day[lo:hi] == cure)
            paid_on_cure = int(total[lo:hi][on_cure].sum())
            amount = max(round(paid_on_cure * float(shares[i]) / 100) * 100, 100)
        elif pattern in (ROLLED_90, ROLLED_360, IN_ARREARS) and unpaid[lo:hi].any():
            first = np.flatnonzero(unpaid[lo:hi])[0] + lo
            dpd = as_of - int(loans.s_due[first])
            if dpd < 2:
                continue
            made = int(loans.s_due[first]) + 1 + int(offsets[i] * (dpd - 1))
            amount = max(int(total[first]), 100)
        else:
            continue
        promised = made + int(ls[i])
        days = loans.s_paid_day[lo:hi]
        window = (days >= made) & (days <= promised) & (days <= as_of)
        paid = int(total[lo:hi][window].sum())
        outcome = 0 if paid >= amount else (1 if as_of > promised else 2)
        for key, value in (("loan", int(i)), ("made_day", made), ("promised_day", promised), ("amount", amount),
                           ("paid", paid), ("outcome", outcome)):
            rows[key].append(value)
    return {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}
