"""product_adoption — one row per customer: when the customer first took each marketing target.

For every target in ``marketing.targets`` the mart has ``first_<target>_on``, the first day the
customer had it (null: never, up to the build date):

- ``service`` (a signup, e.g. mobile banking): the earliest ``signed_on`` of that service;
- ``category`` (any account of a product category, e.g. wealth): the earliest ``open_date`` of an
  account of that category;
- ``product`` (one product code, e.g. LN01): the earliest ``open_date`` of an account of that product.

"First" on purpose: a customer who signed up, cancelled and signed up again acquired the product
once, at the first date. Propensity labels ("acquired within N days after a cut-off") and the
conversions a campaign detects in later data both read this mart, so they agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.core.settings import PropensityTarget
from finecrm.engine.model import BuildContext, Model


def adoption_column(code: str) -> str:
    return f"first_{code}_on"


def _first_dates(src: Mapping[str, ibis.Table], targets: list[PropensityTarget]) -> list[ibis.Table]:
    """One small table per source (signups, accounts): customer_id and a first date per target."""
    signups, accounts = src["stg_signups"], src["int_accounts_enriched"]
    null = ibis.null("date")
    by_service = {t.code: ibis.ifelse(signups.service == t.match, signups.signed_on, null).min()
                  for t in targets if t.kind == "service"}
    by_account = {t.code: ibis.ifelse((accounts.category if t.kind == "category" else accounts.product_code)
                                      == t.match, accounts.open_date, null).min()
                  for t in targets if t.kind != "service"}
    out = []
    if by_service:
        out.append(signups.group_by("customer_id").agg(**{adoption_column(k): v for k, v in by_service.items()}))
    if by_account:
        out.append(accounts.group_by("customer_id").agg(**{adoption_column(k): v for k, v in by_account.items()}))
    return out


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    targets = ctx.settings.marketing.targets
    t = src["stg_customers"].select("customer_id")
    for part in _first_dates(src, targets):
        cols = [c for c in part.columns if c != "customer_id"]
        t = t.left_join(part, "customer_id").select(t, *[part[c] for c in cols])
    # Targets in configuration order, whatever source they came from.
    return t.select("customer_id", *[adoption_column(x.code) for x in targets])


MODEL = Model(
    "product_adoption", "mart", ("stg_customers", "stg_signups", "int_accounts_enriched"), build,
    "When each customer first took each marketing target (first signup of the service, first account of the "
    "category or product); null = never. Labels of the propensity models and campaign conversions read it.",
    grain="customer", key=("customer_id",),
)
