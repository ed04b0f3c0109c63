"""A small generated bank for the campaign tests (also used by tests/test_cli_campaigns.py), built twice: as
of 2026-03-31 with an active mobile-banking propensity model (campaigns are drawn from it) and as of
2026-09-30 (the later data conversions are detected in). Session-scoped: generated, ingested and
built once. Each test gets a fresh operational database (SQLite, and PostgreSQL where marked) from
``campaign_db``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from finecrm.authz import Principal, make_principal
from finecrm.core.settings import Workspace
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.marketing.propensity import train_target
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import init_workspace, known_branches, known_grids, open_workspace
from finecrm.synth import generate

N_CUSTOMERS = 2500
SEED = 5
EARLY = date(2026, 3, 31)
LATE = date(2026, 9, 30)


@dataclass
class CampaignBank:
    bank: Path
    early: Workspace  # built as of EARLY
    late: Workspace  # built as of LATE from the same exports
    branches: dict[str, str | None]
    grids: dict[str, str | None]

    def serving(self, which: str = "late") -> Serving:
        return Serving(self.early if which == "early" else self.late)

    def analyst(self, **kw: Any) -> Principal:
        return make_principal("ana", "analyst", branches=self.branches, **kw)

    def branch_head(self, branch_id: str, staff_id: str | None = None) -> Principal:
        return make_principal(f"head{branch_id}", "branch_head", branches=self.branches, branch_id=branch_id,
                              staff_id=staff_id)

    def manager(self, staff_id: str, branch_id: str) -> Principal:
        return make_principal(f"m{staff_id}", "customer_manager", branches=self.branches, branch_id=branch_id,
                              staff_id=staff_id, grids=self.grids)


def built_workspace(home: Path, bank: Path, as_of: date | None = None) -> Workspace:
    init_workspace(home)
    ws = open_workspace(home)
    report = ingest(ws, bank)
    assert not report["unusable"], report["unusable"]
    manifest = build(ws, as_of=as_of)
    assert manifest["checks_passed"]
    return ws


@pytest.fixture(scope="session")
def campaign_bank(tmp_path_factory) -> CampaignBank:
    base = tmp_path_factory.mktemp("campaignbank")
    bank = base / "bank"
    # 18 months, so the March snapshot has enough history to train a mobile-banking model on (top N).
    generate(bank, customers=N_CUSTOMERS, months=18, seed=SEED, as_of=LATE)
    early = built_workspace(base / "early", bank, EARLY)
    train_target(early, "mobile_banking", actor="test", activate=True)
    assert build(early, as_of=EARLY)["checks_passed"]  # now with scores from the active model
    late = built_workspace(base / "late", bank)
    return CampaignBank(bank, early, late, known_branches(late) or {}, known_grids(late) or {})


@pytest.fixture
def campaign_db(db_engine):
    """A migrated, empty operational database: a session factory (``with campaign_db() as s, s.begin():``)."""
    from finecrm.db.session import migrate, session_factory

    migrate(db_engine)
    return session_factory(db_engine)


def raw(ws: Workspace, table: str) -> Any:
    """A raw warehouse table as a DuckDB relation (for independent computations in the tests)."""
    import duckdb

    return duckdb.sql(f"SELECT * FROM read_parquet('{ws.raw / table}/*.parquet')")


@pytest.fixture
def sqlite_db(tmp_path):
    """Like ``campaign_db`` on SQLite only, for checks where a second database adds nothing."""
    from finecrm.db.session import make_engine, migrate, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
