"""What campaigns read besides their own tables: the snapshot's marts and the bank's staff, grids and products.

- The published snapshot (through :class:`~finecrm.services.snapshot.serving.Serving`): ``customer_360``, and the
  marketing marts ``customer_propensity`` (scores, deciles, eligibility, the model's reasons),
  ``product_adoption`` (the date each product first appeared per customer) and ``propensity_features``
  (monthly activity and AUM, for before/after). A part of a campaign that needs a mart the snapshot lacks
  stops with a message naming the mart and what to run (:func:`require_mart`).
- The warehouse's raw ``staff``, ``grids`` and ``products`` tables (as ``services.workspace.known_grids``
  reads them): who may be given a task, who manages which grid, what a product is called.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis.expr.types as ir

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.services.snapshot.console import as_of
from finecrm.services.snapshot.serving import Serving

PROPENSITY_MART = "customer_propensity"
ADOPTION_MART = "product_adoption"
FEATURES_MART = "propensity_features"

_MART_TEXT = {
    PROPENSITY_MART: ("倾向评分", "propensity scores"),
    ADOPTION_MART: ("产品开通日期", "product adoption dates"),
    FEATURES_MART: ("客户月度特征", "monthly customer features"),
}


class CampaignDataError(FinecrmError):
    """The snapshot or the warehouse lacks what a campaign step needs (the message says what to do)."""


def require_mart(serving: Serving, mart: str, *, zh: str, en: str, columns: tuple[str, ...] = ()) -> ir.Table:
    """The snapshot's ``mart`` (with ``columns``), or a bilingual error naming it and the step that needs it."""
    what_zh, what_en = _MART_TEXT.get(mart, (mart, mart))
    if not serving.has_table(mart):
        raise CampaignDataError(
            f"{zh}需要数据集市 {mart}（{what_zh}），当前发布的快照 {serving.build_id} 中没有：请运行 finecrm build "
            f"生成包含它的新快照 / {en} needs the mart {mart} ({what_en}), which the published snapshot "
            f"{serving.build_id} does not have: run 'finecrm build' to publish a snapshot that has it")
    t = serving.table(mart)
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise CampaignDataError(
            f"{zh}需要 {mart} 中的列 {', '.join(missing)}，快照 {serving.build_id} 中没有（该产品是否在 "
            f"marketing.targets 中？）/ {en} needs column(s) {', '.join(missing)} of {mart}, which snapshot "
            f"{serving.build_id} lacks (is the product in marketing.targets of finecrm.yaml?)")
    return t


def snapshot_as_of(serving: Serving) -> date:
    """The business date the published snapshot was built as of."""
    return as_of(serving.ws, serving.build_id)


def _raw(ws: Workspace, table: str) -> list[dict[str, Any]] | None:
    path = ws.raw / table / "data.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    return list(pq.read_table(path).to_pylist())


def products(ws: Workspace) -> dict[str, dict[str, Any]]:
    """``{product_code: {name, category, risk_level}}`` (empty before products were loaded)."""
    return {r["product_code"]: r for r in _raw(ws, "products") or []}


def staff(ws: Workspace) -> dict[str, dict[str, Any]]:
    """``{staff_id: {name, branch_id, role, active}}``; a bank without a staff table cannot hand out tasks."""
    rows = _raw(ws, "staff")
    if rows is None:
        raise CampaignDataError("分配任务需要员工表（staff），请先导入 / assigning tasks needs the bank's staff "
                                "table (staff): ingest it first")
    return {r["staff_id"]: r for r in rows}


def grid_managers(ws: Workspace) -> dict[str, str | None]:
    """``{grid_id: manager staff_id}`` (empty when the bank has no grids)."""
    from finecrm.services.workspace import known_grids

    return known_grids(ws) or {}
