"""Codes the marts use, with the Chinese labels bank staff read (the web app translates codes)."""

from __future__ import annotations

LIFECYCLE = {
    "potential": "潜在",
    "new": "新客户",
    "growing": "成长",
    "stable": "稳定",
    "declining": "衰退",
    "dormant": "沉睡",
    "lost": "流失",
}
LIFECYCLE_ORDER = tuple(LIFECYCLE)

SEGMENTS = {
    "steady": "稳妥型",
    "growth": "高增长型",
    "consumer": "消费型",
    "low_activity": "低活跃型",
    "active": "活跃型",
    "inactive": "无活动",
    "balanced": "均衡型",
}

#: AML rules (反洗钱监测规则): code → (Chinese, English). Every alert names its rule by code and both labels.
AML_RULES = {
    "fan_in_fan_out": ("分散转入集中转出", "many small transfers in, few large out"),
    "concentrated_in_fan_out": ("集中转入分散转出", "few large transfers in, many out"),
    "pass_through": ("快进快出", "pass-through: money leaves as fast as it came"),
    "cash_structuring": ("化整为零(现金拆分)", "cash structured just below the reporting threshold"),
    "dormant_reactivation": ("长期闲置账户突然启用", "long-dormant account suddenly active"),
    "cycle": ("关联账户循环转账", "money cycled between related accounts"),
    "insider_ebanking": ("员工为他网点客户开通电子银行后定期存款转出",
                         "e-banking opened by staff of another outlet, then time deposits moved out"),
}

#: Loan early-warning rules (贷款风险预警): code → (Chinese, English). docs/credit.md gives each rule.
CREDIT_WARNINGS = {
    "first_missed": ("首次逾期", "first missed instalment"),
    "deposits_draining": ("借款人存款异动流出", "the borrower's deposits draining"),
    "aum_falling": ("借款人金融资产大幅下降", "the borrower's financial assets falling sharply"),
    "maturity_shortfall": ("临近到期而资金不足", "maturity near while the borrower's funds fall short"),
    "grid_overdue": ("同一网格多户逾期", "several borrowers overdue in one grid"),
}

#: Large-value report kinds (大额交易报告种类): code → (Chinese, English).
LARGE_VALUE_KINDS = {
    "cash": ("大额现金交易", "cash"),
    "transfer": ("大额转账", "transfer"),
    "cross_border_transfer": ("大额跨境转账", "cross-border transfer"),
}
