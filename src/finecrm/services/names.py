"""The names of the bank's own things — branches, staff, grids, products — so that pages, exports and CLI
tables show 城关支行 and 王丽 rather than 800101 and 100019 (issue 13: names, not codes).

These are the bank's directory, not customers' personal data: a colleague's name is shown to colleagues.
Read from the warehouse (the tables an ingest stored) and kept until an ingest rewrites one of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from finecrm.core.settings import Workspace

#: Which warehouse table names each kind of code: (table, key column).
KINDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "branch": ("branches", "branch_id"),
    "staff": ("staff", "staff_id"),
    "grid": ("grids", "grid_id"),
    "product": ("products", "product_code"),
})


@dataclass(frozen=True)
class Names:
    """``{code: name}`` for each kind; a code without a name (or a kind not loaded) answers None."""

    by_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, kind: str, code: object) -> str | None:
        if code is None:
            return None
        return self.by_kind.get(kind, {}).get(str(code))

    def options(self, kind: str) -> list[tuple[str, str]]:
        """``(code, name)`` of every known one, by name: the choices of a select box."""
        return sorted(self.by_kind.get(kind, {}).items(), key=lambda kv: (kv[1], kv[0]))


#: How long a read of the names is used before the tables' times are looked at again: a page names dozens of
#: branches and staff, and an ingest that rewrites them is rare.
RECHECK_SECONDS = 2.0

_cache: dict[Path, tuple[tuple[float, ...], float, Names]] = {}
_lock = threading.Lock()


def _paths(ws: Workspace) -> list[Path]:
    return [ws.raw / table / "data.parquet" for table, _key in KINDS.values()]


def _stamp(ws: Workspace) -> tuple[float, ...]:
    return tuple(p.stat().st_mtime if p.is_file() else 0.0 for p in _paths(ws))


def _read(ws: Workspace) -> Names:
    import pyarrow.parquet as pq

    out: dict[str, Mapping[str, str]] = {}
    for kind, (table, key) in KINDS.items():
        path = ws.raw / table / "data.parquet"
        if not path.is_file():
            continue
        t = pq.read_table(path, columns=[key, "name"]).to_pydict()
        out[kind] = MappingProxyType({str(k): str(n) for k, n in zip(t[key], t["name"], strict=True)
                                      if k is not None and n})
    return Names(MappingProxyType(out))


def load_names(ws: Workspace) -> Names:
    """The names of the workspace's warehouse, read again only after an ingest changed a table."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(ws.raw)
        if hit is not None and now - hit[1] < RECHECK_SECONDS:
            return hit[2]
    stamp = _stamp(ws)
    names = hit[2] if hit is not None and hit[0] == stamp else _read(ws)
    with _lock:
        _cache[ws.raw] = (stamp, now, names)
    return names
