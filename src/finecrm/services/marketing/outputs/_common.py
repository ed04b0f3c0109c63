"""Aliases and small shapes the marketing outputs share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

Snapshot = Annotated[str, Field(description="快照编号 / the published build the answer was read from")]
Masked = Annotated[str | None, Field(description="按角色脱敏 / masked per role")]
Arm = Annotated[str, Field(description="组别 / treatment 处理组 or control 对照组")]
Score = Annotated[float | None, Field(description="抽样时的购买倾向（概率）/ propensity at draw time, a probability")]
Decile = Annotated[int | None, Field(description="倾向分十分位（1 为最高）/ propensity decile, 1 = the top tenth")]


class Bilingual(TypedDict):
    """A sentence or a label in Chinese and English."""

    zh: str
    en: str


class SnapshotRef(TypedDict):
    build_id: str
    as_of: Annotated[str, Field(description="业务日期 / the snapshot's business date")]
