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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class IngestSettings(_Strict):
    encoding: Literal["auto", "utf-8", "gbk"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    earliest_date: date = date(1900, 1, 1)
    report_examples: int = Field(3, ge=0, le=100)


class Settings(_Strict):
    """The whole of finecrm.yaml."""

    bank: BankSettings = BankSettings()
    database: DatabaseSettings = DatabaseSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    ingest: IngestSettings = IngestSettings()


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
