"""Which columns a propensity model uses, how each is treated, and what it is called in both languages.

Every feature has a kind that decides its transform (see ``model.py``):

- ``money``: signed log, then clipped (balances, amounts: skewed over orders of magnitude);
- ``count``: log(1 + x), then clipped (transactions, accounts, months);
- ``numeric``: clipped only (age, levels, shares, changes); missing values get an indicator;
- ``flag``: 0/1 (holds a product, has signed up for a service);
- ``category``: one-hot (occupation, lifecycle stage); rare values pooled, unseen ones ignored.

``MART_FEATURES`` is the default set over the ``propensity_features`` mart. Columns not listed
there (e.g. ``holds_<target>``, which is always false in a training population) are not used;
``has_*`` and ``signed_*`` flags are used whatever categories and services the mart has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from finecrm.contract.tables import PRODUCT_CATEGORIES, SERVICES
from finecrm.engine.labels import LIFECYCLE

Kind = Literal["money", "count", "numeric", "flag", "category"]
KINDS: tuple[Kind, ...] = ("money", "count", "numeric", "flag", "category")

#: The default features over the propensity_features mart, by kind (flags are found by prefix).
MART_FEATURES: dict[str, Kind] = {
    **dict.fromkeys(("aum_avg", "deposit_avg", "time_deposit_avg", "wealth_avg", "fund_avg", "insurance_avg",
                     "loan_avg", "amount_in_3m", "amount_out_3m", "consumption_3m"), "money"),
    **dict.fromkeys(("txn_ci_3m", "txn_counter_3m", "txn_atm_3m", "txn_pos_3m", "txn_online_3m", "txn_mobile_3m",
                     "txn_wechat_3m", "txn_phone_3m", "accounts_open", "products_held", "inactive_months",
                     "tenure_months", "months_since_first_account"), "count"),
    **dict.fromkeys(("age", "risk_tolerance", "kyc_level", "tier_rank", "aum_change_3m", "off_counter_share_3m",
                     "male", "urban"), "numeric"),
    **dict.fromkeys(("occupation", "lifecycle"), "category"),
}
FLAG_PREFIXES = ("has_", "signed_")

LABELS: dict[str, tuple[str, str]] = {
    "aum_avg": ("金融资产月日均", "AUM (daily average)"),
    "deposit_avg": ("活期存款日均", "demand deposits"),
    "time_deposit_avg": ("定期存款日均", "time deposits"),
    "wealth_avg": ("理财日均", "wealth balance"),
    "fund_avg": ("基金日均", "fund balance"),
    "insurance_avg": ("保险日均", "insurance balance"),
    "loan_avg": ("贷款日均", "loan balance"),
    "amount_in_3m": ("近3个月转入金额", "money in, 3 months"),
    "amount_out_3m": ("近3个月转出金额", "money out, 3 months"),
    "consumption_3m": ("近3个月消费金额", "consumption, 3 months"),
    "txn_ci_3m": ("近3个月主动交易笔数", "customer-initiated transactions, 3 months"),
    "txn_counter_3m": ("近3个月柜面交易", "counter transactions, 3 months"),
    "txn_atm_3m": ("近3个月ATM交易", "ATM transactions, 3 months"),
    "txn_pos_3m": ("近3个月POS交易", "POS transactions, 3 months"),
    "txn_online_3m": ("近3个月网银交易", "online-banking transactions, 3 months"),
    "txn_mobile_3m": ("近3个月手机银行交易", "mobile-banking transactions, 3 months"),
    "txn_wechat_3m": ("近3个月微信银行交易", "WeChat-banking transactions, 3 months"),
    "txn_phone_3m": ("近3个月电话银行交易", "phone-banking transactions, 3 months"),
    "accounts_open": ("在用账户数", "open accounts"),
    "products_held": ("持有产品数", "products held"),
    "inactive_months": ("未主动交易月数", "months without activity"),
    "tenure_months": ("客户关系月数", "months with the bank"),
    "months_since_first_account": ("首次开户至今月数", "months since the first account"),
    "age": ("年龄", "age"),
    "risk_tolerance": ("风险承受能力", "risk tolerance"),
    "kyc_level": ("洗钱风险等级", "KYC risk level"),
    "tier_rank": ("客户层级", "tier"),
    "aum_change_3m": ("近3个月资产变化", "AUM change over 3 months"),
    "off_counter_share_3m": ("柜面替代率", "off-counter share"),
    "male": ("男性", "male"),
    "urban": ("城区居住", "urban resident"),
    "occupation": ("职业", "occupation"),
    "lifecycle": ("生命周期", "lifecycle stage"),
}
#: Two-valued numbers said as words in reasons: (high: zh, en), (low: zh, en).
BINARY_PHRASES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "male": (("男性", "male"), ("女性", "female")),
    "urban": (("城区居住", "urban resident"), ("农村居住", "rural resident")),
}
_CATEGORY_NAMES = dict(PRODUCT_CATEGORIES)
_SERVICE_NAMES = dict(SERVICES)
_SERVICE_EN = {"online": "online banking", "mobile": "mobile banking", "phone": "phone banking",
               "sms": "SMS alerts", "wechat": "WeChat banking", "payroll": "payroll service",
               "utility": "utility payments"}
_CATEGORY_EN = {"time_deposit": "time deposits", "wealth": "wealth products", "fund": "funds",
                "insurance": "insurance", "loan": "a loan", "credit_card": "a credit card",
                "debit_card": "a debit card", "deposit": "a demand deposit", "e_banking": "e-banking",
                "payroll": "payroll", "other": "other products"}


@dataclass(frozen=True)
class FeatureSpec:
    """Feature columns in order, each with its kind and labels."""

    kinds: dict[str, Kind]
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)

    def of(self, kind: Kind) -> list[str]:
        return [c for c, k in self.kinds.items() if k == kind]

    def label(self, column: str) -> tuple[str, str]:
        return self.labels.get(column) or label(column)

    def to_dict(self) -> dict[str, object]:
        return {"kinds": dict(self.kinds), "labels": {c: list(v) for c, v in self.labels.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FeatureSpec:
        kinds = dict(d["kinds"])  # type: ignore[call-overload]
        labels = {c: (v[0], v[1]) for c, v in dict(d.get("labels") or {}).items()}  # type: ignore[call-overload]
        return cls(kinds, labels)


def mart_spec(columns: Iterable[str]) -> FeatureSpec:
    """The default features among ``columns`` (the propensity_features mart's)."""
    cols = list(columns)
    kinds: dict[str, Kind] = {c: MART_FEATURES[c] for c in cols if c in MART_FEATURES}
    kinds |= {c: "flag" for c in cols if c.startswith(FLAG_PREFIXES)}
    return FeatureSpec(kinds, {c: label(c) for c in kinds})


def label(column: str) -> tuple[str, str]:
    """(Chinese, English) name of a feature column; unknown columns are called by their name."""
    if column in LABELS:
        return LABELS[column]
    if column.startswith("signed_"):
        svc = column.removeprefix("signed_")
        return (f"开通{_SERVICE_NAMES.get(svc, svc)}", f"has {_SERVICE_EN.get(svc, svc)}")
    if column.startswith("has_"):
        cat = column.removeprefix("has_")
        return (f"持有{_CATEGORY_NAMES.get(cat, cat)}", f"holds {_CATEGORY_EN.get(cat, cat)}")
    return (column, column)


def phrases(column: str, kind: Kind, labels: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    """How a reason says "this feature is high" and "… low" (flags: has / has not)."""
    if column in BINARY_PHRASES:
        return BINARY_PHRASES[column]
    zh, en = labels
    if kind == "flag":
        if column.startswith(FLAG_PREFIXES):
            no_zh = "未" + zh
            no_en = en.replace("has ", "no ", 1).replace("holds ", "no ", 1)
            return (zh, en), (no_zh, no_en if no_en != en else f"not {en}")
        return (f"{zh}=是", f"{en}: yes"), (f"{zh}=否", f"{en}: no")
    return (f"{zh}较高", f"higher {en}"), (f"{zh}较低", f"lower {en}")


def value_label(column: str, value: str) -> tuple[str, str]:
    """A category value as shown in a reason (lifecycle codes get their Chinese names)."""
    if column == "lifecycle":
        return (LIFECYCLE.get(value, value), value)
    return (value, value)
