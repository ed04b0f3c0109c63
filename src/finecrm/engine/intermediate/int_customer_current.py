"""int_customer_current: each customer's row for the build month, with trends and 12-month contribution.

Contribution (贡献度) is annualised over the months observed in the last 12: balances' FTP spread,
loan margin and intermediary income, plus fees paid.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model, add_months


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cm = src["int_customer_months"]
    m0 = ctx.as_of_month
    current = cm.filter(cm.month == ibis.date(m0))
    back = {k: add_months(m0, -k) for k in (3, 6, 12)}
    past = cm.filter(cm.month.isin([ibis.date(d) for d in back.values()]))
    lags = past.group_by("customer_id").agg(
        **{f"aum_avg_{k}m_ago": ibis.ifelse(past.month == ibis.date(d), past.aum_avg, ibis.null("float64")).max()
           for k, d in back.items()}
    )
    year = cm.filter(cm.month > ibis.date(back[12]))
    contrib = year.group_by("customer_id").agg(
        months_observed=year.count(),
        contrib_deposits=year.contribution_deposits.sum(),
        contrib_loans=year.contribution_loans.sum(),
        contrib_intermediary=year.contribution_intermediary.sum(),
        contrib_fees=year.fees.sum(),
        aum_avg_12m=year.aum_avg.mean(),
    )
    j = current.left_join(lags, "customer_id").select(current, *[lags[c] for c in lags.columns[1:]])
    j = j.left_join(contrib, "customer_id").select(j, *[contrib[c] for c in contrib.columns[1:]])
    scale = 12.0 / ibis.greatest(j.months_observed, 1)
    parts = {
        "contribution_deposits": j.contrib_deposits * scale,
        "contribution_loans": j.contrib_loans * scale,
        "contribution_intermediary": j.contrib_intermediary * scale,
        "contribution_fees": j.contrib_fees * scale,
    }
    j = j.mutate(**parts).drop("contrib_deposits", "contrib_loans", "contrib_intermediary", "contrib_fees")
    return j.mutate(contribution=j.contribution_deposits + j.contribution_loans + j.contribution_intermediary
                    + j.contribution_fees)


MODEL = Model("int_customer_current", "intermediate", ("int_customer_months",), build,
              "One row per customer present in the build month: that month's figures, AUM 3/6/12 months "
              "before, annualised contribution and its parts.", materialize=True)
