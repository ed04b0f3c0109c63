"""What data's use cases return (typed once for the status page, the CLI and the JSON API).

``TypedDict``s: plain dicts at run time, checked by mypy, validated and documented by the API. The manifest
and the snapshot list are read from the files a build writes; a key an older file may lack is read with
``get`` and typed ``| None``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict


class Manifest(TypedDict):
    """The published snapshot's manifest: 业务日期、引擎、耗时、检查是否全部通过 / business date, engine, seconds,
    whether every check passed, and the source files read per contract table."""

    build_id: str | None
    as_of: Annotated[str | None, Field(description="业务日期 / the business date the data runs to (YYYY-MM-DD)")]
    engine: str | None
    seconds: float | None
    checks_passed: bool | None
    finished_at: str | None
    source_files: Annotated[dict[str, int] | None, Field(description="每张契约表读取的文件数 / files read per "
                                                                     "contract table")]


class FailedCheck(TypedDict):
    """A mart check that failed: what was checked, how many rows fail it, and what it means."""

    check: str
    passed: bool
    failing: int
    doc: str


class MartStatus(TypedDict):
    """One mart of the published snapshot with its checks."""

    name: str
    rows: int | None
    seconds: float | None
    checks_passed: int
    checks: Annotated[int, Field(description="检查项数 / how many checks the mart has")]
    failed: list[FailedCheck]


class SnapshotRow(TypedDict):
    """A finished snapshot, newest first (kept for rollback and "as of" comparisons)."""

    build_id: str
    published: bool
    as_of: str | None
    engine: str | None
    finished_at: str | None
    checks_passed: bool | None


class IngestRunRow(TypedDict):
    """One ingest run: rows read, accepted and quarantined (with reasons, see ``finecrm ingest``)."""

    id: str
    started_at: str
    finished_at: str | None
    source: str
    status: Annotated[str, Field(description="ok / partial（部分隔离 some rows quarantined）/ failed")]
    rows_read: int
    rows_accepted: int
    rows_quarantined: int


class DataStatus(TypedDict):
    """数据状态 / which snapshot is published, from which ingest, with its checks; earlier snapshots and ingests."""

    published: Annotated[str | None, Field(description="已发布的快照 / the published build id (None before the "
                                                       "first build)")]
    manifest: Manifest | None
    from_ingest: Annotated[str | None, Field(description="快照所用的导入 / the ingest run the snapshot was built "
                                                         "from")]
    marts: list[MartStatus]
    snapshots: list[SnapshotRow]
    ingests: list[IngestRunRow]
