"""Card files: ``card.skops`` (the fitted state, skops — never pickle) and ``card.json`` (the same card, readable).

The skops file holds plain data — the card as a dict, the estimator's parameters — and the fitted
``LogisticRegression``; optbinning's solver objects are not kept (the card has every bin they found), so
loading needs no type outside skops' own trusted set but numpy's dtype. A file with any other type is
refused, naming it. The JSON card is for people (and other systems): on loading, the two must agree, so a
hand-edited JSON card is refused rather than silently ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import skops.io as sio

from finecrm.core.errors import FinecrmError
from finecrm.ml.scorecard.card import Card
from finecrm.ml.scorecard.model import Scorecard

SKOPS_FILE = "card.skops"
JSON_FILE = "card.json"
ALLOWED = frozenset({"numpy.dtype"})
_PARAMS = ("pdo", "base_score", "base_odds", "n_grades", "grade_labels", "min_iv", "max_correlation",
           "monotonic_trend", "max_n_bins", "min_bin_size", "special_codes", "c", "points_decimals", "pd_floor")


class CardFileError(FinecrmError):
    """A card file is missing, unreadable, contains types we do not load, or disagrees with its JSON card."""


def _json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)


def _atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_card(model: Scorecard, folder: Path) -> None:
    """Write ``card.skops`` and ``card.json`` of a fitted scorecard into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    card = model.card_.to_dict()
    state = {"card": _json(card), "params": _json({k: getattr(model, k) for k in _PARAMS})}
    if hasattr(model, "logistic_"):
        state["logistic"] = model.logistic_
    _atomic(folder / SKOPS_FILE, lambda tmp: sio.dump(state, tmp))
    _atomic(folder / JSON_FILE, lambda tmp: Path(tmp).write_text(_json(card) + "\n", encoding="utf-8"))


def load_card(folder: Path) -> Scorecard:
    """The scorecard saved in ``folder`` (from its skops file, checked against its JSON card)."""
    path = folder / SKOPS_FILE
    if not path.is_file():
        raise CardFileError(f"{path}: 没有评分卡文件 / no such card file")
    try:
        found = sorted(sio.get_untrusted_types(file=path))
    except Exception as exc:
        raise CardFileError(f"{path}: 不是可读的评分卡文件 / not a readable skops card file "
                            f"({type(exc).__name__}: {exc})") from None
    refused = [t for t in found if t not in ALLOWED]
    if refused:
        raise CardFileError(f"{path}: 文件含有不受信任的类型，拒绝加载 / the card file contains types finecrm does "
                            f"not load: {', '.join(refused)}; train the card again instead of copying files in")
    try:
        state = sio.load(path, trusted=found)
        card_doc = json.loads(state["card"])
        params = json.loads(state["params"])
    except Exception as exc:
        raise CardFileError(f"{path}: 评分卡文件无法加载 / the card file cannot be loaded "
                            f"({type(exc).__name__}: {exc})") from None
    readable = folder / JSON_FILE
    if readable.is_file():
        try:
            same = json.loads(readable.read_text(encoding="utf-8")) == card_doc
        except (json.JSONDecodeError, UnicodeDecodeError):
            same = False
        if not same:
            raise CardFileError(f"{readable}: 与 {SKOPS_FILE} 不一致（被修改过？）/ differs from {SKOPS_FILE} (edited by "
                                "hand?); a card is changed by training a new one")
    try:
        model = Scorecard.from_card(Card.from_dict(card_doc), params)
    except (KeyError, TypeError, ValueError) as exc:
        raise CardFileError(f"{path}: 评分卡内容不完整 / the card is incomplete ({exc})") from None
    if "logistic" in state:
        model.logistic_ = state["logistic"]
    return model
