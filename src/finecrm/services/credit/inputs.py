"""What credit's use cases take: typed once, shared by the CLI, the HTML forms and the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finecrm.core.errors import FinecrmError
from finecrm.ml.scorecard import DIALECTS


class InputError(FinecrmError):
    """A field of a credit command or form that is not what it should be (the message names it)."""


def problems(exc: ValidationError) -> str:
    """A model's validation errors as one line: each field with what was wrong."""
    return "输入有误 / invalid input — " + "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'input'}: {e.get('msg')}" for e in exc.errors())


class _Checked(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def checked(cls, **fields: Any) -> Any:
        """The input from typed values, with one bilingual line naming every field that is wrong."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise InputError(problems(exc)) from None


class TrainScorecard(_Checked):
    """Train a scorecard on a table with a bad/good column."""

    table: Path = Field(description="训练表 / CSV (UTF-8 or GBK), Parquet or .xlsx, one row per applicant")
    target: str = Field(min_length=1, description="好坏标志列 / the outcome column")
    bad_value: str | None = Field(None, description="坏样本取值 / the value of a bad outcome (default: 1/yes/bad…)")
    time_column: str | None = Field(None, description="时间列 / validate on the latest rows by this date")
    exclude: list[str] = Field(default_factory=list, description="不用的列 / columns not to use")
    special_values: list[float] = Field(default_factory=list, description="特殊值 / codes such as -999 ('no record')")
    pdo: float = Field(20.0, gt=0, le=1000, description="翻倍分 / points to double the odds")
    base_score: float = Field(600.0, ge=0, le=10_000, description="基准分 / the score at the base odds")
    base_odds: float = Field(50.0, gt=0, le=1e6, description="基准好坏比 / odds of good to bad at the base score")
    grades: int = Field(10, ge=2, le=20, description="等级数 / grades of the master scale")
    min_iv: float = Field(0.02, ge=0, le=5, description="最小 IV / a variable's minimum information value")
    holdout: float = Field(0.3, gt=0.05, lt=0.6, description="验证集比例 / share of rows held out to validate")
    seed: int = Field(2026, ge=0, le=2**31 - 1, description="随机种子 / seed of the holdout")


class ScoreBatch(_Checked):
    """Score a file of applicants with a stored card."""

    card_id: str = Field(min_length=1, description="评分卡编号 / e.g. sc001")
    table: Path = Field(description="待评分的表 / CSV, Parquet or .xlsx with the card's columns")
    out: Path = Field(description="输出文件 / .csv or .xlsx")
    reasons: int = Field(3, ge=0, le=10, description="每行原因数 / reason codes per row")


class ExportCard(_Checked):
    """Export a card as SQL text and/or an Excel workbook."""

    card_id: str = Field(min_length=1, description="评分卡编号 / e.g. sc001")
    dialect: str = Field("duckdb", description=f"SQL 方言 / one of {', '.join(DIALECTS)}")
    table_name: str = Field("applicants", min_length=1, max_length=200, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$",
                            description="SQL 中的表名 / the table or view the SQL reads")
    xlsx: Path | None = Field(None, description="Excel 文件 / write the card and its SQL to this workbook")


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


WarningOutcome = Literal["resolved", "no_risk", "to_collections", "other"]


class WarningStepInput(BaseModel):
    """One step of the work on a loan early warning: take it (or give it to a colleague), note something, close it
    with an outcome and a reason, or reopen it with a reason."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    step: Literal["assign", "note", "close", "reopen"] = Field(description="assign | note | close | reopen")
    assignee: str | None = Field(None, max_length=64, description="assign：处理人用户名，空为本人 / assign: the "
                                 "username to work it (empty: yourself)")
    outcome: WarningOutcome | None = Field(None, description="close：处置结果 / close: resolved, no_risk, "
                                           "to_collections or other")
    note: str = Field("", max_length=1000, description="说明（记录、关闭、重开时必填）/ the note (needed to note, "
                      "close or reopen)")
