"""int_holdings and int_signups: what each customer holds and has signed up for on the build date."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.contract.tables import PRODUCT_CATEGORIES, SERVICES
from finecrm.engine.model import BuildContext, Model

CATEGORIES = tuple(code for code, _ in PRODUCT_CATEGORIES)
SERVICE_CODES = tuple(code for code, _ in SERVICES)


def build_holdings(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    a = src["int_accounts_enriched"]
    open_ = a.filter(a.is_open)
    aggs = {f"has_{c}": (open_.category == c).any() for c in CATEGORIES}
    return open_.group_by("customer_id").agg(
        accounts_open=open_.count(), products_held=open_.product_code.nunique(), **aggs
    )


def build_signups(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["stg_signups"]
    active = s.filter(s.active)
    return active.group_by("customer_id").agg(
        **{f"signed_{svc}": (active.service == svc).any() for svc in SERVICE_CODES}
    )


HOLDINGS = Model("int_holdings", "intermediate", ("int_accounts_enriched",), build_holdings,
                 "One row per customer with an open account: accounts, products, has_<category> flags.")
SIGNUPS = Model("int_signups", "intermediate", ("stg_signups",), build_signups,
                "One row per customer with an active signup: signed_<service> flags.")
