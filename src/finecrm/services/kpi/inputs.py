"""What the KPI use cases take (typed, shared by the CLI, the forms and the JSON API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TargetIn(BaseModel):
    """One target (考核目标): the indicator, the month, the level and the unit, and the value."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(min_length=1, max_length=40)
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份 / month, YYYY-MM")
    level: Literal["branch", "manager"]
    unit_id: str = Field(min_length=1, max_length=40, description="网点号或员工号 / branch id or staff id")
    target: float = Field(ge=-1e13, le=1e13, description="目标值；比率为小数 / the target; a ratio as a fraction")
