"""The columns user-written rules (custom segments, audiences) may use: customer_360, minus personal data.

Names, ID numbers, phone numbers and birth dates are left out on purpose: a rule such as ``phone LIKE
'138%'`` or ``customer_id = '…' AND birth_date = DATE '…'`` would let someone who may not see personal data
probe it through segment counts (the age is a rule column; the birth date is not). A test keeps this list
equal to the built customer_360 schema (less those columns).
"""

from __future__ import annotations

from finecrm.authz import PII_FIELDS

#: customer_360's personal-data columns: the customers table's, as authz classes them.
PII_COLUMNS = tuple(sorted(PII_FIELDS["customers"]))

CUSTOMER_360_RULE_COLUMNS: dict[str, str] = {
    "customer_id": "string", "kind": "string", "id_type": "string", "gender": "string",
    "occupation": "string", "industry": "string", "region": "string", "open_date": "date",
    "branch_id": "string", "grid_id": "string", "manager_id": "string", "kyc_risk_level": "string",
    "risk_tolerance": "int", "age": "int", "tenure_months": "int", "deposit_avg": "float",
    "time_deposit_avg": "float", "wealth_avg": "float", "fund_avg": "float", "insurance_avg": "float",
    "loan_avg": "float", "aum_avg": "float", "aum_end": "float", "deposits_end": "float",
    "loans_end": "float", "contribution_deposits": "float", "contribution_loans": "float",
    "contribution_intermediary": "float", "tier_rank": "int", "raw_tier": "string", "tier": "string",
    "tier_watch": "bool", "months_below": "int", "inactive_months": "int", "lifecycle": "string",
    "aum_avg_3m_ago": "float", "aum_avg_6m_ago": "float", "aum_avg_12m_ago": "float", "aum_avg_12m": "float",
    "contribution_fees": "float", "contribution": "float", "txn_ci_30d": "int", "txn_ci_90d": "int",
    "txn_off_counter_90d": "int", "last_ci_date": "date", "out_90d": "float", "consumption_90d": "float",
    "fees_12m": "float", "txn_counter_90d": "int", "txn_atm_90d": "int", "txn_pos_90d": "int",
    "txn_online_90d": "int", "txn_mobile_90d": "int", "txn_wechat_90d": "int", "txn_phone_90d": "int",
    "accounts_open": "int", "products_held": "int", "has_deposit": "bool", "has_time_deposit": "bool",
    "has_wealth": "bool", "has_fund": "bool", "has_insurance": "bool", "has_loan": "bool",
    "has_credit_card": "bool", "has_debit_card": "bool", "has_e_banking": "bool", "has_payroll": "bool",
    "has_other": "bool", "signed_online": "bool", "signed_mobile": "bool", "signed_phone": "bool",
    "signed_sms": "bool", "signed_wechat": "bool", "signed_payroll": "bool", "signed_utility": "bool",
    "contribution_rank": "int", "customer_share": "float", "value_tier": "string", "segment": "string",
    "segment_label": "string", "segment_reason": "string", "tier_potential": "bool", "deposits_avg": "float",
    "aum_change_3m": "float", "aum_change_12m": "float", "off_counter_rate_90d": "float",
    "tier_reason": "string", "lifecycle_label": "string", "lifecycle_reason": "string",
}


def customer_360_columns() -> dict[str, str]:
    return dict(CUSTOMER_360_RULE_COLUMNS)


def propensity_columns(target_codes: list[str]) -> dict[str, str]:
    """Columns of the customer_propensity mart that audience rules may use, for the configured targets.

    Per target ``t``: ``p_t`` (probability of acquiring it within the horizon; null when the customer already
    holds it or no model is active), ``decile_t`` (1 = the highest tenth), ``eligible_t`` (suitable and allowed:
    age, KYC, risk level against risk tolerance). Then the next best product: ``nbp_target`` (a target code),
    ``nbp_offer`` (the product code offered), ``nbp_score`` and ``nbp_value`` (score × value in yuan a year).
    """
    cols: dict[str, str] = {}
    for t in target_codes:
        cols[f"p_{t}"] = "float"
        cols[f"decile_{t}"] = "int"
        cols[f"eligible_{t}"] = "bool"
    cols.update({"nbp_target": "string", "nbp_offer": "string", "nbp_score": "float", "nbp_value": "float"})
    return cols
