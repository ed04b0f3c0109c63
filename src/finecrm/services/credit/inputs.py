"""What credit's use cases take: typed once, shared by the CLI, the HTML forms and the JSON API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["normal", "special_mention", "substandard", "doubtful", "loss"]


class OverrideProposal(BaseModel):
    """A proposed category for a loan, with the reason a reviewer and an examiner will read."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    loan_id: str = Field(min_length=1, max_length=40, description="借据号 / loan id")
    category: Category = Field(description="拟调整为 / the proposed category (normal … loss)")
    reason: str = Field(min_length=4, max_length=1000, description="调整原因 / why (at least a few words)")


class OverrideDecision(BaseModel):
    """A second officer's decision on a change toward a less severe category."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    approve: bool = Field(description="通过（true）或退回（false）/ approve (true) or reject (false)")
    note: str = Field(min_length=2, max_length=1000, description="复核意见 / the approver's note")


class CategoryChange(BaseModel):
    """The body of a category change for the loan named in the path."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    category: Category = Field(description="拟调整为 / the proposed category (normal … loss)")
    reason: str = Field(min_length=4, max_length=1000, description="调整原因 / why (at least a few words)")
