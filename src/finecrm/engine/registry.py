"""Every model of the build, in one list: the table of contents of the analytics."""

from __future__ import annotations

from finecrm.engine.intermediate import (
    accounts_enriched,
    activity_by_customer_month,
    balances_by_customer_month,
    customer_current,
    customer_months,
    holdings,
    recent_activity,
)
from finecrm.engine.marts import (
    custom_segments,
    customer_360,
    customer_detail,
    customer_propensity,
    customer_segment,
    customer_tier_history,
    customer_value,
    deposit_watch,
    lifecycle_flow,
    product_adoption,
    propensity_features,
    summaries,
)
from finecrm.engine.model import Model
from finecrm.engine.staging import accounts, balances, customers, others, products, transactions

MODELS: tuple[Model, ...] = (
    # staging: one per source table
    customers.MODEL,
    products.MODEL,
    accounts.MODEL,
    balances.MONTH,
    balances.DAY,
    transactions.MODEL,
    others.SIGNUPS,
    others.LOANS,
    others.BRANCHES,
    others.GRIDS,
    others.STAFF,
    # intermediate
    accounts_enriched.MODEL,
    balances_by_customer_month.MODEL,
    activity_by_customer_month.MODEL,
    customer_months.MODEL,
    customer_current.MODEL,
    recent_activity.MODEL,
    holdings.HOLDINGS,
    holdings.SIGNUPS,
    # marts
    customer_tier_history.MODEL,
    customer_value.MODEL,
    customer_segment.MODEL,
    customer_360.MODEL,
    custom_segments.MODEL,
    lifecycle_flow.MODEL,
    summaries.BRANCH,
    summaries.BRANCH_TIER,
    summaries.GRID,
    summaries.PORTFOLIO,
    deposit_watch.WATCH,
    deposit_watch.ALERTS,
    customer_detail.ACCOUNTS,
    customer_detail.RECENT_TRANSACTIONS,
    # marketing: what customers took when, monthly features, and the scores of the active models
    product_adoption.MODEL,
    propensity_features.MODEL,
    customer_propensity.MODEL,
)

BY_NAME = {m.name: m for m in MODELS}
MARTS = tuple(m for m in MODELS if m.layer == "mart")
