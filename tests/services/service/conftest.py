"""A hand-made bank directory (two branches under a head office, three staff) in a fresh workspace, and a migrated
operational database per test (SQLite, and PostgreSQL where marked). Complaints of unidentified callers need
nothing more; complaints of customers are tested on the generated bank of the web tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finecrm.authz import Principal, make_principal
from finecrm.core.settings import Workspace
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import init_workspace, open_workspace
from tests.services.campaigns.bank import campaign_db  # noqa: F401

BRANCHES = {"HO": None, "B1": "HO", "B2": "HO"}


@dataclass
class Directory:
    ws: Workspace
    serving: Serving

    def principal(self, name: str, role: str, branch_id: str | None = None, staff_id: str | None = None) -> Principal:
        return make_principal(name, role, branches=BRANCHES, branch_id=branch_id, staff_id=staff_id)


def _write(path: Path, columns: dict[str, list[Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path / "data.parquet")


@pytest.fixture
def directory(tmp_path) -> Directory:
    init_workspace(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    _write(ws.raw / "branches", {"branch_id": ["HO", "B1", "B2"], "name": ["总行", "城关支行", "河西支行"]})
    _write(ws.raw / "staff", {"staff_id": ["S1", "S2", "S3"], "name": ["王丽", "李强", "张敏"]})
    return Directory(ws, Serving(ws))
