"""Why a customer has their tier and lifecycle stage, as sentences a manager can say to the customer — one in
Chinese, one in English, never the two run together (issue 13, conventions 2 and 7).

The marts keep the evidence (the measure, the tier, months below the threshold, the change of AUM); the
sentence is made here from it and the bank's thresholds (finecrm.yaml ``tiers`` and ``lifecycle``). Amounts
are quoted only for a role that may see money (``money``): a lobby manager reads that the customer reaches
the tier, not how much they hold.
"""

from __future__ import annotations

from typing import Any

from finecrm.core import formats
from finecrm.core.settings import Settings
from finecrm.services.customers.outputs import Reasons, Sentence


def _amount(value: Any, settings: Settings, lang: str) -> str:
    return formats.money(float(value or 0), lang, settings.bank.currency)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _threshold(kind: str, tier: str, settings: Settings) -> float | None:
    bands = settings.tiers.corporate if kind == "corporate" else settings.tiers.retail
    return next((b.min for b in bands if b.name == tier), None)


def tier_sentence(row: dict[str, Any], settings: Settings, *, money: bool) -> Sentence:
    """Why the tier: the measure against the tier's minimum; on watch, the months below and when the
    downgrade comes (hysteresis, finecrm.engine.tiers)."""
    kind, tier = row.get("kind"), str(row.get("tier") or "")
    corporate = kind == "corporate"
    measure = {"zh": "存款日均" if corporate else "月日均资产",
               "en": "average deposits" if corporate else "average AUM"}
    value = row.get("deposits_avg" if corporate else "aum_avg")
    floor = _threshold(str(kind), tier, settings)
    hold = settings.tiers.downgrade_after_months
    below = int(row.get("months_below") or 0)
    if row.get("tier_watch"):
        if money and floor is not None:
            zh = (f"{measure['zh']} {_amount(value, settings, 'zh')}，低于{tier}门槛 {_amount(floor, settings, 'zh')}，"
                  f"已连续 {below} 个月；连续 {hold} 个月将调整层级。")
            en = (f"{_cap(measure['en'])} {_amount(value, settings, 'en')} is below the {tier} threshold of "
                  f"{_amount(floor, settings, 'en')} for {below} month(s); after {hold} the tier is lowered.")
        else:
            zh = f"{measure['zh']}已连续 {below} 个月低于{tier}门槛；连续 {hold} 个月将调整层级。"
            en = (f"{_cap(measure['en'])} has been below the {tier} threshold for {below} month(s); "
                  f"after {hold} the tier is lowered.")
        return {"zh": zh, "en": en}
    if not floor:  # the entry tier has no threshold to reach
        if not money:
            return {"zh": f"属于{tier}层级（起点层级）。", "en": f"In the {tier} tier (the entry tier)."}
        return {"zh": f"{measure['zh']} {_amount(value, settings, 'zh')}，属于{tier}层级（起点层级）。",
                "en": f"{_cap(measure['en'])} {_amount(value, settings, 'en')}: the {tier} tier (the entry tier)."}
    if money:
        zh = f"{measure['zh']} {_amount(value, settings, 'zh')}，达到{tier}门槛（{_amount(floor, settings, 'zh')}）。"
        en = (f"{_cap(measure['en'])} {_amount(value, settings, 'en')} reaches the {tier} threshold "
              f"({_amount(floor, settings, 'en')}).")
    else:
        zh = f"{measure['zh']}达到{tier}门槛。"
        en = f"{_cap(measure['en'])} reaches the {tier} threshold."
    return {"zh": zh, "en": en}


def lifecycle_sentence(row: dict[str, Any], settings: Settings, *, money: bool) -> Sentence:
    """Why the lifecycle stage, from the rule that decided it (finecrm.yaml ``lifecycle``)."""
    lc = settings.lifecycle
    stage = row.get("lifecycle")
    change = row.get("aum_change_3m")
    shown = formats.pct(abs(change), 0) if money and change is not None else None
    if stage == "lost":
        return {"zh": "全部账户均已销户。", "en": "Every account has been closed."}
    if stage == "potential":
        return {"zh": "尚未开立账户。", "en": "No account opened yet."}
    if stage == "new":
        opened = formats.day(row.get("open_date"))
        return {"zh": f"{opened} 首次开户，开户不满 {lc.new_within_months} 个月。",
                "en": f"First account opened {opened}, less than {lc.new_within_months} months ago."}
    if stage == "dormant":
        months = int(row.get("inactive_months") or 0)
        return {"zh": f"已连续 {months} 个月没有主动交易（满 {lc.dormant_months} 个月视为沉睡）。",
                "en": f"No transaction of their own for {months} months (dormant after {lc.dormant_months})."}
    if stage in ("declining", "growing"):
        falls = stage == "declining"
        limit = formats.pct(lc.declining_drop if falls else lc.growing_rise, 0)
        zh_way, en_way = ("减少", "fell") if falls else ("增加", "grew")
        if shown:
            return {"zh": f"近 {lc.trend_months} 个月资产{zh_way} {shown}（{zh_way} {limit} 以上）。",
                    "en": f"Assets {en_way} by {shown} in {lc.trend_months} months (more than {limit})."}
        return {"zh": f"近 {lc.trend_months} 个月资产{zh_way}超过 {limit}。",
                "en": f"Assets {en_way} by more than {limit} in {lc.trend_months} months."}
    if shown:
        return {"zh": f"近 {lc.trend_months} 个月资产基本平稳（变化 {shown}）。",
                "en": f"Assets about steady over {lc.trend_months} months (a change of {shown})."}
    return {"zh": f"近 {lc.trend_months} 个月资产基本平稳。", "en": f"Assets about steady over {lc.trend_months} months."}


def reasons(row: dict[str, Any], settings: Settings, *, money: bool) -> Reasons:
    """The customer's tier and lifecycle reasons in both languages."""
    return {"tier": tier_sentence(row, settings, money=money),
            "lifecycle": lifecycle_sentence(row, settings, money=money)}
