"""Training a propensity model on any table with a yes/no response column (a bank's own history).

``finecrm model train --table FILE --target COLUMN``: for example a past campaign's response list
with the customers' attributes at the time. The file is read like a campaign file (CSV in UTF-8,
UTF-8 with BOM or GBK; Parquet; .xlsx — ``campaign_import``'s reader), every response is checked
(1/0, true/false, yes/no, 是/否, Y/N; anything else stops with file, column, line and value), and
the features are the other columns except:

- identifiers: names like ``id``, ``*_id``, ``客户号``, ``账号``, ``*编号``, phone and ID numbers, text
  columns whose every value is different, and numbers whose every value is different and has the
  same number of digits (six or more: account or card numbers);
- dates (and the ``--time-column``, used only to split);
- empty and constant columns, and text with too many distinct values to be a category.

Numbers become money (signed log), counts (log) or plain numbers by their shape; yes/no words and
0/1 become flags; other text becomes categories. Validation: a stratified random 30 % holdout with a
fixed seed, or — with ``--time-column`` — the latest 30 % of rows by that date (a later period, as
the model would be used). The report is the same as for the snapshot models.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.ml.propensity import ALGORITHMS, FeatureSpec, PropensityModel, evaluate
from finecrm.ml.propensity.features import Kind
from finecrm.services.tables import CONVERTED, NOT_CONVERTED, TableError, load_table

HOLDOUT = 0.3
SEED = 2026
MIN_CLASS = 10
MAX_CATEGORIES = 100
_ID_NAME = re.compile(r"(^id$|_id$|^id_|_no$|^no$|编号|客户号|账号|卡号|证件|身份证|手机|电话|phone|mobile_no|姓名|^name$)",
                      re.IGNORECASE)
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_YES_NO = {**dict.fromkeys(CONVERTED, 1.0), **dict.fromkeys(NOT_CONVERTED, 0.0)}
RESPONSE_WORDS = "1/0, true/false, yes/no, 是/否, Y/N"


class TableTrainingError(FinecrmError):
    """The table cannot be trained on as it is; the message names the file, column and what to fix."""


def _texts(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)


def _response(name: str, data: Any, col: str) -> np.ndarray:
    arr = pc.utf8_lower(data.values[col])
    yes = np.asarray(pc.is_in(arr, value_set=pa.array(CONVERTED)).to_numpy(zero_copy_only=False))
    no = np.asarray(pc.is_in(arr, value_set=pa.array(NOT_CONVERTED)).to_numpy(zero_copy_only=False))
    bad = ~(yes | no)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = data.values[col][i].as_py()
        shown = "an empty value" if value is None else repr(value)
        more = int(bad.sum()) - 1
        raise TableTrainingError(
            f"{name}: column {col!r}, {data.row_word} {int(data.rows[i])}: {shown} is not a response; expected "
            f"one of {RESPONSE_WORDS} (case-insensitive)" + (f"; {more:,} more rows are not responses either"
                                                             if more else ""))
    return yes.astype(int)


def _numbers(values: np.ndarray) -> np.ndarray | None:
    """Float values when every non-empty cell is a number (thousands separators allowed); else None."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            out[i] = float(str(v).replace(",", ""))
        except ValueError:
            return None
    return out


def _classify(col: str, values: np.ndarray) -> tuple[Kind | None, Any, str]:
    """(kind or None when dropped, the values to learn from, why)."""
    present = [v for v in values if v is not None]
    if not present:
        return None, None, "empty / 空列"
    if _ID_NAME.search(col):
        return None, None, "identifier by name / 标识列"
    distinct = set(present)
    if len(distinct) == 1:
        return None, None, "constant / 取值唯一"
    if all(_DATE.match(str(v)) for v in present):
        return None, None, "date / 日期列"
    lower = {str(v).lower() for v in distinct}
    if lower <= set(_YES_NO):
        return "flag", np.array([np.nan if v is None else _YES_NO[str(v).lower()] for v in values]), "yes/no"
    nums = _numbers(values)
    if nums is not None:
        finite = nums[~np.isnan(nums)]
        if set(np.unique(finite)) <= {0.0, 1.0}:
            return "flag", nums, "0/1"
        whole = bool(np.all(finite == np.round(finite)))
        digits = {len(str(int(v))) for v in finite} if whole and finite.min() >= 0 else set()
        if len(digits) == 1 and min(digits) >= 6 and len(np.unique(finite)) == len(finite) and len(finite) > 20:
            # every value different and of the same length, e.g. 6228480012345678: a number, not a measure
            return None, None, "unique codes of one length (identifier) / 唯一编号"
        # Skewed (the top 1 % far above the median): counts get log(1 + x), amounts a signed log.
        spread = np.nanpercentile(np.abs(finite), 99) / max(np.nanpercentile(np.abs(finite), 50), 1.0)
        if whole and finite.min() >= 0 and spread > 5:
            return "count", nums, "skewed count"
        return ("money", nums, "skewed amount") if spread > 20 else ("numeric", nums, "number")
    if len(distinct) == len(present) and len(present) > 20:
        return None, None, "unique text (identifier) / 唯一文本"
    if len(distinct) > MAX_CATEGORIES:
        return None, None, f"text with {len(distinct):,} distinct values (not a category) / 取值过多"
    return "category", np.array([None if v is None else str(v) for v in values], dtype=object), "category"


def _dates(name: str, data: Any, col: str) -> np.ndarray:
    values = _texts(data.values[col])
    out = np.empty(len(values), dtype="datetime64[D]")
    for i, v in enumerate(values):
        text = None if v is None else str(v).strip().replace("/", "-").replace(".", "-")[:10]
        try:
            out[i] = np.datetime64(pd.Timestamp(text).date()) if text else np.datetime64("NaT")
        except (ValueError, TypeError):
            out[i] = np.datetime64("NaT")
        if np.isnat(out[i]):
            shown = "an empty value" if v is None else repr(v)
            raise TableTrainingError(f"{name}: column {col!r}, {data.row_word} {int(data.rows[i])}: {shown} is not a "
                                     "date (expected e.g. 2026-03-31)")
    return out


def train_table(path: Path | str, target_column: str, *, time_column: str | None = None,
                algorithm: str = "logistic", seed: int = SEED) -> dict[str, Any]:
    """Train and validate a model on ``path``; returns the report (nothing is stored)."""
    path = Path(path)
    name = str(path)
    if algorithm not in ALGORITHMS:
        raise TableTrainingError(f"--algorithm: expected one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    try:
        head = load_table(path, [target_column] + ([time_column] if time_column else []))
        data = load_table(path, list(dict.fromkeys(head.columns)))
    except TableError as exc:
        raise TableTrainingError(str(exc)) from None
    if len(data.rows) == 0:
        raise TableTrainingError(f"{name}: no data rows below the header")
    y = _response(name, data, target_column)
    if y.sum() < MIN_CLASS or (1 - y).sum() < MIN_CLASS:
        raise TableTrainingError(f"{name}: column {target_column!r} has {int(y.sum())} yes and {int((1 - y).sum())} "
                                 f"no; at least {MIN_CLASS} of each are needed to learn anything")
    used: dict[str, Kind] = {}
    frame: dict[str, Any] = {}
    dropped: list[dict[str, str]] = []
    for col in data.columns:
        if col in (target_column, time_column) or not col:
            continue
        kind, values, why = _classify(col, _texts(data.values[col]))
        if kind is None:
            dropped.append({"column": col, "reason": why})
        else:
            used[col] = kind
            frame[col] = values
    if not used:
        raise TableTrainingError(f"{name}: no column is left to learn from (identifiers, dates and constant columns "
                                 f"are not used): {', '.join(d['column'] + ' — ' + d['reason'] for d in dropped)}")
    x = pd.DataFrame(frame)
    if time_column:
        when = _dates(name, data, time_column)
        cut = np.sort(when)[int(np.floor(len(when) * (1 - HOLDOUT)))]
        test = when >= cut
        split: dict[str, Any] = {"method": "later period", "time_column": time_column, "validation_from": str(cut),
                 "train_until": str(when[~test].max()) if (~test).any() else None}
    else:
        from sklearn.model_selection import train_test_split

        idx = np.arange(len(y))
        _, test_idx = train_test_split(idx, test_size=HOLDOUT, random_state=seed, stratify=y)
        test = np.zeros(len(y), dtype=bool)
        test[test_idx] = True
        split = {"method": "stratified random holdout", "share": HOLDOUT, "seed": seed}
    for part, mask in (("training", ~test), ("validation", test)):
        if len(np.unique(y[mask])) < 2:
            raise TableTrainingError(f"{name}: the {part} part ({int(mask.sum())} rows) has only one response value; "
                                     "use more rows or another --time-column")
    spec = FeatureSpec(used, {})
    model = PropensityModel(spec, algorithm, seed=seed).fit(x[~test], y[~test])
    report: dict[str, Any] = {"train": evaluate(y[~test], model.score(x[~test])),
              "validation": evaluate(y[test], model.score(x[test])),
              "top_features": model.top_features(10)}
    inputs: dict[str, Any] = {"file": str(path.resolve()), "format": data.fmt, "rows": len(y), "target_column": target_column,
              "time_column": time_column, "algorithm": algorithm}
    if data.encoding:
        inputs["encoding"] = data.encoding
    v = report["validation"]
    return {"source": "table", "inputs": inputs, "split": split,
            "features": [{"column": c, "kind": k} for c, k in used.items()], "dropped": dropped,
            "metrics": {"auc": v["auc"], "train_auc": report["train"]["auc"], "validation_rows": v["rows"],
                        "validation_takers": v["takers"], "validation_base_rate": v["base_rate"],
                        "train_rows": report["train"]["rows"], "train_base_rate": report["train"]["base_rate"],
                        "top_decile_lift": v["deciles"][0]["lift"], "top3_capture": v["deciles"][2]["cum_capture"]},
            "report": report}


def record_table_training(ws: Workspace, doc: dict[str, Any], *, actor: str) -> None:
    """Audit event ``model_train`` for a table (file, columns, counts, AUC; no customer data)."""
    from finecrm.services.marketing.model_registry import record

    i = doc["inputs"]
    record(ws, actor=actor, action="model_train", target=f"table {Path(i['file']).name}",
           details={"source": "table", "file": i["file"], "rows": i["rows"], "target_column": i["target_column"],
                    "time_column": i["time_column"], "algorithm": i["algorithm"],
                    "validation_auc": doc["metrics"]["auc"], "features": [f["column"] for f in doc["features"]]})
