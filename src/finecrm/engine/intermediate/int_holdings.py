"""int_holdings: what each customer holds on the build date (open accounts, products, categories)."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.contract.tables import PRODUCT_CATEGORIES
from finecrm.engine.model import BuildContext, Model

CATEGORIES = tuple(code for code, _ in PRODUCT_CATEGORIES)


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    a = src["int_accounts_enriched"]
    open_ = a.filter(a.is_open)
    aggs = {f"has_{c}": (open_.category == c).any() for c in CATEGORIES}
    return open_.group_by("customer_id").agg(
        accounts_open=open_.count(), products_held=open_.product_code.nunique(), **aggs
    )


MODEL = Model("int_holdings", "intermediate", ("int_accounts_enriched",), build,
              "One row per customer with an open account: accounts, products, has_<category> flags.")
