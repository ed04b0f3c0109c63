"""stg_account_month: monthly balances up to the build month, as floats for arithmetic."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    m = src["account_month"]
    # Money stays DECIMAL in the warehouse; analytics use float64 (ratios, averages, clustering) and
    # round again where a mart shows yuan.
    return m.filter(m.month <= ibis.date(ctx.as_of_month)).mutate(
        end_balance=m.end_balance.cast("float64"), avg_daily_balance=m.avg_daily_balance.cast("float64")
    )


MODEL = Model("stg_account_month", "staging", ("account_month",), build, "Monthly balances up to the build month.")
