"""What credit's use cases return (typed once for the pages, the CLI and the JSON API)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class OverrideRow(TypedDict):
    """A proposed change of a loan's category, with its decision."""

    id: int
    loan_id: str
    customer_id: str | None
    branch_id: str | None
    system_category: Annotated[str, Field(description="提出时规则给出的分类 / the rules' category when proposed")]
    from_category: Annotated[str, Field(description="提出时执行的分类 / the category in force when proposed")]
    to_category: Annotated[str, Field(description="拟调整为 / the proposed category")]
    direction: Annotated[str, Field(description="more_severe（上调，立即生效）/ less_severe（下调，须复核）")]
    reason: str
    proposed_by: str
    proposed_at: str
    snapshot: str | None
    status: Annotated[str, Field(description="applied / pending / approved / rejected")]
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None


class OverridePage(PageInfo):
    """A page of category changes."""

    rows: list[OverrideRow]
