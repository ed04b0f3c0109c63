"""stg_loans: loans disbursed by the build date, the rate as a float."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    loans = src["loans"]
    return loans.filter(loans.start_date <= ibis.date(ctx.as_of)).mutate(rate=loans.rate.cast("float64"))


MODEL = Model("stg_loans", "staging", ("loans",), build, "Loans disbursed by the build date.")
