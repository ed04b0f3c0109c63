"""Where a loan stands on a given day, from its schedule: what is repaid, overdue and how long.

Definitions (docs/marts.md, 贷款状态口径), for a loan on day ``d``:

- an instalment is **paid in full** on ``d`` when its ``paid_date`` is on or before ``d``;
- **days past due** (逾期天数) = ``d`` − the earliest instalment due on or before ``d`` and not paid in
  full on it; 0 when there is none (so an instalment due on ``d`` itself is not yet past due);
- an instalment is **overdue** when it fell due before ``d`` and is not paid in full;
- a **partial payment** (``paid_amount`` of an instalment without ``paid_date``, due by ``d``) pays the
  instalment's interest first and then its principal (先息后本, as loan contracts order an overdue
  repayment);
- **outstanding principal** (贷款余额) = principal − the principal of instalments paid in full by ``d``
  − the principal part of partial payments.

Money is summed in integer fen (exact on every backend) and given back in yuan.
"""

from __future__ import annotations

import ibis

from finecrm.engine.model import count_if, int_sum


def fen(yuan: ibis.Value) -> ibis.Value:
    """Yuan as integer fen (BIGINT)."""
    return (yuan.cast("float64") * 100).round().cast("int64")


def yuan(fen_value: ibis.Value) -> ibis.Value:
    """Integer fen as yuan (float64, two decimals)."""
    return (fen_value.cast("float64") / 100).round(2)


def days_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Whole days from ``earlier`` to ``later`` (dates), BIGINT on every backend."""
    return later.delta(earlier, unit="day").cast("float64").cast("int64")


def positions(pairs: ibis.Table, schedule: ibis.Table) -> ibis.Table:
    """One row per (loan_id, day) of ``pairs`` (which also needs ``principal``): the loan on that day.

    Adds ``instalments`` (schedule rows; 0: no schedule was delivered), ``repaid_principal``, ``outstanding_principal``, ``overdue_principal``, ``overdue_interest``,
    ``overdue_instalments``, ``first_unpaid_due``, ``dpd`` and ``next_due_date`` (the first instalment
    due after the day and not paid in full on it). A loan without schedule rows has repaid nothing as far
    as the data tells (outstanding = principal) and is never past due: ``instalments`` = 0 says so.
    """
    s = schedule.select("loan_id", "due_date", "due_principal", "due_interest", "paid_date", "paid_amount")
    j = pairs.select("loan_id", "day").left_join(s, "loan_id").drop("loan_id_right")
    paid_in_full = (j.paid_date.notnull() & (j.paid_date <= j.day)).fill_null(False)
    due = (j.due_date <= j.day).fill_null(False)
    prin, intr = fen(j.due_principal).fill_null(0), fen(j.due_interest).fill_null(0)
    # only a partial payment of an instalment already due counts, interest first
    partial = ibis.ifelse(j.paid_date.isnull() & due, fen(j.paid_amount).fill_null(0), 0)
    partial_interest = ibis.least(partial, intr)
    partial_principal = ibis.least(partial - partial_interest, prin)
    overdue = (j.due_date < j.day).fill_null(False) & ~paid_in_full
    j = j.mutate(
        repaid_fen=ibis.ifelse(paid_in_full, prin, partial_principal),
        overdue_principal_fen=ibis.ifelse(overdue, prin - partial_principal, 0),
        overdue_interest_fen=ibis.ifelse(overdue, intr - partial_interest, 0),
        is_overdue=overdue,
        unpaid_due=ibis.ifelse(due & ~paid_in_full, j.due_date, ibis.null("date")),
        unpaid_later=ibis.ifelse(~due & ~paid_in_full & j.due_date.notnull(), j.due_date, ibis.null("date")),
    )
    agg = j.group_by(["loan_id", "day"]).agg(
        instalments=count_if(j.due_date.notnull()),
        repaid_fen=int_sum(j.repaid_fen),
        overdue_principal_fen=int_sum(j.overdue_principal_fen),
        overdue_interest_fen=int_sum(j.overdue_interest_fen),
        overdue_instalments=count_if(j.is_overdue),
        first_unpaid_due=j.unpaid_due.min(),
        next_due_date=j.unpaid_later.min(),
    )
    out = pairs.join(agg, ["loan_id", "day"])
    principal = fen(out.principal)
    outstanding = ibis.greatest(principal - out.repaid_fen, 0)
    # What is overdue is part of what is outstanding. A schedule whose instalments add up to more than the loan's
    # principal (an export that kept rows of a superseded schedule beside the new one) would otherwise count
    # principal twice; the loan is still described, within its principal, instead of failing the build.
    overdue_principal = ibis.least(out.overdue_principal_fen, outstanding)
    return out.mutate(
        repaid_principal=yuan(principal - outstanding),
        outstanding_principal=yuan(outstanding),
        overdue_principal=yuan(overdue_principal),
        overdue_interest=yuan(out.overdue_interest_fen),
        overdue_amount=yuan(overdue_principal + out.overdue_interest_fen),
        dpd=ibis.ifelse(out.first_unpaid_due.isnull(), 0, days_between(out.day, out.first_unpaid_due)).cast("int64"),
        is_open=(outstanding > 0) | (out.overdue_interest_fen > 0),
    ).drop("repaid_fen", "overdue_principal_fen", "overdue_interest_fen")
