"""stg_signups: e-banking and service signups made by the build date, active when not cancelled by then."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["signups"]
    as_of = ibis.date(ctx.as_of)
    return s.filter(s.signed_on <= as_of).mutate(active=s.cancelled_on.isnull() | (s.cancelled_on > as_of))


MODEL = Model("stg_signups", "staging", ("signups",), build,
              "Signups made by the build date; active when not cancelled by then.")
