"""What customers' use cases take from a form or a JSON body, typed once (the API documents it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from finecrm.core.limits import RULE_MAX_LENGTH


class RevealRequest(BaseModel):
    """Show a customer's personal data in clear: why (written to the audit log before anything is shown)."""

    reason: str = Field(max_length=500, description="查看原因（至少 4 个字）/ why, at least 4 characters")


def _filter(zh: str, en: str) -> Any:
    return Field(None, description=f"{zh} / {en} (exact value; empty: any)")


class SegmentSelection(BaseModel):
    """A selection of the segment explorer: filters on customer_360 columns, a rule, and the breakdown column.

    Every field is optional; what is given narrows the selection (``segments.Query.from_params``).
    """

    tier: str | None = _filter("客户层级", "tier")
    value_tier: str | None = _filter("价值层级", "value tier")
    segment: str | None = _filter("行为分群代码", "behaviour segment code")
    lifecycle: str | None = _filter("生命周期代码", "lifecycle stage code")
    branch_id: str | None = _filter("机构", "branch id")
    grid_id: str | None = _filter("网格", "grid id")
    custom_segment: str | None = _filter("自定义分群", "a saved custom segment")
    rule: str | None = Field(None, max_length=RULE_MAX_LENGTH, description="规则 / a boolean expression over the documented columns "
                                               "(docs/rules.md), e.g. age < 40 AND txn_ci_30d >= 2")
    breakdown: str | None = Field(None, description="分组列 / tier (default), value_tier, segment, "
                                                    "lifecycle or branch_id")
