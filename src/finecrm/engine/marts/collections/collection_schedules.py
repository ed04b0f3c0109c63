"""collection_schedules — one row per instalment of every loan that has ever been late by the build date (an
instalment paid after its due date, or due before the build date and not paid): the schedule a collector shows the
debtor, and the repayments promises to pay are checked against. (Late between two month ends is late too: a
promise can be made on a loan that was never past due at a month end.)

Payments dated after the build date are not made yet on it (``paid_date`` null, ``paid_amount`` 0), as in
``_loan_position``. ``paid`` is the amount of an instalment paid in full (its ``paid_amount`` when given, else
principal + interest due) on ``paid_date``; a partial payment carries no date in the contract and is shown as
``partial_amount`` without one.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    as_of = ibis.date(ctx.as_of)
    s = src["stg_loan_schedule"]
    paid_now = (s.paid_date.notnull() & (s.paid_date <= as_of)).fill_null(False)
    late = (s.due_date < as_of) & (~paid_now | (s.paid_date > s.due_date)).fill_null(True)
    loans = s.filter(late).select("loan_id").distinct()
    s = s.inner_join(loans, "loan_id")
    paid_now = (s.paid_date.notnull() & (s.paid_date <= as_of)).fill_null(False)
    due = (s.due_principal + s.due_interest).round(2)
    paid = ibis.ifelse(s.paid_amount > 0, s.paid_amount, due)
    return s.select(
        "loan_id", "due_date", due_principal=s.due_principal.round(2), due_interest=s.due_interest.round(2),
        due_amount=due, paid_date=ibis.ifelse(paid_now, s.paid_date, ibis.null("date")),
        paid_amount=ibis.ifelse(paid_now, paid, 0.0).round(2),
        partial_amount=ibis.ifelse(~paid_now & (s.due_date <= as_of), s.paid_amount, 0.0).round(2),
        is_overdue=~paid_now & (s.due_date < as_of),
    )


MODEL = Model(
    "collection_schedules", "mart", ("stg_loan_schedule",), build,
    "Per instalment of every loan ever late by the build date: due and paid amounts with the "
    "payment date (payments after the build date not yet made), for the loan card and promise-to-pay checks.",
    grain="instalment of a loan ever late", key=("loan_id", "due_date"),
    not_null=("due_amount", "paid_amount", "is_overdue"),
    invariants=(
        Invariant("paid means dated", lambda t: t.paid_date.notnull() | (t.paid_amount == 0),
                  "an instalment shows a paid amount only when it was paid in full by the build date"),
    ),
)
