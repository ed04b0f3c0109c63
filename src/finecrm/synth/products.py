"""The product catalogue of the synthetic bank (a county rural commercial bank's shelf)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    category: str
    risk_level: int | None = None
    #: Term in months for time deposits, the holding period of wealth products with one, the usual term for loans.
    term_months: int | None = None
    #: Annual rate in millionths (deposit or loan rate; used for interest and schedules).
    rate_micro: int = 0
    #: Account-number prefix (4 digits) of accounts of this product.
    prefix: str = "1010"


PRODUCTS: tuple[Product, ...] = (
    Product("DD01", "个人活期储蓄(丰收卡)", "deposit", rate_micro=1_500, prefix="1010"),
    Product("DD02", "单位活期存款(基本户)", "deposit", rate_micro=2_000, prefix="1011"),
    Product("TD03", "整存整取三个月", "time_deposit", term_months=3, rate_micro=11_000, prefix="1020"),
    Product("TD06", "整存整取六个月", "time_deposit", term_months=6, rate_micro=13_000, prefix="1020"),
    Product("TD12", "整存整取一年", "time_deposit", term_months=12, rate_micro=15_000, prefix="1020"),
    Product("TD24", "整存整取二年", "time_deposit", term_months=24, rate_micro=17_000, prefix="1020"),
    Product("TD36", "整存整取三年", "time_deposit", term_months=36, rate_micro=21_000, prefix="1020"),
    Product("TD60", "整存整取五年", "time_deposit", term_months=60, rate_micro=21_500, prefix="1020"),
    Product("CD36", "个人大额存单三年", "time_deposit", term_months=36, rate_micro=23_500, prefix="1021"),
    Product("TDC1", "单位定期存款一年", "time_deposit", term_months=12, rate_micro=14_000, prefix="1022"),
    Product("DC01", "丰收借记卡(副卡)", "debit_card", prefix="6230"),
    Product("DC02", "社会保障卡(金融功能)", "debit_card", prefix="6231"),
    Product("CC01", "丰收信用卡", "credit_card", prefix="6250"),
    Product("WM01", "丰收现金宝(现金管理类)", "wealth", risk_level=1, prefix="3010"),
    Product("WM02", "安盈六个月定开", "wealth", risk_level=2, term_months=6, prefix="3010"),
    Product("WM03", "稳进一年持有期", "wealth", risk_level=3, term_months=12, prefix="3010"),
    Product("WM04", "权益增强", "wealth", risk_level=4, prefix="3010"),
    Product("WM05", "丰收稳利九十天", "wealth", risk_level=2, term_months=3, prefix="3011"),
    Product("FD01", "偏债混合基金(代销)", "fund", risk_level=3, prefix="3020"),
    Product("FD02", "股票型基金(代销)", "fund", risk_level=4, prefix="3020"),
    Product("FD03", "沪深300指数基金(代销)", "fund", risk_level=4, prefix="3020"),
    Product("FD04", "QDII基金(代销)", "fund", risk_level=5, prefix="3020"),
    Product("IN01", "分红型两全保险(代理)", "insurance", risk_level=1, prefix="3030"),
    Product("IN02", "养老年金保险(代理)", "insurance", risk_level=1, prefix="3030"),
    Product("LN01", "个人消费贷款", "loan", term_months=36, rate_micro=52_000, prefix="2010"),
    Product("LN02", "个人经营贷款", "loan", term_months=12, rate_micro=48_000, prefix="2011"),
    Product("LN03", "个人住房按揭贷款", "loan", term_months=240, rate_micro=39_000, prefix="2012"),
    Product("LN04", "农户小额信用贷款(整村授信)", "loan", term_months=24, rate_micro=45_000, prefix="2013"),
    Product("LN05", "单位流动资金贷款", "loan", term_months=12, rate_micro=43_500, prefix="2014"),
    Product("EB01", "个人网上银行", "e_banking"),
    Product("EB02", "手机银行", "e_banking"),
    Product("EB03", "微信银行", "e_banking"),
    Product("EB04", "短信动账通知", "e_banking"),
    Product("PR01", "代发工资", "payroll"),
    Product("OT01", "代缴水电费", "other"),
)

BY_CODE: dict[str, Product] = {p.code: p for p in PRODUCTS}
CODES: list[str] = [p.code for p in PRODUCTS]
INDEX: dict[str, int] = {p.code: i for i, p in enumerate(PRODUCTS)}

#: Categories whose balances are customer assets (AUM = deposits + wealth + funds + insurance).
AUM_CATEGORIES = frozenset({"deposit", "time_deposit", "debit_card", "wealth", "fund", "insurance"})
#: Categories with daily balances in account_day.
DEPOSIT_CATEGORIES = frozenset({"deposit", "time_deposit", "debit_card"})
#: Categories with monthly balances in account_month (credit cards and services have none).
BALANCE_CATEGORIES = AUM_CATEGORIES | {"loan"}

TIME_DEPOSITS = ["TD03", "TD06", "TD12", "TD24", "TD36", "TD60", "CD36"]
TIME_DEPOSIT_P = [0.08, 0.12, 0.32, 0.12, 0.18, 0.08, 0.10]
WEALTH_BY_RISK = {1: "WM01", 2: "WM02", 3: "WM03", 4: "WM04"}
FUNDS = ["FD01", "FD02", "FD03", "FD04"]


def table() -> dict[str, pa.Array]:
    return {
        "product_code": pa.array(CODES, type=pa.string()),
        "name": pa.array([p.name for p in PRODUCTS], type=pa.string()),
        "category": pa.array([p.category for p in PRODUCTS], type=pa.string()),
        "risk_level": pa.array([p.risk_level for p in PRODUCTS], type=pa.int64()),
    }
