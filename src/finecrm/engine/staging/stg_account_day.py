"""stg_account_day: daily balances up to the build date, as floats for arithmetic."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    d = src["account_day"]
    return d.filter(d.date <= ibis.date(ctx.as_of)).mutate(balance=d.balance.cast("float64"))


MODEL = Model("stg_account_day", "staging", ("account_day",), build, "Daily balances up to the build date.")
