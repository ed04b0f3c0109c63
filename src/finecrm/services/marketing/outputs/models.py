"""Propensity models (倾向模型): the registry, a version's metadata and report, training and activation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.marketing.outputs._common import Bilingual, SnapshotRef


class ModelRow(TypedDict):
    """One stored model version (read from its meta.json)."""

    target: str
    version: str
    active: bool
    algorithm: str | None
    created_at: str | None
    created_by: str | None
    auc: Annotated[float | None, Field(description="验证期 AUC / validation AUC")]
    validation_rows: int | None
    train_rows: int | None
    build_id: str | None
    source: str


class TargetModels(TypedDict):
    """A configured marketing target (营销产品) with its stored versions, newest first, and the active one."""

    code: str
    zh: str
    en: str
    kind: Annotated[str, Field(description="service 签约服务 / category 产品类别 / product 单一产品")]
    match: str
    value: Annotated[float, Field(description="一次转化的年价值（元）/ yuan a year one conversion is worth")]
    versions: list[ModelRow]
    active: ModelRow | None


class Activation(TypedDict):
    """A version made the active model of its target (the next build scores with it)."""

    target: str
    version: str
    activated_at: str
    activated_by: str
    previous: str | None


class TargetDefinition(TypedDict):
    """The target as configured when the model was trained (marketing.targets)."""

    code: str
    zh: str
    en: str
    kind: str
    match: str
    offer_product: str | None
    value: float
    min_age: int
    max_age: int
    kyc_excluded: list[str]


class TrainingWindows(TypedDict):
    """训练截止日与标签窗口 / the training cut-offs, each with the window its label looks at."""

    cutoffs: list[str]
    label_windows: list[list[str]]
    rows: int
    takers: Annotated[int, Field(description="窗口内办理的客户 / customers who took the product")]
    sample_fraction: float
    rows_before_sample: int


class ValidationWindow(TypedDict):
    cutoff: str
    label_window: list[str]
    rows: int
    takers: int


class ModelMetrics(TypedDict):
    """The headline numbers; ``top3_capture`` is the share of takers found in the best 30%."""

    auc: float | None
    train_auc: float | None
    validation_rows: int
    validation_takers: int
    validation_base_rate: float | None
    train_rows: int
    train_base_rate: float | None
    top_decile_lift: Annotated[float | None, Field(description="首个十分位提升度 / the top decile's rate ÷ base rate")]
    top3_capture: float | None


class DecileRow(TypedDict):
    """One score decile, highest scores first: 客户数、办理数、办理率、提升度、捕获率，及自顶累计 / customers,
    takers, rate, lift (rate ÷ base rate), capture (share of all takers), and the same cumulated from the top."""

    decile: int
    customers: int
    takers: int
    rate: float
    lift: float | None
    capture: float | None
    cum_customers: int
    cum_takers: int
    cum_rate: float
    cum_lift: float | None
    cum_capture: float | None
    mean_predicted: float | None
    min_score: float | None
    max_score: float | None


class CalibrationBin(TypedDict):
    """One score decile, lowest first: 平均预测概率与实际办理率 / mean predicted probability against the observed
    rate."""

    bin: int
    customers: int
    mean_predicted: float
    observed: float


class Calibration(TypedDict):
    """Calibration per decile and the Brier score (概率的均方误差 / mean squared error of the probabilities)."""

    bins: list[CalibrationBin]
    brier: float | None
    mean_predicted: float | None
    observed: float | None


class SetReport(TypedDict):
    """How the model ranks one set of customers (``ml.propensity.report.evaluate``): rows, takers, base rate,
    AUC (None with one class only), deciles, calibration."""

    rows: int
    takers: int
    base_rate: float | None
    auc: float | None
    deciles: list[DecileRow]
    calibration: Calibration


class TopFeature(TypedDict):
    """A feature that moves the score (``PropensityModel.top_features``): 特征、方向与权重 / the feature, which way
    and how much. ``weight`` is a coefficient per standard deviation (logistic) or the AUC lost when the feature is
    shuffled (GBM), as ``measure`` says; ``column``/``value`` name the encoded column."""

    feature: str
    column: str
    value: str | None
    zh: str
    en: str
    weight: float
    effect: str
    measure: str


class FeatureSpecDoc(TypedDict):
    """The model's features (``FeatureSpec.to_dict``): 每列的类型与中英文名称 / each column's kind (money, count,
    numeric, flag, category) and its Chinese and English name."""

    kinds: dict[str, str]
    labels: dict[str, list[str]]


class ModelReport(TypedDict):
    train: SetReport
    validation: SetReport
    top_features: list[TopFeature]


class ModelMeta(TypedDict):
    """A model version's metadata and validation report (its meta.json).

    ``explain`` holds what the model uses to give reasons (feature importances, reference values): internal
    to the model and different per algorithm, so an open object.
    """

    source: str
    target: str
    target_definition: TargetDefinition
    question: Bilingual
    horizon_days: int
    algorithm: str
    features: FeatureSpecDoc
    explain: dict[str, Any]
    training: TrainingWindows
    validation: ValidationWindow
    metrics: ModelMetrics
    report: ModelReport
    data: SnapshotRef
    created_by: str
    created_at: str
    sklearn_version: str
    python_version: str
    version: str


class ModelVersion(ModelMeta):
    """A stored version, and whether it is the active one."""

    active: bool


class TrainedModel(ModelMeta):
    """A newly trained version; ``activated`` when it was made active at once."""

    activated: Activation | None
