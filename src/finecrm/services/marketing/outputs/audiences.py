"""Saved audiences (目标客群): live counts, versions and their customers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo
from finecrm.services.marketing.outputs._common import Masked, Snapshot


class TierShare(TypedDict):
    """Customers of one tier among the rule's (AUM None without view_balances)."""

    tier: str | None
    customers: int
    share: float
    aum: float | None


class AudiencePreview(TypedDict):
    """A rule's live count, AUM and tier mix in your scope (nothing saved)."""

    snapshot: Snapshot
    rule: Annotated[str, Field(description="规范化后的规则 / the rule as parsed and normalised")]
    customers: int
    aum: Annotated[float | None, Field(description="AUM 合计（元）/ total AUM, yuan (None without view_balances)")]
    tier_mix: list[TierShare]


class AudienceVersionDoc(TypedDict):
    """One version of a saved audience, with the count and AUM when it was saved."""

    version: int
    rule: str
    note: str
    created_by: str
    created_at: datetime
    build_id: Annotated[str | None, Field(description="保存时的快照 / the snapshot the counts were taken on")]
    customers: Annotated[int | None, Field(description="保存时的客户数 / customers when saved")]
    aum: Annotated[float | None, Field(description="保存时的 AUM（元）/ AUM when saved, yuan")]


class AudienceDoc(AudienceVersionDoc):
    """A saved audience (目标客群) at one version — that version's fields at the top level — and every version."""

    id: int
    name: str
    description: str
    latest_version: int
    archived: bool
    versions: list[AudienceVersionDoc]


class AudienceMemberRow(TypedDict):
    """A customer the rule selects (masked; AUM only with view_balances)."""

    customer_id: str
    name: Masked
    phone: Masked
    branch_id: str
    grid_id: str | None
    manager_id: str | None
    tier: str
    age: int | None
    lifecycle: Annotated[str | None, Field(description="生命周期代码 / lifecycle stage code (new, stable, …)")]
    aum_avg: NotRequired[float]


class AudienceMemberPage(PageInfo):
    """A page of an audience's customers in your scope."""

    rows: list[AudienceMemberRow]


class AudienceDetail(AudienceDoc):
    """An audience version with its live counts in your scope and a page of its customers."""

    live: AudiencePreview
    members: AudienceMemberPage
