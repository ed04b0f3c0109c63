"""The registry of scorecards (评分卡库) in the workspace's ``scorecards`` folder.

    scorecards/
      active.json            {"id": "sc002", "activated_at": …, "activated_by": …}
      sc001/card.skops       the fitted card (skops, loaded through an allow-list; no pickle)
      sc001/card.json        the same card, readable: variables, bins, points, scale, grades
      sc001/meta.json        inputs, split, parameters, selection, report, who and when
      sc002/…

A card is never changed or deleted by finecrm: a new training adds the next id. One card is active.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.ml.scorecard import Scorecard, load_card, save_card

ACTIVE = "active.json"
META = "meta.json"
_ID = re.compile(r"^sc(\d{3,})$")


class ScorecardNotFound(FinecrmError):
    """A card id that does not exist or is not an id."""


def folder(ws: Workspace) -> Path:
    return ws.home / "scorecards"


def check_id(text: str) -> str:
    """``sc001``, ``SC1`` or ``1`` → ``sc001``."""
    t = (text or "").strip().lower()
    if t.isdigit():
        t = f"sc{int(t):03d}"
    m = _ID.match(t)
    if not m:
        raise ScorecardNotFound(f"评分卡编号无效 / not a scorecard id: {text!r} (expected e.g. sc001 or 1)")
    return f"sc{int(m.group(1)):03d}"


def ids(ws: Workspace) -> list[str]:
    root = folder(ws)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and _ID.match(p.name) and (p / META).is_file()]
    return sorted(found, key=lambda i: int(i[2:]))


@contextmanager
def _locked(ws: Workspace) -> Iterator[None]:
    folder(ws).mkdir(parents=True, exist_ok=True)
    with (folder(ws) / ".registry.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _write_json(path: Path, doc: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def save(ws: Workspace, model: Scorecard, meta: dict[str, Any]) -> str:
    """Store a fitted card under the next id; returns it. The folder appears whole or not at all."""
    with _locked(ws):
        have = ids(ws)
        card_id = f"sc{(int(have[-1][2:]) + 1 if have else 1):03d}"
        tmp = folder(ws) / f".tmp-{card_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            save_card(model, tmp)
            _write_json(tmp / META, {**meta, "id": card_id})
            os.replace(tmp, folder(ws) / card_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return card_id


def read_meta(ws: Workspace, card_id: str) -> dict[str, Any]:
    cid = check_id(card_id)
    path = folder(ws) / cid / META
    if not path.is_file():
        have = ids(ws)
        raise ScorecardNotFound(f"没有评分卡 {cid} / no scorecard {cid} (cards: {', '.join(have) or 'none'}; see "
                                "'finecrm scorecard list')")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def load(ws: Workspace, card_id: str) -> tuple[dict[str, Any], Scorecard]:
    meta = read_meta(ws, card_id)
    return meta, load_card(folder(ws) / meta["id"])


def active(ws: Workspace) -> dict[str, Any] | None:
    path = folder(ws) / ACTIVE
    if not path.is_file():
        return None
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise FinecrmError(f"{path}: not valid JSON ({exc}); activate a card again") from None


def set_active(ws: Workspace, card_id: str, *, actor: str) -> tuple[str, str | None]:
    """Make ``card_id`` the active card; returns (when, the previous id)."""
    meta = read_meta(ws, card_id)
    load_card(folder(ws) / meta["id"])  # a card that cannot be loaded is never made active
    with _locked(ws):
        before = (active(ws) or {}).get("id")
        at = datetime.now(UTC).isoformat(timespec="seconds")
        _write_json(folder(ws) / ACTIVE, {"id": meta["id"], "activated_at": at, "activated_by": actor})
    return at, before
