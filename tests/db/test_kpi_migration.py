"""Migration 0012 (KPI targets) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 8, 8, 30, tzinfo=UTC)
INSERT = ("INSERT INTO kpi_targets (indicator, period, level, unit_id, target, set_by, set_at, source) "
          "VALUES ('loans_disbursed', '2026-09', 'branch', 'B1', :v, 'an', :t, 'page')")


def test_0012_adds_targets_one_per_unit_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0011")
    assert "kpi_targets" not in inspect(db_engine).get_table_names()
    _alembic(db_engine, "upgrade", "0012")
    assert current_revision(db_engine) == "0012"
    columns = {c["name"] for c in inspect(db_engine).get_columns("kpi_targets")}
    assert {"indicator", "period", "level", "unit_id", "target", "set_by", "set_at", "source"} <= columns
    with db_engine.begin() as c:
        c.execute(text(INSERT), {"v": 1_000_000.0, "t": T0})
        assert c.execute(text("SELECT target FROM kpi_targets")).scalar() == 1_000_000.0
    # A second target for the same indicator, month and unit is refused: setting one replaces it.
    with pytest.raises(IntegrityError), db_engine.begin() as c:
        c.execute(text(INSERT), {"v": 2.0, "t": T0})
    _alembic(db_engine, "downgrade", "0011")
    assert "kpi_targets" not in inspect(db_engine).get_table_names()
    assert current_revision(db_engine) == "0011"
