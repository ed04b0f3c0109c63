"""What the AML use cases take: typed once, shared by the HTML forms and the JSON API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")


class Triage(_Input):
    """A decision on an alert: dismiss it (with the reason), open a case with it, add it to an open case, or
    reopen a dismissed one (with the reason)."""

    action: Literal["dismiss", "open_case", "add_to_case", "reopen"] = Field(
        description="dismiss | open_case | add_to_case | reopen")
    reason: str = Field("", max_length=1000, description="排除或重开的原因 / why it is dismissed or reopened")
    title: str = Field("", max_length=200, description="open_case：案件名称 / the new case's title")
    case_id: int | None = Field(None, ge=1, le=2**31 - 1, description="add_to_case：案件编号 / the open case")


class CaseNote(_Input):
    """A note on a case: what was checked, who was asked, what was found."""

    text: str = Field(min_length=2, max_length=4000, description="记录 / the note")


class CaseProposal(_Input):
    """The decision one officer proposes for a case: report it as suspicious (with the report's narrative) or
    close it without a report (with the reason). Another officer approves it."""

    decision: Literal["report", "no_report"] = Field(description="report（上报可疑交易）| no_report（不上报）")
    text: str = Field(min_length=10, max_length=8000, description="报告正文或不上报的理由 / the narrative of the "
                      "report, or why there is none (at least ten characters)")


class CaseDecision(_Input):
    """A second officer's decision on the proposal."""

    approve: bool = Field(description="通过（true）或退回（false）/ approve (true) or send back (false)")
    note: str = Field(min_length=2, max_length=2000, description="复核意见 / the approver's note")
