"""loan_overdue_history — one row per open loan per month end: days past due and balances at that date.

Each month from the first month with data to the build month, as of its last day (the build month: as
of the build date), with the definitions of ``_loan_position`` applied on that day, so that roll rates
and migration matrices (M0 → M1 → …) can be read month to month. Only loans disbursed by the day and
still open on it have a row.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.credit._loan_position import positions
from finecrm.engine.model import BuildContext, Invariant, Model, add_months, month_end

#: Collection buckets by days past due (催收分段): M0 current, M1 1–30, M2 31–60, M3 61–90, M4+ beyond.
BUCKETS = (("M1", 30), ("M2", 60), ("M3", 90))


def dpd_bucket(dpd: ibis.Value) -> ibis.Value:
    return ibis.cases((dpd <= 0, "M0"), *[(dpd <= days, name) for name, days in BUCKETS], else_="M4+")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    last = ctx.as_of_month
    first = ctx.data_from or add_months(last, -11)
    months, ends = [], []
    m = first
    while m <= last:
        months.append(m)
        ends.append(min(month_end(m), ctx.as_of))
        m = add_months(m, 1)
    days = ibis.memtable({"month": months, "day": ends}, schema={"month": "date", "day": "date"})
    loans = src["stg_loans"].select("loan_id", "customer_id", "product_code", "start_date",
                                    principal=src["stg_loans"].principal.cast("float64"))
    pairs = loans.cross_join(days)
    pairs = pairs.filter(pairs.start_date <= pairs.day)
    pos = positions(pairs, src["stg_loan_schedule"])
    pos = pos.filter(pos.is_open)
    return pos.select(
        "loan_id", "month", "customer_id", "product_code", month_end=pos.day, dpd=pos.dpd,
        dpd_bucket=dpd_bucket(pos.dpd), outstanding_principal=pos.outstanding_principal,
        overdue_principal=pos.overdue_principal, overdue_interest=pos.overdue_interest,
        overdue_instalments=pos.overdue_instalments,
    )


MODEL = Model(
    "loan_overdue_history", "mart", ("stg_loans", "stg_loan_schedule"), build,
    "Per open loan per month end (the build month: the build date): days past due, bucket M0–M4+, outstanding and "
    "overdue amounts, for roll rates and migration matrices.",
    grain="open loan per month", key=("loan_id", "month"), not_null=("dpd", "dpd_bucket", "outstanding_principal"),
    invariants=(
        Invariant("past due exactly when something is overdue",
                  lambda t: (t.dpd >= 0) & ((t.dpd > 0) == (t.overdue_instalments > 0)),
                  "days past due > 0 exactly when an instalment that fell due before the month end is unpaid"),
    ),
)
