"""Every model of the build, in one list: the table of contents of the analytics.

Each model lives in a file named after it: ``staging/<stg_…>.py``, ``intermediate/<int_…>.py``,
``marts/<area>/<mart>.py`` (tests/engine/test_layout.py holds every model to it).
"""

from __future__ import annotations

from finecrm.engine.intermediate import (
    int_accounts_enriched,
    int_activity_by_customer_month,
    int_balances_by_customer_month,
    int_customer_current,
    int_customer_months,
    int_holdings,
    int_recent_activity,
    int_signups,
)
from finecrm.engine.marts.aml import aml_alert_parties, aml_alerts, aml_large_value
from finecrm.engine.marts.collections import (
    collection_queue,
    collection_roll_rates,
    collection_schedules,
)
from finecrm.engine.marts.credit import (
    credit_portfolio,
    credit_warnings,
    loan_classification,
    loan_overdue_history,
    loan_status,
)
from finecrm.engine.marts.customers import (
    branch_summary,
    branch_tier_summary,
    customer_360,
    customer_accounts,
    customer_custom_segments,
    customer_recent_transactions,
    customer_segment,
    customer_tier_history,
    customer_value,
    deposit_alerts,
    deposit_watch,
    grid_summary,
    lifecycle_flow,
    portfolio_summary,
)
from finecrm.engine.marts.kpi import kpi_values
from finecrm.engine.marts.marketing import customer_propensity, product_adoption, propensity_features
from finecrm.engine.marts.workbench import customer_reminders, visit_plan
from finecrm.engine.model import Model
from finecrm.engine.staging import (
    stg_account_day,
    stg_account_month,
    stg_accounts,
    stg_branches,
    stg_customers,
    stg_grids,
    stg_loan_schedule,
    stg_loans,
    stg_products,
    stg_signups,
    stg_staff,
    stg_transactions,
)

MODELS: tuple[Model, ...] = (
    # staging: one per source table
    stg_customers.MODEL,
    stg_products.MODEL,
    stg_accounts.MODEL,
    stg_account_month.MODEL,
    stg_account_day.MODEL,
    stg_transactions.MODEL,
    stg_signups.MODEL,
    stg_loans.MODEL,
    stg_loan_schedule.MODEL,
    stg_branches.MODEL,
    stg_grids.MODEL,
    stg_staff.MODEL,
    # intermediate
    int_accounts_enriched.MODEL,
    int_balances_by_customer_month.MODEL,
    int_activity_by_customer_month.MODEL,
    int_customer_months.MODEL,
    int_customer_current.MODEL,
    int_recent_activity.MODEL,
    int_holdings.MODEL,
    int_signups.MODEL,
    # marts of the customers area
    customer_tier_history.MODEL,
    customer_value.MODEL,
    customer_segment.MODEL,
    customer_360.MODEL,
    customer_custom_segments.MODEL,
    lifecycle_flow.MODEL,
    branch_summary.MODEL,
    branch_tier_summary.MODEL,
    grid_summary.MODEL,
    portfolio_summary.MODEL,
    deposit_watch.MODEL,
    deposit_alerts.MODEL,
    customer_accounts.MODEL,
    customer_recent_transactions.MODEL,
    # marts of the marketing area: what customers took when, monthly features, and the scores of the
    # active models
    product_adoption.MODEL,
    propensity_features.MODEL,
    customer_propensity.MODEL,
    # marts of the aml area: large-value reports and typology alerts with their parties
    aml_large_value.MODEL,
    aml_alerts.MODEL,
    aml_alert_parties.MODEL,
    # marts of the credit area: each loan on the build date, its five-category classification, and the
    # portfolio by branch, product and category; days past due month by month; early warnings
    loan_status.MODEL,
    loan_overdue_history.MODEL,
    loan_classification.MODEL,
    credit_portfolio.MODEL,
    credit_warnings.MODEL,
    # marts of the collections area: bucket-to-bucket roll rates month over month, and the queue of loans past
    # due with their bucket, strategy step and priority (exposure × the probability to roll)
    collection_roll_rates.MODEL,
    collection_queue.MODEL,
    collection_schedules.MODEL,
    # marts of the workbench area: the month's visit plan by tier frequency (visits done are joined from the
    # operational contact log by the service)
    visit_plan.MODEL,
    customer_reminders.MODEL,
    # marts of the kpi area: each indicator's value per branch and manager for the build month (visit completion,
    # which needs the contact log, is added by the KPI use case)
    kpi_values.MODEL,
)

BY_NAME = {m.name: m for m in MODELS}
MARTS = tuple(m for m in MODELS if m.layer == "mart")
