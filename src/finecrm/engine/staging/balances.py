"""stg_account_month and stg_account_day: balances up to the build date, as floats for arithmetic."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build_month(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    m = src["account_month"]
    # Money stays DECIMAL in the warehouse; analytics use float64 (ratios, averages, clustering) and
    # round again where a mart shows yuan.
    return m.filter(m.month <= ibis.date(ctx.as_of_month)).mutate(
        end_balance=m.end_balance.cast("float64"), avg_daily_balance=m.avg_daily_balance.cast("float64")
    )


def build_day(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = src["account_day"]
    return d.filter(d.date <= ibis.date(ctx.as_of)).mutate(balance=d.balance.cast("float64"))


MONTH = Model("stg_account_month", "staging", ("account_month",), build_month,
              "Monthly balances up to the build month.")
DAY = Model("stg_account_day", "staging", ("account_day",), build_day, "Daily balances up to the build date.")
