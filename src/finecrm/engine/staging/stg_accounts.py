"""stg_accounts: accounts opened by the build date, with whether they are open on it."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    a = src["accounts"]
    as_of = ibis.date(ctx.as_of)
    return a.filter(a.open_date <= as_of).mutate(
        is_open=a.close_date.isnull() | (a.close_date > as_of),
    )


MODEL = Model("stg_accounts", "staging", ("accounts",), build, "Accounts opened by the build date; is_open on it.")
