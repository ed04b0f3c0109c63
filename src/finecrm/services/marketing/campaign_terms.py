"""A campaign's terms, shared by the modules that draw, read and end campaigns: the channels, the limits and the
error. Apart from ``campaigns`` so that ``plan`` (the list, step by step) can use them without an import circle."""

from __future__ import annotations

from typing import Any

from finecrm.core.errors import FinecrmError

#: Channels a campaign may use: code → (中文, English).
CHANNELS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "SMS"),
    "visit": ("上门走访", "visit"),
    "wechat": ("微信", "WeChat"),
    "lobby": ("厅堂", "lobby"),
}
#: A customer without a tier still needs a stratum: they are drawn together.
UNTIERED = "未分层"
#: The most members one campaign may have: a campaign list, not a copy of the customer base.
MAX_MEMBERS = 200_000
MAX_PERIOD_DAYS = 366
MAX_NAME = 100
MAX_COST = 100_000.0


class CampaignError(FinecrmError):
    """A campaign request that cannot be carried out as asked (the message says why, in both languages).

    ``plan``: when the list itself is the problem (empty, too big, too small for two arms), the
    ``plan.CampaignPlan`` counted so far, so a preview can show at which step the customers went."""

    plan: Any = None
