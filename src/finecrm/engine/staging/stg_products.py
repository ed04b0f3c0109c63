"""stg_products: products with the flags that decide AUM, deposits and loans."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model

#: 金融资产 (AUM) = deposits + wealth + funds + insurance (design: domain rules). A debit card (借记卡)
#: is the card of a demand-deposit account, so its balance is a demand deposit.
AUM_CATEGORIES = ("deposit", "debit_card", "time_deposit", "wealth", "fund", "insurance")
DEPOSIT_CATEGORIES = ("deposit", "debit_card", "time_deposit")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    p = src["products"]
    return p.mutate(
        # the part of AUM a balance counts in: debit cards are demand deposits
        aum_part=ibis.ifelse(p.category == "debit_card", "deposit", p.category),
        in_aum=p.category.isin(AUM_CATEGORIES),
        is_deposit=p.category.isin(DEPOSIT_CATEGORIES),
        is_loan=p.category == "loan",
    )


MODEL = Model("stg_products", "staging", ("products",), build, "Products with in_aum / is_deposit / is_loan flags.")
