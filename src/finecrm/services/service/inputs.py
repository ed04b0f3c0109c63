"""What the service-quality use cases take: typed once, shared by the CLI, the HTML forms and the JSON API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finecrm.core.errors import FinecrmError


class InputError(FinecrmError):
    """A field of a service-quality form or command that is not what it should be (the message names it)."""


def problems(exc: ValidationError) -> str:
    """A model's validation errors as one line: each field with what was wrong."""
    return "输入有误 / invalid input — " + "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'input'}: {e.get('msg')}" for e in exc.errors())


class _Checked(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @classmethod
    def checked(cls, **fields: Any) -> Any:
        """The input from typed values, with one bilingual line naming every field that is wrong."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise InputError(problems(exc)) from None


Channel = Literal["lobby", "manager", "phone", "import"]


class ComplaintIntake(_Checked):
    """A complaint or request as it is taken down (投诉受理)."""

    channel: Channel = Field(description="受理渠道 / lobby, manager, phone or import")
    customer_id: str | None = Field(None, max_length=40, description="客户号；来电人身份不明时留空 / the customer, "
                                                                     "or empty for an unidentified caller")
    caller_name: str | None = Field(None, max_length=60, description="身份不明来电人的称呼 / an unidentified "
                                                                    "caller's name")
    caller_phone: str | None = Field(None, max_length=30, pattern=r"^[0-9+\- ]*$",
                                     description="身份不明来电人的电话 / an unidentified caller's phone number")
    category: str = Field(min_length=1, max_length=40, description="投诉类别（service.complaints.categories）")
    branch_id: str | None = Field(None, max_length=40, description="被投诉机构；默认客户所属机构或受理人所在机构 / "
                                                                   "the branch concerned (default: the customer's)")
    staff_id: str | None = Field(None, max_length=40, description="被投诉员工 / the staff member concerned")
    description: str = Field(min_length=4, max_length=4000, description="投诉内容 / what the customer says")


class AssignComplaint(_Checked):
    assignee: str = Field(min_length=1, max_length=64, description="处理人用户名 / the handler's username")
    note: str | None = Field(None, max_length=1000, description="说明 / a note")


class ReplyComplaint(_Checked):
    reply: str = Field(min_length=4, max_length=4000, description="给客户的答复 / the answer given to the customer")


class CloseComplaint(_Checked):
    """The customer accepted the answer (客户认可): the complaint is closed."""

    note: str = Field(min_length=2, max_length=1000, description="客户意见 / what the customer said")


class AppealComplaint(_Checked):
    """The customer does not accept the answer (申诉): the complaint reopens with a new deadline."""

    note: str = Field(min_length=4, max_length=2000, description="申诉理由 / why the customer does not accept")


#: What the queue shows: the complaints still to answer (default), every one, or those in one status.
QueueStatus = Literal["active", "all", "open", "assigned", "replied", "appealed", "closed"]


class ComplaintFilters(_Checked):
    status: QueueStatus = "active"
    category: str | None = Field(None, max_length=40)
    branch_id: str | None = Field(None, max_length=40)
    channel: Channel | None = None
    overdue: bool = False


class DrawSurvey(_Checked):
    """Draw a survey's sample (抽样): random, optionally stratified by branch or tier."""

    name: str = Field(min_length=2, max_length=100, description="调查名称 / the survey's name")
    size: int = Field(ge=1, le=20_000, description="样本量 / how many customers to ask")
    strata: Literal["none", "branch", "tier"] = Field("branch", description="分层 / stratify by branch, tier or not")
    branch_id: str | None = Field(None, max_length=40, description="只在这个机构抽 / draw within one branch")
    seed: int = Field(2026, ge=0, le=2**31 - 1, description="随机种子 / the draw's seed (recorded)")


class SurveyAnswers(_Checked):
    """Answers to a survey's questions: ``{question code: score 1–5 or text}``."""

    answers: dict[str, int | str | None] = Field(description="问题代码 → 1–5 分或文字 / question → 1–5 or text")


#: Product categories a need is routed by (the data contract's product categories, and other).
FeedbackCategory = Literal["deposit", "time_deposit", "wealth", "fund", "insurance", "loan", "credit_card",
                           "e_banking", "payroll", "other"]


class NoteNeed(_Checked):
    """A customer's need or a product problem, noted for the product owner (需求反馈)."""

    source: Literal["work_log", "complaint", "grid", "staff"] = Field(description="来源 / where it was heard")
    product_category: FeedbackCategory = Field(description="产品类别 / the product category it concerns")
    need: str = Field(min_length=4, max_length=2000, description="需求 / what the customers need")
    complaint_id: int | None = Field(None, ge=1, le=2**31 - 1, description="来自的投诉 / the complaint it came from")


class AnswerNeed(_Checked):
    status: Literal["answered", "declined"] = Field(description="answered（已答复/采纳）or declined（不采纳）")
    answer: str = Field(min_length=4, max_length=2000, description="给网点的答复 / the answer given back")
