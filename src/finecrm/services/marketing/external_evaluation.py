"""Evaluating a past campaign from a file: one row per customer, the arm they were in, the outcome.

``evaluate_file`` reads a CSV (UTF-8, UTF-8 with BOM or GBK; comma, tab, semicolon or ``|``),
Parquet (a file or a folder of parts) or Excel (.xlsx, first sheet) file, checks every row and
hands the counts to :mod:`finecrm.ml.uplift`. Nothing is dropped quietly: an unreadable line, an
empty arm or an outcome that is not one of the accepted words stops the evaluation with the file,
column, row and value. ``record_evaluation`` writes the audit event.

The file is read by :mod:`finecrm.services.tables` (row numbers in messages are what a person sees when
opening the file).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.ml import uplift
from finecrm.services.tables import (
    ACCEPTED_TEXT,
    CONVERTED,
    NOT_CONVERTED,
    LoadedTable,
    TableError,
    load_table,
    where,
)

#: A ``by`` column with more groups than this is not a grouping column (e.g. a raw score or an id).
MAX_GROUPS = 1000
BLANK_GROUP = "(blank)"
FEW_CONVERSIONS = 5


class CampaignImportError(FinecrmError):
    """A campaign file cannot be evaluated as it is; the message names the file and what to fix."""


def evaluate_file(
    path: Path | str,
    *,
    arm_column: str,
    control_value: str,
    outcome_column: str,
    by: Sequence[str] = (),
    cost_per_contact: float | None = None,
    confidence: float = uplift.CONFIDENCE,
    min_group: int = uplift.MIN_GROUP,
) -> dict[str, Any]:
    """Evaluate the campaign in ``path``; returns ``{inputs, arms, comparisons, conclusions,
    breakdowns, warnings, methods}`` (see docs/campaigns.md). Randomisation is assumed."""
    path = Path(path)
    name = str(path)
    if not (isinstance(confidence, int | float) and 0.5 <= confidence < 1):
        raise CampaignImportError(f"--confidence: expected a level such as 0.95 (between 0.5 and 1), "
                                  f"got {confidence!r}")
    if cost_per_contact is not None and (not math.isfinite(cost_per_contact) or cost_per_contact < 0):
        raise CampaignImportError(f"--cost-per-contact: expected a non-negative amount in yuan, "
                                  f"got {cost_per_contact!r}")
    if min_group < 1:
        raise CampaignImportError(f"--min-group: expected a positive number of customers, got {min_group}")
    control_value = control_value.strip()
    by = list(dict.fromkeys(by))
    needed = list(dict.fromkeys([arm_column, outcome_column, *by]))
    try:
        data = load_table(path, needed)
    except TableError as exc:
        raise CampaignImportError(str(exc)) from None
    if len(data.rows) == 0:
        raise CampaignImportError(f"{name}: no data rows below the header")

    arms = _arms(name, data, arm_column)
    converted = _outcomes(name, data, outcome_column)
    seen = uplift.count_arms(arms, converted)
    if control_value not in seen:
        listed = ", ".join(f"{a!r} ({n:,} rows)" for a, (n, _) in seen.items())
        raise CampaignImportError(
            f"{name}: the control value {control_value!r} does not occur in column {arm_column!r}; "
            f"the values seen are: {listed}")
    if len(seen) == 1:
        raise CampaignImportError(
            f"{name}: every row is in the control arm {control_value!r} (column {arm_column!r}); there is "
            "no treatment arm to compare with it")
    result = uplift.evaluate(seen, control_value, cost_per_contact=cost_per_contact, confidence=confidence)

    warnings = _warnings(result, seen, min_group)
    breakdowns = []
    for col in by:
        groups = _groups(name, data, col)
        rows = uplift.breakdown(groups, arms, converted, control_value, confidence=confidence,
                                min_count=min_group)
        small = sum(r.too_small for r in rows)
        breakdowns.append({"column": col, "groups": len({r.group for r in rows}), "min_count": min_group,
                           "too_small": small, "rows": [r.to_dict() for r in rows]})
        if small:
            warnings.append(f"by {col}: {small} of {len(rows)} rows have fewer than {min_group} customers in an "
                            "arm and are marked too small to judge (样本太少，不足以判断)")
    if by:
        warnings.append("breakdowns are exploratory: their p-values are not adjusted for the number of groups, "
                        "so some groups will look significant by chance (分组结果仅供探索)")

    inputs = {
        "file": str(path.resolve()), "format": data.fmt, "rows": len(data.rows), "arm_column": arm_column,
        "control_value": control_value, "outcome_column": outcome_column, "by": by,
        "cost_per_contact": cost_per_contact, "confidence": confidence, "min_group": min_group,
    }
    if data.encoding:
        inputs["encoding"] = data.encoding
    if data.sheet:
        inputs["sheet"] = data.sheet
    doc = result.to_dict()
    return {
        "inputs": inputs,
        "methods": doc["methods"],
        "arms": doc["arms"],
        "comparisons": doc["comparisons"],
        "conclusions": [uplift.conclusion(c, confidence, several=len(result.comparisons) > 1)
                        for c in result.comparisons],
        "breakdowns": breakdowns,
        "warnings": warnings,
    }


def record_evaluation(session: Session, doc: dict[str, Any], *, actor: str) -> None:
    """Append the audit event ``campaign_import_evaluated`` (file, columns and counts; no customer data).

    The caller owns the transaction (services never commit)."""
    i = doc["inputs"]
    details = {
        "format": i["format"], "rows": i["rows"], "arm_column": i["arm_column"],
        "control_value": i["control_value"], "outcome_column": i["outcome_column"], "by": i["by"],
        "confidence": i["confidence"], "cost_per_contact": i["cost_per_contact"],
        "arms": {a["arm"]: {"customers": a["customers"], "conversions": a["conversions"]} for a in doc["arms"]},
    }
    repositories.record_audit(session, actor=actor, action="campaign_import_evaluated", target=i["file"],
                              details=details)


# ---- checking ----------------------------------------------------------------------------------


def _arms(name: str, data: LoadedTable, col: str) -> np.ndarray:
    arr = data.values[col]
    empty = np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
    if empty.any():
        raise CampaignImportError(
            f"{name}: column {col!r} is empty at {where(data, empty)}; every customer needs the arm they were "
            "in (a customer without one cannot be counted in either arm)")
    return np.asarray(arr.to_numpy(zero_copy_only=False)).astype(str)


def _outcomes(name: str, data: LoadedTable, col: str) -> np.ndarray:
    arr = data.values[col]
    low = pc.utf8_lower(arr)
    yes = np.asarray(pc.is_in(low, value_set=pa.array(CONVERTED)).to_numpy(zero_copy_only=False))
    no = np.asarray(pc.is_in(low, value_set=pa.array(NOT_CONVERTED)).to_numpy(zero_copy_only=False))
    bad = ~(yes | no)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = arr[first].as_py()
        shown = "an empty value" if value is None else repr(value)
        others = int(bad.sum()) - 1
        more = f" ({others:,} more rows are not outcomes either, e.g. {where(data, bad)})" if others else ""
        raise CampaignImportError(
            f"{name}: column {col!r}, {data.row_word} {int(data.rows[first])}: {shown} is not an outcome; "
            f"expected one of {ACCEPTED_TEXT} (case-insensitive){more}")
    return yes


def _groups(name: str, data: LoadedTable, col: str) -> np.ndarray:
    arr = pc.fill_null(data.values[col], BLANK_GROUP)
    groups = np.asarray(arr.to_numpy(zero_copy_only=False)).astype(str)
    distinct = len(np.unique(groups))
    if distinct > MAX_GROUPS:
        raise CampaignImportError(
            f"{name}: column {col!r} has {distinct:,} distinct values; a breakdown needs a grouping column such "
            f"as a branch, manager, tier or decile (at most {MAX_GROUPS:,} groups)")
    return groups


def _warnings(result: uplift.Evaluation, seen: dict[str, tuple[int, int]], min_group: int) -> list[str]:
    out: list[str] = []
    for arm, (n, x) in seen.items():
        if n < min_group:
            out.append(f"arm {arm!r} has only {n} customers (fewer than {min_group}): its interval is wide and "
                       "the normal approximation of the test is rough")
        if x < FEW_CONVERSIONS:
            out.append(f"arm {arm!r} has only {x} conversions: the estimate rests on a handful of events")
    if len(result.comparisons) > 1:
        out.append(f"{len(result.comparisons)} treatment arms are compared with one control: 'significant' uses "
                   "Holm-adjusted p-values (多个处理组：显著性按 Holm 校正后的 p 值判断)")
    for c in result.comparisons:
        if c.cost_per_contact is not None and c.cost_per_incremental is None:
            out.append(f"arm {c.arm!r}: the uplift is not positive, so there is no cost per incremental "
                       "conversion (提升不为正，无单位增量成本)")
    return out
