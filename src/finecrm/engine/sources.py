"""The canonical warehouse tables (``warehouse/raw``) as Ibis tables.

The warehouse is read as **one version**: ``raw`` (a link to the current version, see
``contract/store.py``) is resolved once and every table is read from that folder, so an ingest that
moved the link meanwhile could not mix two versions (and the build holds the warehouse lock anyway).

A required contract table that is absent or empty stops the build with a message naming it: without
customers every mart would be empty, without products every AUM 0. An optional table the bank has
not provided becomes an empty table with the contract's schema, so every model runs on partial data
(the Berka export has no staff, grids or signups, for instance).
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa

from finecrm.contract.store import current_version, stored_files, stored_rows
from finecrm.contract.tables import TABLES
from finecrm.core.errors import FinecrmError
from finecrm.core.testhooks import pause_point
from finecrm.engine.backends import Backend


class IncompleteWarehouse(FinecrmError):
    """A required table is absent or empty: nothing is built."""


def check_required(raw: Path) -> None:
    """Refuse a warehouse without every required table (rows counted from the Parquet footers)."""
    folder = current_version(raw)
    missing = [t.name for t in TABLES if t.required and (folder is None or stored_rows(folder, t) == 0)]
    if missing:
        names = ", ".join(missing)
        raise IncompleteWarehouse(
            f"仓库缺少必需的表 {names}，未构建 / the warehouse has no rows in {names} (required tables): nothing "
            f"was built; load them with 'finecrm ingest' first (docs/ingest.md lists the required tables)")


def load_sources(
    backend: Backend, raw: Path, names: set[str] | None = None
) -> tuple[dict[str, ibis.Table], dict[str, int]]:
    """The contract tables by name (those in ``names``, or all), and the number of files behind each
    (0 = not provided: an empty table with the contract's schema stands in). Refuses a warehouse that
    lacks a required table (:class:`IncompleteWarehouse`)."""
    pause_point("build.sources")
    check_required(raw)
    folder = current_version(raw)
    assert folder is not None  # check_required refused an empty warehouse
    tables: dict[str, ibis.Table] = {}
    files: dict[str, int] = {}
    for t in TABLES:
        if names is not None and t.name not in names:
            continue
        paths = stored_files(folder, t)
        files[t.name] = len(paths)
        if paths:
            tbl = backend.read_source(folder / t.name, paths, f"src_{t.name}")
            # Hive-style folder names must not add columns: keep exactly the contract's.
            tables[t.name] = tbl.select(*t.column_names)
        else:
            empty = pa.Table.from_batches([], schema=t.arrow_schema())
            tables[t.name] = backend.con.create_table(f"src_{t.name}", empty, overwrite=True)
    return tables, files
