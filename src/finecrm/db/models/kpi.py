"""KPIs: the targets set per indicator, month, level and unit (考核目标)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class KpiTarget(Base):
    """The target of one indicator for one month and one unit (a branch or a manager).

    One row per (indicator, period, level, unit): setting it again replaces the value, and the audit log keeps
    what it was (``kpi_target_set`` / ``kpi_targets_import`` with the old and new values).
    """

    __tablename__ = "kpi_targets"
    __table_args__ = (UniqueConstraint("indicator", "period", "level", "unit_id", name="uq_kpi_targets_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    level: Mapped[str] = mapped_column(String(12))  # branch | manager
    unit_id: Mapped[str] = mapped_column(String(40))  # branch id or staff id
    target: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(12))  # page | import | demo
