"""collection_schedules — one row per instalment of every loan that has been past due at a month end of the
history or is on the build date: the schedule a collector shows the debtor, and the repayments promises to pay
are checked against.

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
    h = src["loan_overdue_history"]
    loans = h.filter(h.dpd > 0).select("loan_id").distinct()
    s = src["stg_loan_schedule"]
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
    "collection_schedules", "mart", ("stg_loan_schedule", "loan_overdue_history"), build,
    "Per instalment of every loan past due at a month end or on the build date: due and paid amounts with the "
    "payment date (payments after the build date not yet made), for the loan card and promise-to-pay checks.",
    grain="instalment of a loan that has been past due", key=("loan_id", "due_date"),
    not_null=("due_amount", "paid_amount", "is_overdue"),
    invariants=(
        Invariant("paid means dated", lambda t: t.paid_date.notnull() | (t.paid_amount == 0),
                  "an instalment shows a paid amount only when it was paid in full by the build date"),
    ),
)
