"""int_accounts_enriched: each account with its product category and annual contribution rate.

The rate turns a daily-average balance into annual contribution (贡献度): the FTP spread for
deposits, the loan's rate minus the FTP rate for loans, the intermediary rate for wealth, funds
and insurance (all from finecrm.yaml, section contribution).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    c = ctx.settings.contribution
    a, p, loans = src["stg_accounts"], src["stg_products"], src["stg_loans"]
    rates = loans.filter(loans.account_id.notnull()).group_by("account_id").agg(loan_rate=loans.rate.max())
    j = a.left_join(p.select("product_code", "category", "aum_part", "in_aum", "is_deposit", "is_loan"),
                    "product_code")
    j = j.left_join(rates, "account_id").drop("product_code_right", "account_id_right")
    loan_margin = j.loan_rate.fill_null(c.default_loan_rate) - c.loan_ftp_rate
    annual_rate = ibis.cases(
        (j.aum_part == "deposit", c.deposit_spread.get("deposit", 0.0)),
        (j.category == "time_deposit", c.deposit_spread.get("time_deposit", 0.0)),
        (j.category == "wealth", c.intermediary_rates.get("wealth", 0.0)),
        (j.category == "fund", c.intermediary_rates.get("fund", 0.0)),
        (j.category == "insurance", c.intermediary_rates.get("insurance", 0.0)),
        (j.category == "loan", loan_margin),
        else_=0.0,
    )
    return j.mutate(
        category=j.category.fill_null("other"),
        aum_part=j.aum_part.fill_null("other"),
        in_aum=j.in_aum.fill_null(False),
        is_deposit=j.is_deposit.fill_null(False),
        is_loan=j.is_loan.fill_null(False),
        annual_rate=annual_rate.cast("float64"),
    )


MODEL = Model("int_accounts_enriched", "intermediate", ("stg_accounts", "stg_products", "stg_loans"), build,
              "One row per account: category, AUM/deposit/loan flags, annual contribution rate.",
              materialize=True)
