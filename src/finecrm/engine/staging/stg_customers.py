"""stg_customers: customers with age and tenure as of the build date."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, months_between


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    c = src["customers"]
    as_of = ibis.date(ctx.as_of)
    # Age in whole years: a birthday later in the year has not happened yet.
    years = as_of.year() - c.birth_date.year()
    before_birthday = (as_of.month() < c.birth_date.month()) | (
        (as_of.month() == c.birth_date.month()) & (as_of.day() < c.birth_date.day())
    )
    return c.filter(c.open_date <= as_of).mutate(
        age=ibis.ifelse(c.kind == "individual", years - before_birthday.cast("int64"), ibis.null("int64")),
        tenure_months=months_between(as_of, c.open_date).cast("int64"),
    )


MODEL = Model("stg_customers", "staging", ("customers",), build,
              "Customers opened on or before the build date, with age (individuals) and tenure in months.")
