"""The columns user-written rules (custom segments, audiences) may use: customer_360, minus personal data.

Names, ID numbers, phone numbers and birth dates are left out on purpose: a rule such as ``phone LIKE
'138%'`` or ``customer_id = '…' AND birth_date = DATE '…'`` would let someone who may not see personal data
probe it through segment counts (the age is a rule column; the birth date is not). A test keeps this list
equal to the built customer_360 schema (less those columns).
"""

from __future__ import annotations

import ibis

from finecrm.authz import PII_FIELDS, Principal, scope_customers
from finecrm.services.snapshot.serving import Serving

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


#: Every rule column's name for bank staff (中文, English): shown on the rule help page and used to match a
#: mistyped or Chinese word to a column ("年龄" → age). Kept beside the list above; a test holds them equal.
RULE_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "customer_id": ("客户号", "customer number"), "kind": ("客户类型（个人或对公）", "kind (individual or corporate)"),
    "id_type": ("证件类型", "ID type"), "gender": ("性别", "gender"), "occupation": ("职业", "occupation"),
    "industry": ("行业", "industry"), "region": ("地区", "region"), "open_date": ("开户日期", "first account opened"),
    "branch_id": ("所属网点编号", "branch code"), "grid_id": ("所属网格编号", "grid code"),
    "manager_id": ("管户客户经理编号", "manager's staff code"), "kyc_risk_level": ("反洗钱风险等级", "AML risk level"),
    "risk_tolerance": ("风险承受能力（1–5）", "risk tolerance (1–5)"), "age": ("年龄", "age"),
    "tenure_months": ("开户月数", "months since the first account"),
    "deposit_avg": ("活期存款月日均（元）", "demand deposits, month's daily average (yuan)"),
    "time_deposit_avg": ("定期存款月日均（元）", "time deposits, month's daily average (yuan)"),
    "wealth_avg": ("理财月日均（元）", "wealth products, month's daily average (yuan)"),
    "fund_avg": ("基金月日均（元）", "funds, month's daily average (yuan)"),
    "insurance_avg": ("保险月日均（元）", "insurance, month's daily average (yuan)"),
    "loan_avg": ("贷款月日均（元）", "loans, month's daily average (yuan)"),
    "aum_avg": ("金融资产月日均（元）", "AUM, month's daily average (yuan)"),
    "aum_end": ("月末金融资产（元）", "AUM at month end (yuan)"), "deposits_end": ("月末存款（元）", "deposits at month end (yuan)"),
    "loans_end": ("月末贷款（元）", "loans at month end (yuan)"),
    "contribution_deposits": ("存款贡献（元/年）", "contribution of deposits (yuan a year)"),
    "contribution_loans": ("贷款贡献（元/年）", "contribution of loans (yuan a year)"),
    "contribution_intermediary": ("中间业务贡献（元/年）", "contribution of intermediary business (yuan a year)"),
    "tier_rank": ("层级序号（1 最高）", "tier rank (1 is the highest)"), "raw_tier": ("本月原始层级", "this month's raw tier"),
    "tier": ("客户层级（私行、财富、贵宾、大众、潜力）", "tier"), "tier_watch": ("层级观察中（将降级）", "tier on watch"),
    "months_below": ("低于本层门槛的月数", "months below the tier"), "inactive_months": ("无主动交易的月数", "months without activity"),
    "lifecycle": ("生命周期代码", "lifecycle code"), "aum_avg_3m_ago": ("3 个月前的 金融资产日均（元）", "AUM 3 months ago (yuan)"),
    "aum_avg_6m_ago": ("6 个月前的 金融资产日均（元）", "AUM 6 months ago (yuan)"),
    "aum_avg_12m_ago": ("12 个月前的 金融资产日均（元）", "AUM 12 months ago (yuan)"),
    "aum_avg_12m": ("近 12 个月 金融资产日均（元）", "AUM, 12 months' daily average (yuan)"),
    "contribution_fees": ("手续费贡献（元/年）", "contribution of fees (yuan a year)"),
    "contribution": ("综合贡献度（元/年）", "contribution (yuan a year)"),
    "txn_ci_30d": ("近 30 天主动交易笔数", "customer-initiated transactions, 30 days"),
    "txn_ci_90d": ("近 90 天主动交易笔数", "customer-initiated transactions, 90 days"),
    "txn_off_counter_90d": ("近 90 天非柜面交易笔数", "off-counter transactions, 90 days"),
    "last_ci_date": ("最近一次主动交易日期", "last customer-initiated transaction"),
    "out_90d": ("近 90 天转出金额（元）", "money out, 90 days (yuan)"),
    "consumption_90d": ("近 90 天消费金额（元）", "consumption, 90 days (yuan)"), "fees_12m": ("近 12 个月手续费（元）", "fees, 12 months (yuan)"),
    "txn_counter_90d": ("近 90 天柜面交易笔数", "counter transactions, 90 days"),
    "txn_atm_90d": ("近 90 天 ATM 交易笔数", "ATM transactions, 90 days"),
    "txn_pos_90d": ("近 90 天 POS 交易笔数", "POS transactions, 90 days"),
    "txn_online_90d": ("近 90 天网银交易笔数", "online banking transactions, 90 days"),
    "txn_mobile_90d": ("近 90 天手机银行交易笔数", "mobile banking transactions, 90 days"),
    "txn_wechat_90d": ("近 90 天微信银行交易笔数", "WeChat banking transactions, 90 days"),
    "txn_phone_90d": ("近 90 天电话银行交易笔数", "phone banking transactions, 90 days"),
    "accounts_open": ("未销户账户数", "open accounts"), "products_held": ("持有产品种类数", "kinds of products held"),
    "has_deposit": ("持有活期存款", "holds demand deposits"), "has_time_deposit": ("持有定期存款", "holds time deposits"),
    "has_wealth": ("持有理财", "holds wealth products"), "has_fund": ("持有基金", "holds funds"),
    "has_insurance": ("持有保险", "holds insurance"), "has_loan": ("有贷款", "has a loan"),
    "has_credit_card": ("持有信用卡", "holds a credit card"), "has_debit_card": ("持有借记卡", "holds a debit card"),
    "has_e_banking": ("开通电子银行", "has e-banking"), "has_payroll": ("代发工资", "payroll"),
    "has_other": ("持有其他产品", "holds other products"), "signed_online": ("已签约网银", "signed up for online banking"),
    "signed_mobile": ("已签约手机银行", "signed up for mobile banking"), "signed_phone": ("已签约电话银行", "signed up for phone banking"),
    "signed_sms": ("已签约短信通知", "signed up for SMS alerts"), "signed_wechat": ("已签约微信银行", "signed up for WeChat banking"),
    "signed_payroll": ("已签约代发工资", "signed up for payroll"), "signed_utility": ("已签约代缴费", "signed up for utility payments"),
    "contribution_rank": ("贡献度排名", "contribution rank"), "customer_share": ("贡献度累计客户占比", "cumulative share of customers"),
    "value_tier": ("价值层级", "value tier"), "segment": ("行为分群代码", "behaviour segment code"),
    "segment_label": ("行为分群（稳妥型、高增长型、消费型）", "behaviour segment"), "segment_reason": ("分群原因", "why this segment"),
    "tier_potential": ("潜力客户", "potential customer"), "deposits_avg": ("存款月日均（元）", "deposits, month's daily average (yuan)"),
    "aum_change_3m": ("金融资产近 3 个月变化（元）", "AUM change over 3 months (yuan)"),
    "aum_change_12m": ("金融资产近 12 个月变化（元）", "AUM change over 12 months (yuan)"),
    "off_counter_rate_90d": ("近 90 天柜面替代率（0–1）", "off-counter rate, 90 days (0–1)"),
    "tier_reason": ("层级原因", "why this tier"), "lifecycle_label": ("生命周期（新客户、成长、稳定、衰退、沉睡……）", "lifecycle stage"),
    "lifecycle_reason": ("生命周期原因", "why this stage"),
}
#: The propensity mart's columns per target ``t`` (``{t}`` is the target's Chinese or English name).
PROPENSITY_LABELS: dict[str, tuple[str, str]] = {
    "p_": ("{t}倾向得分（0–1）", "propensity for {t} (0–1)"), "decile_": ("{t}倾向十分位（1 最高）", "{t} decile (1 the highest)"),
    "eligible_": ("可营销{t}", "may be offered {t}"),
    "nbp_target": ("下一最佳产品", "next best product"), "nbp_offer": ("下一最佳产品代码", "next best product code"),
    "nbp_score": ("下一最佳产品得分", "next best product's score"), "nbp_value": ("下一最佳产品价值（元/年）", "next best product's value (yuan a year)"),
}


def rule_column_labels(columns: dict[str, str], target_names: dict[str, tuple[str, str]] | None = None
                       ) -> dict[str, tuple[str, str]]:
    """``{column: (中文, English)}`` for the rule columns given (``target_names``: target code → names)."""
    out: dict[str, tuple[str, str]] = {}
    for col in columns:
        if col in RULE_COLUMN_LABELS:
            out[col] = RULE_COLUMN_LABELS[col]
        elif col in PROPENSITY_LABELS:
            out[col] = PROPENSITY_LABELS[col]
        else:
            prefix = next((p for p in ("p_", "decile_", "eligible_") if col.startswith(p)), None)
            if prefix is not None:
                code = col[len(prefix):]
                zh, en = (target_names or {}).get(code, (code, code))
                out[col] = (PROPENSITY_LABELS[prefix][0].format(t=zh), PROPENSITY_LABELS[prefix][1].format(t=en))
    return out


# --- one set of rule columns for segments and audiences --------------------------------------------------

#: The propensity mart: its scores are rule columns wherever customer_360's are (segments and audiences).
PROPENSITY_MART = "customer_propensity"
#: Columns of the propensity mart that customer_360 already has (kept from customer_360).
_SHARED = ("customer_id", "branch_id", "grid_id", "manager_id", "tier")


def _propensity_codes(serving: Serving) -> list[str]:
    if not serving.has_table(PROPENSITY_MART):
        return []
    return [c[2:] for c in serving.table(PROPENSITY_MART).columns if c.startswith("p_")]


def rule_columns(serving: Serving) -> dict[str, str]:
    """What a segment or audience rule may name: customer_360 without personal data, plus the propensity
    mart's scores, deciles and eligibility when the snapshot has it (one list, so both accept the same rules)."""
    cols = customer_360_columns()
    if serving.has_table(PROPENSITY_MART):
        present = set(serving.table(PROPENSITY_MART).columns)
        cols.update({k: v for k, v in propensity_columns(_propensity_codes(serving)).items() if k in present})
    return cols


def rule_labels(serving: Serving) -> dict[str, tuple[str, str]]:
    """``{column: (中文, English)}`` of :func:`rule_columns`, with the bank's own target names."""
    names = {t.code: (t.zh, t.en) for t in serving.ws.settings.marketing.targets}
    return rule_column_labels(rule_columns(serving), names)


def rule_table(serving: Serving, principal: Principal, *, in_scope: bool = True) -> ibis.Table:
    """The table rules are evaluated on: customer_360 in the principal's scope (``in_scope=False``: the whole
    bank, for counts only), with the propensity columns joined when the mart exists."""
    t = serving.table("customer_360")
    if in_scope:
        t = scope_customers(principal, t)
    if serving.has_table(PROPENSITY_MART):
        p = serving.table(PROPENSITY_MART)
        keep = [c for c in p.columns if c not in _SHARED]
        p = p.select("customer_id", *keep)
        t = t.left_join(p, "customer_id").select(t, *[p[c] for c in keep])
    return t
