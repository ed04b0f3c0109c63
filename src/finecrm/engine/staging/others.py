"""Staging of the small tables that need nothing but the build-date cut: signups, loans, org."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build_signups(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["signups"]
    as_of = ibis.date(ctx.as_of)
    return s.filter(s.signed_on <= as_of).mutate(active=s.cancelled_on.isnull() | (s.cancelled_on > as_of))


def build_loans(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    loans = src["loans"]
    return loans.filter(loans.start_date <= ibis.date(ctx.as_of)).mutate(rate=loans.rate.cast("float64"))


def passthrough(name: str) -> Model:
    return Model(f"stg_{name}", "staging", (name,), lambda src, ctx: src[name], f"{name} as delivered.")


SIGNUPS = Model("stg_signups", "staging", ("signups",), build_signups,
                "Signups made by the build date; active when not cancelled by then.")
LOANS = Model("stg_loans", "staging", ("loans",), build_loans, "Loans disbursed by the build date.")
BRANCHES = passthrough("branches")
GRIDS = passthrough("grids")
STAFF = passthrough("staff")
