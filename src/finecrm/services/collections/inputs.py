"""What the collections use cases take: typed once, shared by the CLI, the HTML forms and the JSON API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from finecrm.db.models.collections import CHANNELS, RESULTS

Channel = Literal["sms", "phone", "letter", "visit", "legal"]
Result = Literal["promise", "paid", "refused", "unreachable", "wrong_number", "dispute"]
assert set(CHANNELS) == set(Channel.__args__) and set(RESULTS) == set(Result.__args__)  # type: ignore[attr-defined]


class ContactInput(BaseModel):
    """A contact with the debtor of a loan; a promise to pay needs its amount and date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    result: Result
    notes: str = Field("", max_length=2000)
    next_step: Channel | None = None
    next_on: date | None = None
    promise_amount: float | None = Field(None, gt=0, le=1e12)
    promise_on: date | None = None
    template: Literal["sms", "letter"] | None = Field(None, description="记录随此次联系生成的短信或催收函 / keep "
                                                                         "the rendered SMS or letter with the contact")

    @model_validator(mode="after")
    def _promise(self) -> ContactInput:
        if self.result == "promise" and (self.promise_amount is None or self.promise_on is None):
            raise ValueError("承诺还款须填写金额和日期 / a promise to pay needs an amount and a date")
        if self.result != "promise" and (self.promise_amount is not None or self.promise_on is not None):
            raise ValueError("只有“承诺还款”才填写承诺金额和日期 / only a promise to pay takes an amount and a date")
        return self


class ReassignInput(BaseModel):
    """Give a loan to another collector, with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_id: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=4, max_length=1000)


class RevealInput(BaseModel):
    """Why the debtor's phone is shown (written to the audit log with the loan)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field("", max_length=500)
