"""The canonical warehouse tables (``warehouse/raw``) as Ibis tables.

A table the bank has not provided becomes an empty table with the contract's schema, so every
model runs on partial data (the Berka export has no staff, grids or signups, for instance).
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa

from finecrm.contract.store import stored_files
from finecrm.contract.tables import TABLES
from finecrm.engine.backends import Backend


def load_sources(
    backend: Backend, raw: Path, names: set[str] | None = None
) -> tuple[dict[str, ibis.Table], dict[str, int]]:
    """The contract tables by name (those in ``names``, or all), and the number of files behind each
    (0 = not provided: an empty table with the contract's schema stands in)."""
    tables: dict[str, ibis.Table] = {}
    files: dict[str, int] = {}
    for t in TABLES:
        if names is not None and t.name not in names:
            continue
        paths = stored_files(raw, t)
        files[t.name] = len(paths)
        if paths:
            tbl = backend.read_source(raw / t.name, paths, f"src_{t.name}")
            # Hive-style folder names must not add columns: keep exactly the contract's.
            tables[t.name] = tbl.select(*t.column_names)
        else:
            empty = pa.Table.from_batches([], schema=t.arrow_schema())
            tables[t.name] = backend.con.create_table(f"src_{t.name}", empty, overwrite=True)
    return tables, files

