"""The finecrm data contract: every table a bank's exports are mapped into.

This module is the source of truth; ``docs/data-contract.md`` is generated from it
(``finecrm contract docs``) and a test fails when the two drift.

Conventions: money is decimal yuan with two places; dates are ISO dates; ``month`` columns hold the
first day of the month; every table has a key; codes are lower-case English with Chinese labels.
"""

from __future__ import annotations

from finecrm.contract.types import ColType, Column, RowCheck, Table

S, INT, M, R, D, MO, TS, B = (
    ColType.STRING,
    ColType.INT,
    ColType.MONEY,
    ColType.RATE,
    ColType.DATE,
    ColType.MONTH,
    ColType.TIMESTAMP,
    ColType.BOOL,
)

EARLIEST = "1900-01-01"

BRANCH_LEVELS = (
    ("head_office", "总行"),
    ("branch", "分行"),
    ("sub_branch", "支行"),
    ("outlet", "网点"),
)
STAFF_ROLES = (
    ("customer_manager", "客户经理"),
    ("lobby_manager", "大堂经理"),
    ("branch_head", "支行行长"),
    ("operations_manager", "营业经理"),
    ("teller", "柜员"),
    ("risk_officer", "风险经理"),
    ("collector", "催收员"),
    ("compliance_officer", "反洗钱专员"),
    ("analyst", "分析师"),
    ("other", "其他"),
)
GRID_KINDS = (
    ("village", "行政村"),
    ("community", "社区"),
    ("market", "专业市场"),
    ("industrial_park", "工业园区"),
)
CUSTOMER_KINDS = (("individual", "个人"), ("corporate", "对公"))
ID_TYPES = (
    ("resident_id", "居民身份证"),
    ("passport", "护照"),
    ("hk_macau_permit", "港澳居民来往内地通行证"),
    ("taiwan_permit", "台湾居民来往大陆通行证"),
    ("foreign_permanent", "外国人永久居留身份证"),
    ("uscc", "统一社会信用代码"),
    ("business_license", "营业执照"),
    ("other", "其他"),
)
GENDERS = (("M", "男"), ("F", "女"))
RISK_LEVELS_KYC = (("low", "低"), ("medium", "中"), ("high", "高"))
PRODUCT_CATEGORIES = (
    ("deposit", "活期存款"),
    ("time_deposit", "定期存款"),
    ("wealth", "理财"),
    ("fund", "基金"),
    ("insurance", "保险"),
    ("loan", "贷款"),
    ("credit_card", "信用卡"),
    ("debit_card", "借记卡"),
    ("e_banking", "电子银行"),
    ("payroll", "代发工资"),
    ("other", "其他"),
)
ACCOUNT_STATUSES = (
    ("active", "正常"),
    ("dormant", "久悬"),
    ("frozen", "冻结"),
    ("closed", "销户"),
)
DIRECTIONS = (("in", "转入/存入"), ("out", "转出/支取"))
CHANNELS = (
    ("counter", "柜面"),
    ("atm", "ATM/自助"),
    ("pos", "POS"),
    ("online", "网上银行"),
    ("mobile", "手机银行"),
    ("wechat", "微信银行"),
    ("phone", "电话银行"),
    ("batch", "批量代发/代扣"),
    ("other", "其他"),
)
TXN_KINDS = (
    ("cash", "现金"),
    ("transfer", "转账"),
    ("consumption", "消费"),
    ("salary", "工资"),
    ("pension", "养老金"),
    ("interest", "利息"),
    ("fee", "手续费"),
    ("loan_disbursement", "贷款发放"),
    ("loan_repayment", "贷款还款"),
    ("investment", "理财/基金/保险申赎"),
    ("utility", "代缴费"),
    ("other", "其他"),
)
SERVICES = (
    ("online", "网上银行"),
    ("mobile", "手机银行"),
    ("phone", "电话银行"),
    ("sms", "短信通知"),
    ("wechat", "微信银行"),
    ("payroll", "代发工资"),
    ("utility", "代缴费"),
)
REPAYMENT_METHODS = (
    ("equal_installment", "等额本息"),
    ("equal_principal", "等额本金"),
    ("interest_first", "先息后本"),
    ("bullet", "到期一次还本付息"),
    ("other", "其他"),
)
COLLATERAL = (
    ("credit", "信用"),
    ("guarantee", "保证"),
    ("mortgage", "抵押"),
    ("pledge", "质押"),
)
PARTY_ROLES = (("owner", "户主"), ("joint", "共有人"), ("authorised", "授权代理人"))
ARMS = (("treatment", "营销组"), ("control", "对照组"))


def _id(name: str, doc: str, ref: str | None = None, required: bool = True) -> Column:
    return Column(name, S, doc, required=required, ref=ref)


BRANCHES = Table(
    "branches",
    "Organisation tree: head office, branches, sub-branches and outlets. 机构树。",
    key=("branch_id",),
    columns=(
        _id("branch_id", "Branch code. 机构号"),
        Column("name", S, "Name. 机构名称", required=True),
        _id("parent_id", "Parent branch (empty for the head office). 上级机构", "branches.branch_id", False),
        Column("level", S, "Level in the tree. 机构层级", required=True, enum=BRANCH_LEVELS),
        Column("region", S, "County / town the branch serves. 所在区域"),
    ),
)

STAFF = Table(
    "staff",
    "Bank staff: customer managers, lobby managers, tellers, officers. 员工。",
    required=False,
    key=("staff_id",),
    columns=(
        _id("staff_id", "Staff number. 工号"),
        Column("name", S, "Name. 姓名", required=True),
        _id("branch_id", "Branch the person works at. 所属机构", "branches.branch_id"),
        Column("role", S, "Job role. 岗位", required=True, enum=STAFF_ROLES),
        Column("active", B, "Still employed. 在岗", required=True),
        Column("hire_date", D, "Date of hire. 入职日期", min=EARLIEST, max="today"),
    ),
)

GRIDS = Table(
    "grids",
    "Grid cells for grid-based service (网格化金融服务): villages, communities, markets, parks.",
    required=False,
    key=("grid_id",),
    columns=(
        _id("grid_id", "Grid code. 网格编号"),
        Column("name", S, "Name. 网格名称", required=True),
        Column("kind", S, "Kind of grid. 网格类型", required=True, enum=GRID_KINDS),
        _id("branch_id", "Branch responsible. 责任机构", "branches.branch_id"),
        Column("households", INT, "Households in the grid (for penetration). 户数", min=0),
        _id("manager_id", "Grid manager. 网格经理", "staff.staff_id", False),
    ),
)

CUSTOMERS = Table(
    "customers",
    "Customers, individual and corporate. Personal data: name, id_number and phone are masked in the product.",
    key=("customer_id",),
    columns=(
        _id("customer_id", "Customer number. 客户号"),
        Column("kind", S, "Individual or corporate. 客户类型", required=True, enum=CUSTOMER_KINDS),
        Column("name", S, "Name (PII). 姓名/名称", required=True),
        Column("id_type", S, "Identity document type. 证件类型", enum=ID_TYPES),
        Column("id_number", S, "Identity document number (PII). 证件号码"),
        Column("phone", S, "Mobile phone (PII). 手机号"),
        Column("gender", S, "Gender (individuals). 性别", enum=GENDERS),
        Column("birth_date", D, "Date of birth (PII), individuals. 出生日期", min=EARLIEST, max="today"),
        Column("occupation", S, "Occupation (individuals). 职业"),
        Column("industry", S, "Industry (corporates; employer's for individuals). 行业"),
        Column("region", S, "County / town / village of residence. 居住区域"),
        Column("open_date", D, "Date the customer was opened. 开户日期", required=True, min=EARLIEST, max="today"),
        _id("branch_id", "Home branch. 归属机构", "branches.branch_id"),
        _id("grid_id", "Grid cell. 所属网格", "grids.grid_id", False),
        _id("manager_id", "Customer manager. 管户客户经理", "staff.staff_id", False),
        Column("kyc_risk_level", S, "Money-laundering risk level. 洗钱风险等级", enum=RISK_LEVELS_KYC),
        Column("risk_tolerance", INT, "Assessed risk tolerance C1–C5 (适当性评估), 1 = conservative.", min=1, max=5),
    ),
)

PRODUCTS = Table(
    "products",
    "Product catalogue. 产品目录。",
    key=("product_code",),
    columns=(
        _id("product_code", "Product code. 产品代码"),
        Column("name", S, "Name. 产品名称", required=True),
        Column("category", S, "Category (decides AUM, loans, channels). 产品大类", required=True, enum=PRODUCT_CATEGORIES),
        Column("risk_level", INT, "Product risk level R1–R5 (wealth, funds). 风险等级", min=1, max=5),
    ),
)

ACCOUNTS = Table(
    "accounts",
    "Accounts and product holdings: one row per account, card, wealth or insurance position.",
    key=("account_id",),
    columns=(
        _id("account_id", "Account number. 账号"),
        _id("customer_id", "Owner. 客户号", "customers.customer_id"),
        _id("product_code", "Product. 产品代码", "products.product_code"),
        Column("open_date", D, "Opened on. 开户日期", required=True, min=EARLIEST, max="today"),
        Column("close_date", D, "Closed on. 销户日期", min=EARLIEST, max="today"),
        Column("status", S, "Status. 账户状态", required=True, enum=ACCOUNT_STATUSES),
        _id("branch_id", "Opening branch. 开户机构", "branches.branch_id"),
        Column("currency", S, "ISO 4217 currency code. 币种", required=True),
        _id("operator_id", "Staff who opened it. 开户柜员", "staff.staff_id", False),
        Column("maturity_date", D, "Maturity of a time deposit, a wealth product or a fund with a term (the current "
               "term's end for one renewed automatically); empty for everything else. 到期日", min=EARLIEST),
    ),
    checks=(
        RowCheck("maturity_before_open", "maturity_date", "maturity_date > open_date",
                 "maturity_date is not after open_date"),
        RowCheck("close_before_open", "close_date", "close_date >= open_date", "close_date is before open_date"),
        RowCheck("closed_without_date", "close_date", "status <> 'closed' OR close_date IS NOT NULL",
                 "status is closed but close_date is empty"),
        RowCheck("bad_currency", "currency", "regexp_full_match(currency, '[A-Z]{3}')",
                 "currency is not a three-letter ISO 4217 code such as CNY"),
    ),
)

ACCOUNT_MONTH = Table(
    "account_month",
    "Month-end balance and monthly daily-average balance (月日均) per account. Loans: outstanding principal.",
    key=("account_id", "month"),
    period="month",
    columns=(
        _id("account_id", "Account. 账号", "accounts.account_id"),
        Column("month", MO, "Month (first day). 月份", required=True, min=EARLIEST, max="today"),
        Column("end_balance", M, "Month-end balance, yuan (negative = overdrawn). 月末余额", required=True),
        Column("avg_daily_balance", M, "Daily average over the month, yuan. 月日均余额", required=True),
    ),
    checks=(RowCheck("month_not_first_day", "month", "day(month) = 1", "month must be the first day of a month"),),
)

ACCOUNT_DAY = Table(
    "account_day",
    "Daily end-of-day balance, recent days only (e.g. the last 90), for deposit monitoring.",
    required=False,
    key=("account_id", "date"),
    period="date",
    columns=(
        _id("account_id", "Account. 账号", "accounts.account_id"),
        Column("date", D, "Date. 日期", required=True, min=EARLIEST, max="today"),
        Column("balance", M, "End-of-day balance, yuan (negative = overdrawn). 日终余额", required=True),
    ),
)

TRANSACTIONS = Table(
    "transactions",
    "Transactions (流水). amount is positive; direction says in or out.",
    required=False,
    key=("txn_id",),
    period="ts",
    columns=(
        _id("txn_id", "Transaction serial. 流水号"),
        _id("account_id", "Account. 账号", "accounts.account_id"),
        Column("ts", TS, "Time. 交易时间", required=True, min=EARLIEST, max="today"),
        Column("amount", M, "Amount, yuan, > 0. 金额", required=True, min=0.01),
        Column("direction", S, "In or out. 借贷方向", required=True, enum=DIRECTIONS),
        Column("channel", S, "Channel. 渠道", required=True, enum=CHANNELS),
        Column("kind", S, "Kind. 交易类型", required=True, enum=TXN_KINDS),
        Column("counterparty_account", S, "Counterparty account. 对方账号"),
        Column("counterparty_name", S, "Counterparty name (PII). 对方户名"),
        Column("counterparty_bank", S, "Counterparty bank. 对方行"),
        Column("cross_border", B, "Cross-border. 跨境"),
        _id("operator_id", "Teller or staff who keyed it (counter). 操作柜员", "staff.staff_id", False),
    ),
)

SIGNUPS = Table(
    "signups",
    "Service signups: e-banking, SMS, payroll, utility payment. 电子渠道及服务签约。",
    required=False,
    key=("customer_id", "service", "signed_on"),
    columns=(
        _id("customer_id", "Customer. 客户号", "customers.customer_id"),
        Column("service", S, "Service. 签约服务", required=True, enum=SERVICES),
        Column("signed_on", D, "Signed on. 签约日期", required=True, min=EARLIEST, max="today"),
        Column("cancelled_on", D, "Cancelled on. 解约日期", min=EARLIEST, max="today"),
        _id("branch_id", "Branch where signed. 签约机构", "branches.branch_id", False),
        _id("operator_id", "Staff who registered it. 经办人", "staff.staff_id", False),
    ),
    checks=(
        RowCheck("cancel_before_sign", "cancelled_on", "cancelled_on >= signed_on",
                 "cancelled_on is before signed_on"),
    ),
)

LOANS = Table(
    "loans",
    "Loans (贷款借据).",
    required=False,
    key=("loan_id",),
    columns=(
        _id("loan_id", "Loan (IOU) number. 借据号"),
        _id("customer_id", "Borrower. 借款人", "customers.customer_id"),
        _id("account_id", "Loan account. 贷款账号", "accounts.account_id", False),
        _id("product_code", "Product. 产品代码", "products.product_code"),
        Column("principal", M, "Principal, yuan. 发放金额", required=True, min=0.01),
        Column("rate", R, "Annual interest rate as a fraction (0.0435). 年利率", min=0, max=1),
        Column("start_date", D, "Disbursed on. 发放日", required=True, min=EARLIEST, max="today"),
        Column("maturity_date", D, "Matures on. 到期日", required=True, min=EARLIEST),
        Column("repayment_method", S, "Repayment method. 还款方式", enum=REPAYMENT_METHODS),
        Column("collateral", S, "Guarantee type. 担保方式", enum=COLLATERAL),
        Column("purpose", S, "Purpose. 用途"),
    ),
    checks=(
        RowCheck("maturity_before_start", "maturity_date", "maturity_date >= start_date",
                 "maturity_date is before start_date"),
    ),
)

LOAN_SCHEDULE = Table(
    "loan_schedule",
    "Repayment schedule with what was paid and when (还款计划). Days past due are derived from it.",
    key=("loan_id", "due_date"),
    required=False,
    columns=(
        _id("loan_id", "Loan. 借据号", "loans.loan_id"),
        Column("due_date", D, "Due on. 应还日", required=True, min=EARLIEST),
        Column("due_principal", M, "Principal due, yuan. 应还本金", required=True, min=0),
        Column("due_interest", M, "Interest due, yuan. 应还利息", required=True, min=0),
        Column("paid_date", D, "Paid in full on (empty while unpaid). 结清日期", min=EARLIEST, max="today"),
        Column("paid_amount", M, "Paid so far, yuan. 已还金额", min=0),
    ),
)

ACCOUNT_PARTIES = Table(
    "account_parties",
    "Other people on an account: joint holders and authorised users (optional). 账户关系人。",
    key=("account_id", "customer_id"),
    required=False,
    columns=(
        _id("account_id", "Account. 账号", "accounts.account_id"),
        _id("customer_id", "Customer. 客户号", "customers.customer_id"),
        Column("role", S, "Role on the account. 关系", required=True, enum=PARTY_ROLES),
    ),
)

CAMPAIGN_RESPONSES = Table(
    "campaign_responses",
    "A past campaign's customers, arm and response (optional), for honest evaluation. 历史营销活动。",
    key=("campaign_id", "customer_id"),
    required=False,
    columns=(
        _id("campaign_id", "Campaign. 活动编号"),
        _id("customer_id", "Customer. 客户号", "customers.customer_id"),
        _id("product_code", "Product offered. 营销产品", "products.product_code", False),
        Column("arm", S, "Treatment or control. 分组", required=True, enum=ARMS),
        Column("contacted_on", D, "Contacted on (treatment). 触达日期", min=EARLIEST, max="today"),
        Column("responded", B, "Responded (acquired the product). 是否响应", required=True),
        Column("responded_on", D, "Responded on. 响应日期", min=EARLIEST, max="today"),
    ),
)

#: Every contract table, parents before children (the ingest validates in this order).
TABLES: tuple[Table, ...] = (
    BRANCHES,
    STAFF,
    GRIDS,
    CUSTOMERS,
    PRODUCTS,
    ACCOUNTS,
    ACCOUNT_PARTIES,
    ACCOUNT_MONTH,
    ACCOUNT_DAY,
    TRANSACTIONS,
    SIGNUPS,
    LOANS,
    LOAN_SCHEDULE,
    CAMPAIGN_RESPONSES,
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The contract table called ``name``; a clear error for anything else."""
    try:
        return BY_NAME[name]
    except KeyError:
        from finecrm.core.errors import ContractError

        raise ContractError(
            f"'{name}' is not a contract table; the tables are: {', '.join(BY_NAME)}"
        ) from None
