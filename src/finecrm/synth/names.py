"""Chinese names, places, companies, merchants and banks, built from character lists.

Everything is drawn from a numpy ``Generator`` so names follow the seed. No ASCII commas, quotes
or line breaks appear in any name, which keeps the CSV output free of quoting.
"""

from __future__ import annotations

import numpy as np

# The most common surnames, roughly in order of frequency (weights fall off with rank).
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_W = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.7
SURNAME_P = _SURNAME_W / _SURNAME_W.sum()

GIVEN_MALE = list("伟强磊军洋勇杰涛明超刚平辉鹏飞斌峰鑫凯亮健俊帅宇浩波国建志文华福贵生永荣德胜林海龙兵东旭成金忠")
GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀英兰桂华婷雪琳颖倩莉慧萍晶琴云凤洁红梅燕玉春丹佳欣怡月秋菊珍翠")

TOWN_FIRST = list("青石白黄龙凤马金新安平和兴东西南北太长清清永高大小上下沙柳桃杨梅松竹")
TOWN_SECOND = list("山河桥湖塘岭溪坪田口湾坝林源泉阳丰宁桥店铺集渡港")
URBAN_SUB_BRANCHES = ["城关", "城东", "城西", "城南", "城北", "开发区", "新城", "河西", "滨江", "高铁新区"]
STREETS = ["人民路", "解放路", "建设路", "中山路", "文化路", "新华街", "胜利街", "和平路", "东风路", "府前街"]
COMMUNITY_FIRST = list("新幸福和平阳光锦绣文华金桥翠园花园东方")
VILLAGE_SUFFIX = ["村", "村", "村", "组"]

BRANDS = [
    "宏达", "鑫源", "华丰", "恒通", "金穗", "绿源", "顺发", "永泰", "兴业", "佳和", "汇通", "瑞丰", "广源", "天成",
    "盛达", "德润", "富民", "隆鑫", "新星", "东方", "福源", "嘉禾", "利民", "众诚", "正大", "长青", "万家", "康泰",
]

#: Industry (GB/T 4754 门类) → trade words and the usual legal form.
INDUSTRIES: list[tuple[str, list[str], float]] = [
    ("批发和零售业", ["商贸", "百货", "农资", "建材销售", "五金"], 0.30),
    ("制造业", ["机械制造", "食品", "纺织", "塑料制品", "竹木制品", "电子"], 0.18),
    ("建筑业", ["建筑工程", "建设工程", "装饰工程"], 0.12),
    ("农、林、牧、渔业", ["种养殖专业合作社", "农业开发", "茶叶专业合作社", "生态农业"], 0.14),
    ("住宿和餐饮业", ["餐饮管理", "酒店管理", "农家乐"], 0.07),
    ("交通运输、仓储和邮政业", ["物流", "运输", "仓储"], 0.07),
    ("房地产业", ["房地产开发", "物业管理"], 0.04),
    ("信息传输、软件和信息技术服务业", ["网络科技", "信息技术"], 0.03),
    ("居民服务、修理和其他服务业", ["家政服务", "汽车维修"], 0.05),
]
INDUSTRY_NAMES = [name for name, _, _ in INDUSTRIES]
_IND_P = np.array([p for _, _, p in INDUSTRIES])
INDUSTRY_P = _IND_P / _IND_P.sum()

MERCHANTS_PREFIX = ["超市", "便利店", "大药房", "加油站", "餐馆", "农资店", "电器商场", "服装店", "菜市场", "母婴店", "烟酒店"]

OTHER_BANKS = [
    "中国农业银行", "中国工商银行", "中国建设银行", "中国银行", "中国邮政储蓄银行", "交通银行", "招商银行",
    "兴业银行", "浦发银行", "中信银行", "邻县农村商业银行", "市农村商业银行",
]
_BANK_W = np.array([20, 16, 14, 10, 14, 5, 5, 3, 3, 3, 4, 3], dtype=float)
OTHER_BANK_P = _BANK_W / _BANK_W.sum()
FOREIGN_BANKS = ["汇丰银行(香港)", "中国银行(香港)", "星展银行(新加坡)"]


def person_names(rng: np.random.Generator, male: np.ndarray) -> list[str]:
    """One Chinese name per entry; ``male`` picks the given-name list. ~70 % have two given characters."""
    n = male.size
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    two = rng.random(n) < 0.7
    gm = rng.integers(0, len(GIVEN_MALE), size=(n, 2))
    gf = rng.integers(0, len(GIVEN_FEMALE), size=(n, 2))
    out: list[str] = []
    for i in range(n):
        pool, g = (GIVEN_MALE, gm[i]) if male[i] else (GIVEN_FEMALE, gf[i])
        given = pool[g[0]] + (pool[g[1]] if two[i] else "")
        out.append(SURNAMES[sur[i]] + given)
    return out


def town_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct town names such as 青山镇 / 石桥乡."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = TOWN_FIRST[rng.integers(len(TOWN_FIRST))] + TOWN_SECOND[rng.integers(len(TOWN_SECOND))]
        if name in seen:
            continue
        seen.add(name)
        out.append(name + ("镇" if rng.random() < 0.75 else "乡"))
    return out


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    """Village names: 李家村, 龙泉村 … (may repeat across towns, as real ones do)."""
    out: list[str] = []
    for _ in range(n):
        if rng.random() < 0.5:
            name = SURNAMES[rng.choice(len(SURNAMES), p=SURNAME_P)] + "家"
        else:
            name = TOWN_FIRST[rng.integers(len(TOWN_FIRST))] + TOWN_SECOND[rng.integers(len(TOWN_SECOND))]
        out.append(name + VILLAGE_SUFFIX[rng.integers(len(VILLAGE_SUFFIX))])
    return out


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        a, b = rng.integers(0, len(COMMUNITY_FIRST), size=2)
        out.append(COMMUNITY_FIRST[a] + COMMUNITY_FIRST[b] + "社区")
    return out


def company_names(rng: np.random.Generator, county: str, industry_idx: np.ndarray) -> list[str]:
    """Names like 丰源县宏达商贸有限公司; farming co-operatives keep their own form."""
    out = []
    for ind in industry_idx:
        _, trades, _ = INDUSTRIES[int(ind)]
        trade = trades[rng.integers(len(trades))]
        brand = BRANDS[rng.integers(len(BRANDS))]
        form = "" if trade.endswith("合作社") else ("有限公司" if rng.random() < 0.7 else "有限责任公司")
        out.append(f"{county}{brand}{trade}{form}")
    return out


def merchant_names(rng: np.random.Generator, towns: list[str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        kind = MERCHANTS_PREFIX[rng.integers(len(MERCHANTS_PREFIX))]
        place = towns[rng.integers(len(towns))][:-1]
        if kind == "加油站":
            out.append(f"中国石化{place}加油站")
        else:
            out.append(f"{place}{BRANDS[rng.integers(len(BRANDS))]}{kind}")
    return out
