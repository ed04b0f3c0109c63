"""A user's table for a scorecard: which columns are variables, the bad/good target, numbers checked.

Read with the shared reader (``services/tables.py``: CSV in UTF-8 or GBK, Parquet, .xlsx). The variables
are every other column except identifiers by name (``id``, ``*_id``, 客户号, 证件, phone…), dates, empty
and constant columns, text with too many different values to be a category, and what ``--exclude`` names.
A column whose every value is a number (thousands separators allowed) is numerical; any other is text.

The target: with ``--bad-value V`` the rows whose target is V are bad and every other value good; without
it the target must be 1/0, yes/no, true/false, 是/否, Y/N, bad/good or 坏/好 (1, yes… meaning bad). An
empty target stops with the file, column and line: a row without an outcome can be neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from finecrm.core.errors import FinecrmError
from finecrm.services.tables import CONVERTED, NOT_CONVERTED, LoadedTable, TableError, load_table, where

MAX_CATEGORIES = 50
BAD_WORDS = (*CONVERTED, "bad", "坏", "违约", "default")
GOOD_WORDS = (*NOT_CONVERTED, "good", "好", "正常")
_ID_NAME = re.compile(r"(^id$|_id$|^id_|_no$|^no$|编号|客户号|账号|卡号|证件|身份证|手机|电话号|(^|_)(phone|mobile)(_|$)|姓名|^name$)",
                      re.IGNORECASE)
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")


class CreditTableError(FinecrmError):
    """The table cannot be used as it is; the message names the file, column and what to fix."""


@dataclass
class ApplicantTable:
    name: str
    data: LoadedTable
    x: pd.DataFrame
    used: dict[str, str]  # column -> numerical | categorical
    dropped: list[dict[str, str]]


def _texts(data: LoadedTable, col: str) -> np.ndarray:
    return np.asarray(data.values[col].to_numpy(zero_copy_only=False), dtype=object)


def numbers(name: str, data: LoadedTable, col: str) -> np.ndarray:
    """A column as numbers; stops at the first cell that is not one (empty cells are missing values)."""
    values = _texts(data, col)
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            out[i] = float(str(v).replace(",", ""))
        except ValueError:
            raise CreditTableError(f"{name}: column {col!r}, {data.row_word} {int(data.rows[i])}: {v!r} is not a "
                                   "number / 不是数字 (the card bins this column as numbers)") from None
        if not np.isfinite(out[i]):
            raise CreditTableError(f"{name}: column {col!r}, {data.row_word} {int(data.rows[i])}: {v!r} is not a "
                                   "finite number / 不是有限数值")
    return out


def _is_numeric(values: np.ndarray) -> bool:
    for v in values:
        if v is None:
            continue
        try:
            float(str(v).replace(",", ""))
        except ValueError:
            return False
    return True


def target(name: str, data: LoadedTable, col: str, bad_value: str | None) -> np.ndarray:
    """1 for bad, 0 for good, for every row."""
    arr = data.values[col]
    empty = np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
    if empty.any():
        raise CreditTableError(f"{name}: column {col!r} is empty at {where(data, empty)}; every row needs its "
                               "outcome (bad or good) / 每行都须有好坏标志")
    if bad_value is not None:
        return np.asarray(pc.equal(arr, bad_value.strip()).to_numpy(zero_copy_only=False)).astype(int)
    lower = pc.utf8_lower(arr)
    bad = np.asarray(pc.is_in(lower, value_set=_set(BAD_WORDS)).to_numpy(zero_copy_only=False))
    good = np.asarray(pc.is_in(lower, value_set=_set(GOOD_WORDS)).to_numpy(zero_copy_only=False))
    other = ~(bad | good)
    if other.any():
        i = int(np.flatnonzero(other)[0])
        raise CreditTableError(
            f"{name}: column {col!r}, {data.row_word} {int(data.rows[i])}: {arr[i].as_py()!r} is not bad or good; "
            "use 1/0, yes/no, bad/good, 坏/好 (1 = bad), or say which value is bad with --bad-value")
    return bad.astype(int)


def _set(words: tuple[str, ...]) -> Any:
    import pyarrow as pa

    return pa.array(list(words))


def _classify(col: str, values: np.ndarray) -> tuple[str | None, str]:
    present = [v for v in values if v is not None]
    if not present:
        return None, "empty / 空列"
    if _ID_NAME.search(col):
        return None, "identifier by name / 标识列"
    if len(set(present)) == 1:
        return None, "constant / 取值唯一"
    if all(_DATE.match(str(v)) for v in present):
        return None, "date / 日期列"
    if _is_numeric(values):
        return "numerical", "number"
    if len(set(present)) > MAX_CATEGORIES:
        return None, f"text with {len(set(present)):,} distinct values (not a category) / 取值过多"
    return "categorical", "category"


def read_training_table(path: Path, target_column: str, *, time_column: str | None = None,
                        exclude: list[str] | None = None) -> tuple[ApplicantTable, LoadedTable]:
    """The variables of ``path`` (a DataFrame) and the table itself (for the target and time columns)."""
    name = str(path)
    try:
        head = load_table(path, [target_column] + ([time_column] if time_column else []))
        data = load_table(path, list(dict.fromkeys(c for c in head.columns if c)))
    except TableError as exc:
        raise CreditTableError(str(exc)) from None
    if len(data.rows) == 0:
        raise CreditTableError(f"{name}: no data rows below the header / 表中没有数据行")
    unknown = [c for c in exclude or [] if c not in data.columns]
    if unknown:
        raise CreditTableError(f"{name}: --exclude names no column {', '.join(map(repr, unknown))}; the columns are: "
                               f"{', '.join(data.columns)}")
    used: dict[str, str] = {}
    frame: dict[str, Any] = {}
    dropped: list[dict[str, str]] = []
    for col in data.columns:
        if not col or col in (target_column, time_column):
            continue
        if col in (exclude or []):
            dropped.append({"column": col, "reason": "--exclude"})
            continue
        kind, why = _classify(col, _texts(data, col))
        if kind is None:
            dropped.append({"column": col, "reason": why})
            continue
        used[col] = kind
        frame[col] = numbers(name, data, col) if kind == "numerical" else _texts(data, col)
    if not used:
        raise CreditTableError(f"{name}: no column is left to score with (identifiers, dates and constant columns "
                               f"are not used): {', '.join(d['column'] + ' — ' + d['reason'] for d in dropped)}")
    return ApplicantTable(name, data, pd.DataFrame(frame), used, dropped), data


def read_scoring_table(path: Path, variables: dict[str, str]) -> tuple[pd.DataFrame, LoadedTable]:
    """Every column of ``path`` as text (kept for the output) and the card's variables typed as the card has them."""
    name = str(path)
    try:
        head = load_table(path, [])
        missing = [c for c in variables if c not in head.columns]
        if missing:
            raise CreditTableError(f"{name}: 缺少评分卡需要的列 / the card needs the column(s) "
                                   f"{', '.join(map(repr, missing))}; the columns are: {', '.join(head.columns)}")
        data = load_table(path, list(dict.fromkeys(c for c in head.columns if c)))
    except TableError as exc:
        raise CreditTableError(str(exc)) from None
    x = pd.DataFrame({c: numbers(name, data, c) if kind == "numerical" else _texts(data, c)
                      for c, kind in variables.items()})
    return x, data


def text_columns(data: LoadedTable) -> pd.DataFrame:
    """The table's own columns as read (text), for writing them back beside the scores."""
    return pd.DataFrame({c: _texts(data, c) for c in data.columns if c})
