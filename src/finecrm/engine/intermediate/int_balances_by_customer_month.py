"""int_balances_by_customer_month: AUM and its parts per customer per month (月日均 and 月末)."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Model

PARTS = ("deposit", "time_deposit", "wealth", "fund", "insurance", "loan")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    m, a = src["stg_account_month"], src["int_accounts_enriched"]
    j = m.join(a.select("account_id", "customer_id", "category", "aum_part", "in_aum", "is_deposit", "annual_rate"),
               "account_id")
    avg, end = j.avg_daily_balance, j.end_balance
    aggs = {f"{part}_avg": ibis.ifelse(j.aum_part == part, avg, 0.0).sum() for part in PARTS}
    aggs |= {
        "aum_avg": ibis.ifelse(j.in_aum, avg, 0.0).sum(),
        "aum_end": ibis.ifelse(j.in_aum, end, 0.0).sum(),
        "deposits_end": ibis.ifelse(j.is_deposit, end, 0.0).sum(),
        "loans_end": ibis.ifelse(j.category == "loan", end, 0.0).sum(),
        # contribution earned on balances this month: daily average × annual rate / 12, by source
        "contribution_deposits": ibis.ifelse(j.is_deposit, avg * j.annual_rate / 12.0, 0.0).sum(),
        "contribution_loans": ibis.ifelse(j.category == "loan", avg * j.annual_rate / 12.0, 0.0).sum(),
        "contribution_intermediary": ibis.ifelse(
            j.category.isin(("wealth", "fund", "insurance")), avg * j.annual_rate / 12.0, 0.0).sum(),
    }
    return j.group_by(["customer_id", "month"]).agg(**aggs)


MODEL = Model("int_balances_by_customer_month", "intermediate", ("stg_account_month", "int_accounts_enriched"),
              build, "One row per customer per month with balances: AUM, deposits, loans and their parts.")
