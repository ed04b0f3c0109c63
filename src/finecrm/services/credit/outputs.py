"""What credit's use cases return (typed, so the JSON API can describe it)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

CardId = Annotated[str, Field(description="评分卡编号 / the card's id, e.g. sc001")]


class Discrimination(TypedDict):
    rows: int
    bads: int
    bad_rate: float
    auc: float
    ks: Annotated[float, Field(description="KS：好坏累计分布的最大差 / the largest gap of the cumulative distributions")]
    gini: Annotated[float, Field(description="基尼系数 = 2·AUC − 1 / Gini")]


class ScorecardRow(TypedDict):
    """One stored card (read from its meta.json)."""

    id: CardId
    active: bool
    created_at: str
    created_by: str
    file: str
    target_column: str
    variables: int
    auc: Annotated[float, Field(description="验证集 AUC / holdout AUC")]
    ks: float
    psi: Annotated[float, Field(description="验证集对训练集的分数 PSI / score PSI of the holdout against training")]


class ScorecardDoc(TypedDict):
    """A card's metadata and report as training wrote it (meta.json), with whether it is active."""

    id: CardId
    active: bool
    created_at: str
    created_by: str
    inputs: dict[str, Any]
    split: dict[str, Any]
    params: dict[str, Any]
    variables: Annotated[dict[str, str], Field(description="变量及类型 / variable → numerical or categorical")]
    selection: list[dict[str, Any]]
    dropped: list[dict[str, str]]
    train: Discrimination
    validation: Discrimination
    stability: dict[str, Any]
    bins: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    training_grade_counts: list[int]


class ScorecardActivation(TypedDict):
    """A card made the active one (the card credit ratings will use)."""

    id: CardId
    activated_at: str
    activated_by: str
    previous: str | None


class ScoredBatch(TypedDict):
    """A file scored with a card."""

    id: CardId
    file: str
    out: str
    rows: int
    grades: Annotated[list[dict[str, Any]], Field(description="各等级人数 / rows per grade")]
    mean_score: float
    psi: Annotated[float, Field(description="本批对训练集的分数 PSI / score PSI of this batch against training")]


class ExportedCard(TypedDict):
    id: CardId
    dialect: str
    sql: str
    xlsx: str | None
