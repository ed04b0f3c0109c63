"""Workspace settings: one ``finecrm.yaml`` per workspace (FINECRM_HOME), validated at load.

Every default lives in the packaged ``finecrm.default.yaml`` (:data:`DEFAULT_YAML`) with a comment
saying what it means; ``finecrm init`` writes that text, so the file a bank edits documents itself.
Errors name the file, the key and what was expected (:class:`~finecrm.core.errors.ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from finecrm.core.errors import ConfigError, FinecrmError, WorkspaceError
from finecrm.core.limits import RULE_MAX_LENGTH
from finecrm.core.settings_aml import (  # noqa: F401 - re-exported
    AmlCaseSettings,
    AmlSettings,
    CashStructuringSettings,
    ConcentratedInFanOutSettings,
    CycleSettings,
    DormantReactivationSettings,
    FanInFanOutSettings,
    InsiderSettings,
    LargeValueSettings,
    PassThroughSettings,
)
from finecrm.core.settings_collections import CollectionSettings
from finecrm.core.settings_credit import ClassificationSettings, CreditSettings, CreditWarningSettings  # noqa: F401 - re-exported
from finecrm.core.settings_kpi import Indicator, KpiSettings  # noqa: F401 - re-exported
from finecrm.core.settings_service import (  # noqa: F401 - re-exported
    _DEFAULT_COMPLAINT_CATEGORIES,
    ComplaintCategory,
    ComplaintSettings,
    ServiceSettings,
)
from finecrm.core.settings_workbench import DailyStandard, ReminderSettings, WorkbenchSettings  # noqa: F401 - re-exported


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

CONFIG_NAME = "finecrm.yaml"
HOME_ENV = "FINECRM_HOME"
DATABASE_ENV = "FINECRM_DATABASE_URL"

#: The packaged ``finecrm.default.yaml``: every default with a comment saying what it means, the text
#: ``finecrm init`` writes (a test holds it equal to the defaults of :class:`Settings`).
DEFAULT_YAML_FILE = "finecrm.default.yaml"
DEFAULT_YAML = files("finecrm.core").joinpath(DEFAULT_YAML_FILE).read_text(encoding="utf-8")


class BankSettings(_Strict):
    name: str = "示例农商银行"
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    #: The bank's time zone (an IANA name): every time on a page, in an export or a CLI table is shown in it.
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone name (e.g. Asia/Shanghai, Asia/Hong_Kong)") from None
        return v


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
    #: a stored month is held back when an input would shrink it by more than this share of its rows
    period_shrink_limit: float = Field(0.5, gt=0, le=1)
    #: round amounts with more decimals than the fen instead of quarantining them
    round_money: bool = False
    #: the longest value accepted, in characters
    max_field_chars: int = Field(1000, ge=1, le=10_000_000)


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
    rule: str = Field(min_length=1, max_length=RULE_MAX_LENGTH)


class SegmentSettings(_Strict):
    clusters: int = Field(6, ge=3, le=8)
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


class UnknownTargetError(FinecrmError):
    """A marketing target code that is not among ``marketing.targets``; the message lists those that are."""

    def __init__(self, code: str, codes: list[str]) -> None:
        self.code = code
        self.codes = codes
        listed = ", ".join(codes) or "none"
        super().__init__(f"没有营销产品 {code!r}，可选：{listed} / no target {code!r} in marketing.targets; "
                         f"the targets are: {listed}")


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

    def target(self, code: str) -> PropensityTarget:
        """The configured target ``code``, or :class:`UnknownTargetError` naming the configured ones."""
        for t in self.targets:
            if t.code == code:
                return t
        raise UnknownTargetError(code, [t.code for t in self.targets])


class WebSettings(_Strict):
    #: Reverse proxies (addresses or networks such as 10.0.0.0/24) whose X-Forwarded-For is believed; none by
    #: default, so a request's address is the connection's. See docs/access.md ("反向代理 / reverse proxies").
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
        return out


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
    aml: AmlSettings = AmlSettings()
    segments: SegmentSettings = SegmentSettings()
    marketing: MarketingSettings = MarketingSettings()
    credit: CreditSettings = CreditSettings()
    collections: CollectionSettings = CollectionSettings()
    workbench: WorkbenchSettings = WorkbenchSettings()
    kpi: KpiSettings = KpiSettings()
    service: ServiceSettings = ServiceSettings()
    web: WebSettings = WebSettings()

    @field_validator("workbench")
    @classmethod
    def _visit_tiers(cls, v: WorkbenchSettings, info: ValidationInfo) -> WorkbenchSettings:
        # A frequency for a tier that does not exist would silently plan nobody: refuse it, naming the tiers.
        tiers = info.data.get("tiers")
        if tiers is not None:
            names = [b.name for b in (*tiers.retail, *tiers.corporate)]
            unknown = [n for n in v.visit_frequency_months if n not in names]
            if unknown:
                raise ValueError(f"visit_frequency_months: {', '.join(unknown)} is not a tier of tiers.retail or "
                                 f"tiers.corporate ({', '.join(names)})")
        return v


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
