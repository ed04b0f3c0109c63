"""stg_loan_schedule: instalments of the loans, amounts as float64 and what was paid without a null."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["loan_schedule"]
    # Every instalment is kept, also those due after the build date: what is still to come is part of
    # the outstanding principal, and a payment in full dated after the build date is not yet made on it
    # (the marts compare paid_date with the date they look at, so a build as of an earlier date is right).
    return s.mutate(
        due_principal=s.due_principal.cast("float64"),
        due_interest=s.due_interest.cast("float64"),
        paid_amount=s.paid_amount.cast("float64").fill_null(0.0),
    )


MODEL = Model("stg_loan_schedule", "staging", ("loan_schedule",), build,
              "Loan instalments (every due date), amounts in float64; paid_amount 0 when not given.")
