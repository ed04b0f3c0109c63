"""int_signups: what each customer has signed up for (e-banking and services) on the build date."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.contract.tables import SERVICES
from finecrm.engine.model import BuildContext, Model

SERVICE_CODES = tuple(code for code, _ in SERVICES)


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["stg_signups"]
    active = s.filter(s.active)
    return active.group_by("customer_id").agg(
        **{f"signed_{svc}": (active.service == svc).any() for svc in SERVICE_CODES}
    )


MODEL = Model("int_signups", "intermediate", ("stg_signups",), build,
              "One row per customer with an active signup: signed_<service> flags.")
