"""Workspace settings: one ``finecrm.yaml`` per workspace (FINECRM_HOME), validated at load.

Every default lives in :data:`DEFAULT_YAML` with a comment saying what it means; ``finecrm init``
writes that text, so the file a bank edits documents itself. Errors name the file, the key and what
was expected (:class:`~finecrm.core.errors.ConfigError`).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from finecrm.core.errors import ConfigError, WorkspaceError

CONFIG_NAME = "finecrm.yaml"
HOME_ENV = "FINECRM_HOME"
DATABASE_ENV = "FINECRM_DATABASE_URL"

DEFAULT_YAML = """\
# finecrm workspace configuration / finecrm 工作区配置
# Every key below shows its default. Delete a key to fall back to the default.
# 下列每个键均为默认值；删除某个键即使用默认值。

bank:
  # Display name of the bank (shown in the web app and reports). 银行名称
  name: 示例农商银行
  # Reporting currency (ISO 4217). Amounts in other currencies are kept as they are. 记账本位币
  currency: CNY

database:
  # Operational database (users, campaigns, visits, cases, audit log) as an SQLAlchemy URL.
  # Empty means an SQLite file finecrm.db in this workspace. The environment variable
  # FINECRM_DATABASE_URL overrides it, e.g. postgresql+psycopg://user:pw@host:5432/finecrm
  # 业务库地址；留空为工作区内 SQLite 文件；环境变量 FINECRM_DATABASE_URL 优先。
  url: ""

warehouse:
  # Folder for canonical data, quarantine and snapshots; relative to this workspace. 数据仓库目录
  path: warehouse
  # How many built snapshots to keep for rollback and "as of" comparisons. 保留快照个数
  keep_snapshots: 5

ingest:
  # Text encoding of CSV exports: auto (UTF-8, UTF-8 with BOM or GBK/GB18030, detected per file),
  # utf-8 or gbk. Lines that cannot be decoded go to quarantine. 文件编码
  encoding: auto
  # Field delimiter of CSV exports (one character). 分隔符
  delimiter: ","
  # Dates before this are rejected as out of range. 最早合法日期
  earliest_date: 1900-01-01
  # How many example rows per table and reason the ingest report shows. 报告中每类原因示例行数
  report_examples: 3
  # Memory the ingest's DuckDB may use before spilling to disk (e.g. 4GB); empty = 80% of RAM. 内存上限
  memory_limit: 4GB

build:
  # Analytics engine: duckdb (embedded, default) or spark (local Spark; same marts). 计算引擎
  engine: duckdb
  # Memory the engine may use before spilling to disk (DuckDB; Spark: driver memory): half of a 24 GiB
  # server; a 1M-customer bank needs about that. Raise it on a bigger machine;
  # empty = 80% of RAM. The rest is left to the web app and the operating system. 内存上限
  memory_limit: 12GB

tiers:
  # Retail AUM tiers (金融资产 = deposits + wealth + funds + insurance), by the month's average daily
  # AUM in yuan, highest first; the last must start at 0. 零售客户按月日均 AUM 分层（元）
  retail:
    - {name: 私行, min: 6000000}
    - {name: 财富, min: 500000}
    - {name: 贵宾, min: 50000}
    - {name: 大众, min: 0}
  # Customers of the lowest retail tier below this AUM who are active are labelled 潜力. 潜力客户 AUM 上限
  potential_below: 10000
  # "Active" for 潜力: at least this many customer-initiated transactions in 90 days (5 a month). 潜力客户活跃交易笔数
  potential_min_txn_90d: 15
  # Upgrade at once; downgrade only after this many consecutive months below the tier. 降级观察月数
  downgrade_after_months: 3
  # Corporate tiers by the month's average daily deposits in yuan, highest first. 对公客户按存款日均分层
  corporate:
    - {name: 战略客户, min: 10000000}
    - {name: 重点客户, min: 5000000}
    - {name: 成长客户, min: 1000000}
    - {name: 基础客户, min: 0}

contribution:
  # Annual FTP spread earned on deposits, by product category (贡献度 = 存款日均×FTP利差 + 贷款日均×(利率−FTP) + 中收).
  # 存款 FTP 利差（年化）
  deposit_spread: {deposit: 0.015, time_deposit: 0.006}
  # FTP rate charged to loans; a loan earns (its rate − this). 贷款 FTP 价格
  loan_ftp_rate: 0.03
  # Rate assumed for a loan whose rate is not in the data. 缺失利率时的贷款利率
  default_loan_rate: 0.045
  # Annual intermediary income on balances held, by category (理财/基金/保险中收费率).
  intermediary_rates: {wealth: 0.004, fund: 0.008, insurance: 0.01}
  # Value tiers by contribution rank: share of customers from the top, cumulative; last must be 1. 价值分层
  value_tiers:
    - {name: 核心价值, top_share: 0.05}
    - {name: 高价值, top_share: 0.20}
    - {name: 中价值, top_share: 0.50}
    - {name: 低价值, top_share: 1.0}

lifecycle:
  # 新客户: first account opened within this many months. 新客户月数
  new_within_months: 6
  # 衰退: average daily AUM down at least this share over `trend_months`. 衰退阈值
  declining_drop: 0.30
  # 成长: average daily AUM up at least this share over `trend_months`. 成长阈值
  growing_rise: 0.20
  # Months over which declining / growing is judged. 趋势月数
  trend_months: 3
  # 沉睡 (长期不动户): no customer-initiated transaction for this many months. 沉睡月数
  dormant_months: 12

deposit_watch:
  # Large depositors: average daily deposits in any of the last 3 months at or above this (yuan). 大额存款客户门槛
  large_depositor_min: 500000
  # Alert when the deposit balance falls this share below its average of the previous `baseline_days`. 下降比例
  drop_share: 0.30
  # Days of the baseline average. 基准天数
  baseline_days: 30
  # The drop must happen within this many days (from a balance at or above the baseline). 下降发生天数
  within_days: 7

segments:
  # Behaviour segments (稳妥型/高增长型/消费型/低活跃型) by k-means on a sample. 行为分群
  clusters: 4
  # Customers sampled to fit the clusters. 训练样本数
  sample_size: 50000
  # Seed of the sample and the clustering (same seed, same segments). 随机种子
  seed: 7
  # Your own segments: a name and a rule over customer_360 columns (see docs/rules.md). 自定义分群
  custom: []

marketing:
  # Propensity label window: a product "acquired" within this many days after the cut-off. 倾向模型观察期（天）
  horizon_days: 90
  # Months of per-customer features kept for training and before/after comparisons. 特征历史月数
  history_months: 12
  # Products with a propensity model and a place in next best product. kind: service (a signup), category
  # (any account of the category) or product (that product code). value: expected yuan a year per
  # conversion. offer_product: what a manager offers (its risk level is checked against the customer's
  # risk tolerance, 适当性). Ages and KYC risk levels outside the limits are not offered the product.
  # 营销产品：识别方式、年化预期价值、推荐产品、年龄与洗钱风险等级限制
  targets:
    - {code: mobile_banking, zh: 手机银行, en: mobile banking, kind: service, match: mobile, value: 60,
       min_age: 16, max_age: 80}
    - {code: wealth, zh: 理财产品, en: wealth product, kind: category, match: wealth, offer_product: WM05,
       value: 900, min_age: 18, max_age: 75, kyc_excluded: [high]}
    - {code: credit_card, zh: 信用卡, en: credit card, kind: category, match: credit_card, offer_product: CC01,
       value: 400, min_age: 18, max_age: 60, kyc_excluded: [high]}
    - {code: consumer_loan, zh: 个人消费贷款, en: consumer loan, kind: product, match: LN01, offer_product: LN01,
       value: 1500, min_age: 22, max_age: 60, kyc_excluded: [high]}
  # Campaign tasks one customer manager may hold per campaign before the grid's manager is asked. 每名客户经理任务上限
  capacity_per_manager: 60
  # Default share of a campaign's list held back as the random control group. 默认对照组比例
  control_share: 0.2
  # Default seed of the control-group draw (each campaign records the seed it used). 默认随机种子
  seed: 2026
"""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankSettings(_Strict):
    name: str = "示例农商银行"
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")


class DatabaseSettings(_Strict):
    url: str = ""


class WarehouseSettings(_Strict):
    path: str = "warehouse"
    keep_snapshots: int = Field(5, ge=1, le=1000)


#: A memory size for DuckDB / Spark, e.g. 4GB or 512MB; empty means the engine's own default.
MEMORY = r"^(|\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB))$"


class IngestSettings(_Strict):
    encoding: Literal["auto", "utf-8", "gbk"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    earliest_date: date = date(1900, 1, 1)
    report_examples: int = Field(3, ge=0, le=100)
    memory_limit: str = Field("4GB", pattern=MEMORY)


class BuildSettings(_Strict):
    engine: Literal["duckdb", "spark"] = "duckdb"
    memory_limit: str = Field("12GB", pattern=MEMORY)


class TierBand(_Strict):
    name: str = Field(min_length=1)
    min: float = Field(ge=0)


def _bands_descending(bands: list[TierBand]) -> list[TierBand]:
    mins = [b.min for b in bands]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ValueError("tiers must be listed highest first with distinct minimums")
    if mins[-1] != 0:
        raise ValueError("the last tier must start at 0 so every customer has a tier")
    if len({b.name for b in bands}) != len(bands):
        raise ValueError("tier names must be distinct")
    return bands


class TierSettings(_Strict):
    retail: list[TierBand] = [
        TierBand(name="私行", min=6_000_000),
        TierBand(name="财富", min=500_000),
        TierBand(name="贵宾", min=50_000),
        TierBand(name="大众", min=0),
    ]
    potential_below: float = Field(10_000, ge=0)
    potential_min_txn_90d: int = Field(15, ge=0)
    downgrade_after_months: int = Field(3, ge=1, le=24)
    corporate: list[TierBand] = [
        TierBand(name="战略客户", min=10_000_000),
        TierBand(name="重点客户", min=5_000_000),
        TierBand(name="成长客户", min=1_000_000),
        TierBand(name="基础客户", min=0),
    ]

    @field_validator("retail", "corporate")
    @classmethod
    def _descending(cls, v: list[TierBand]) -> list[TierBand]:
        return _bands_descending(v)


class ValueTier(_Strict):
    name: str = Field(min_length=1)
    top_share: float = Field(gt=0, le=1)


class ContributionSettings(_Strict):
    deposit_spread: dict[Literal["deposit", "time_deposit"], float] = {"deposit": 0.015, "time_deposit": 0.006}
    loan_ftp_rate: float = Field(0.03, ge=0, le=1)
    default_loan_rate: float = Field(0.045, ge=0, le=1)
    intermediary_rates: dict[Literal["wealth", "fund", "insurance"], float] = {
        "wealth": 0.004, "fund": 0.008, "insurance": 0.01,
    }
    value_tiers: list[ValueTier] = [
        ValueTier(name="核心价值", top_share=0.05),
        ValueTier(name="高价值", top_share=0.20),
        ValueTier(name="中价值", top_share=0.50),
        ValueTier(name="低价值", top_share=1.0),
    ]

    @field_validator("value_tiers")
    @classmethod
    def _cumulative(cls, v: list[ValueTier]) -> list[ValueTier]:
        shares = [t.top_share for t in v]
        if shares != sorted(shares) or len(set(shares)) != len(shares) or shares[-1] != 1:
            raise ValueError("top_share must grow from the first tier to the last, and the last must be 1")
        return v


class LifecycleSettings(_Strict):
    new_within_months: int = Field(6, ge=1, le=60)
    declining_drop: float = Field(0.30, gt=0, lt=1)
    growing_rise: float = Field(0.20, gt=0)
    trend_months: int = Field(3, ge=1, le=24)
    dormant_months: int = Field(12, ge=1, le=60)


class DepositWatchSettings(_Strict):
    large_depositor_min: float = Field(500_000, ge=0)
    drop_share: float = Field(0.30, gt=0, lt=1)
    baseline_days: int = Field(30, ge=2, le=89)
    within_days: int = Field(7, ge=1, le=60)


class CustomSegment(_Strict):
    name: str = Field(min_length=1, max_length=60)
    rule: str = Field(min_length=1, max_length=4000)


class SegmentSettings(_Strict):
    clusters: int = Field(4, ge=3, le=8)
    sample_size: int = Field(50_000, ge=100)
    seed: int = 7
    custom: list[CustomSegment] = []


class PropensityTarget(_Strict):
    """A product the bank wants to sell, as a propensity target: how to tell that a customer has it."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    #: service: a signup (signups.service = match); category: any account of the category; product: that code.
    kind: Literal["service", "category", "product"]
    match: str = Field(min_length=1)
    #: The product code a manager offers (suitability is checked on its risk level); None for services.
    offer_product: str | None = None
    #: Expected value of one conversion in yuan a year (next best product = highest score × value).
    value: float = Field(gt=0)
    min_age: int = Field(18, ge=0, le=120)
    max_age: int = Field(75, ge=0, le=120)
    #: KYC (money-laundering) risk levels that may not be offered the product.
    kyc_excluded: list[Literal["low", "medium", "high"]] = []


class MarketingSettings(_Strict):
    #: Label window: a customer "acquires" a product when it appears within this many days after the cut-off.
    horizon_days: int = Field(90, ge=7, le=365)
    #: Months of per-customer features kept in propensity_features (training and before/after need history).
    history_months: int = Field(12, ge=4, le=36)
    targets: list[PropensityTarget] = [
        PropensityTarget(code="mobile_banking", zh="手机银行", en="mobile banking", kind="service",
                         match="mobile", value=60.0, min_age=16, max_age=80),
        PropensityTarget(code="wealth", zh="理财产品", en="wealth product", kind="category", match="wealth",
                         offer_product="WM05", value=900.0, min_age=18, max_age=75, kyc_excluded=["high"]),
        PropensityTarget(code="credit_card", zh="信用卡", en="credit card", kind="category", match="credit_card",
                         offer_product="CC01", value=400.0, min_age=18, max_age=60, kyc_excluded=["high"]),
        PropensityTarget(code="consumer_loan", zh="个人消费贷款", en="consumer loan", kind="product",
                         match="LN01", offer_product="LN01", value=1500.0, min_age=22, max_age=60,
                         kyc_excluded=["high"]),
    ]
    #: Open tasks one customer manager may hold per campaign before the grid's manager is asked.
    capacity_per_manager: int = Field(60, ge=1, le=10_000)
    control_share: float = Field(0.2, gt=0, lt=1)
    seed: int = 2026

    @field_validator("targets")
    @classmethod
    def _unique(cls, v: list[PropensityTarget]) -> list[PropensityTarget]:
        codes = [t.code for t in v]
        if len(set(codes)) != len(codes):
            raise ValueError(f"target codes must be unique, got {codes}")
        return v


class Settings(_Strict):
    """The whole of finecrm.yaml."""

    bank: BankSettings = BankSettings()
    database: DatabaseSettings = DatabaseSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    ingest: IngestSettings = IngestSettings()
    build: BuildSettings = BuildSettings()
    tiers: TierSettings = TierSettings()
    contribution: ContributionSettings = ContributionSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    deposit_watch: DepositWatchSettings = DepositWatchSettings()
    segments: SegmentSettings = SegmentSettings()
    marketing: MarketingSettings = MarketingSettings()


def _explain(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "no such key (check the spelling; see the comments in a fresh finecrm.yaml)"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return str(err.get("msg", "")).lower()
    if kind == "string_pattern_mismatch":
        return f"text matching {ctx.get('pattern')}"
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return str(err.get("msg", "a valid value")).lower()


def parse_settings(data: Any, file: str) -> Settings:
    """Validate a parsed YAML document; the first problem becomes a ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(file, "(top level)", "a mapping of sections (bank, database, ...)", type(data).__name__)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ConfigError(file, key, _explain(dict(first)), first.get("input")) from None


class Workspace:
    """A finecrm home folder: configuration, warehouse and (by default) the SQLite database."""

    def __init__(self, home: Path, settings: Settings) -> None:
        self.home = home
        self.settings = settings

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def warehouse(self) -> Path:
        return (self.home / self.settings.warehouse.path).resolve()

    @property
    def raw(self) -> Path:
        return self.warehouse / "raw"

    @property
    def quarantine(self) -> Path:
        return self.warehouse / "quarantine"

    @property
    def ingests(self) -> Path:
        return self.warehouse / "ingests"

    @property
    def snapshots(self) -> Path:
        return self.warehouse / "snapshots"

    @property
    def models(self) -> Path:
        """Propensity model files and the registry of active versions (beside the warehouse)."""
        return self.home / "models"

    @property
    def database_url(self) -> str:
        env = os.environ.get(DATABASE_ENV, "").strip()
        if env:
            return env
        if self.settings.database.url:
            return self.settings.database.url
        return f"sqlite:///{(self.home / 'finecrm.db').resolve()}"


def resolve_home(home: Path | str | None) -> Path:
    """``--home`` if given, else FINECRM_HOME, else the current folder."""
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else Path.cwd().resolve()


def load_workspace(home: Path | str | None) -> Workspace:
    """Open an initialised workspace or say how to create one."""
    root = resolve_home(home)
    cfg = root / CONFIG_NAME
    if not cfg.is_file():
        raise WorkspaceError(
            f"{root} is not a finecrm workspace (no {CONFIG_NAME}). "
            f"Run 'finecrm init --home {root}' first, or point --home / {HOME_ENV} at a workspace."
        )
    try:
        data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(unknown position)"
        raise ConfigError(str(cfg), where, "valid YAML", str(getattr(exc, "problem", exc))) from None
    return Workspace(root, parse_settings(data, str(cfg)))
