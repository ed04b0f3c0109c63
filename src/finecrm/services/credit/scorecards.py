"""Scorecard use cases: train on a table, list, show, activate, score a file, export as SQL and Excel.

Every use case asks authz itself (``manage_scorecards``) and writes its audit event into the caller's
session — the command owns the transaction (services never commit). Audit details hold files, columns,
counts and measures, never an applicant's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.errors import FinecrmError
from finecrm.core.progress import SILENT, Progress
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.ml.scorecard import DIALECTS, Scorecard, card_sql, reason_text
from finecrm.ml.scorecard.report import (
    binning_table,
    discrimination,
    grade_counts,
    grade_table,
    psi,
    stability,
)
from finecrm.services.credit import registry
from finecrm.services.credit.inputs import ExportCard, InputError, ScoreBatch, TrainScorecard
from finecrm.services.credit.outputs import (
    ExportedCard,
    ScorecardActivation,
    ScorecardDoc,
    ScorecardRow,
    ScoredBatch,
)
from finecrm.services.credit.table import (
    CreditTableError,
    read_scoring_table,
    read_training_table,
    target,
    text_columns,
)

ACTION = "manage_scorecards"
MIN_CLASS = 20


def _split(spec: TrainScorecard, data: Any, y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Which rows are held out: a stratified random share, or with a time column the latest rows."""
    if spec.time_column:
        from finecrm.services.credit.table import _texts  # the column as text

        raw = _texts(data, spec.time_column)
        when = pd.to_datetime(pd.Series(raw, dtype=object).str.replace("/", "-", regex=False), errors="coerce")
        bad = when.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise CreditTableError(f"{spec.table}: column {spec.time_column!r}, {data.row_word} {int(data.rows[i])}: "
                                   f"{raw[i]!r} is not a date (expected e.g. 2026-03-31)")
        cut = np.sort(when.to_numpy())[int(np.floor(len(when) * (1 - spec.holdout)))]
        test = (when >= cut).to_numpy()
        return test, {"method": "later period", "time_column": spec.time_column,
                      "validation_from": str(pd.Timestamp(cut).date())}
    from sklearn.model_selection import train_test_split

    _, test_idx = train_test_split(np.arange(len(y)), test_size=spec.holdout, random_state=spec.seed, stratify=y)
    test = np.zeros(len(y), dtype=bool)
    test[test_idx] = True
    return test, {"method": "stratified random holdout", "share": spec.holdout, "seed": spec.seed}


def train_scorecard(ws: Workspace, session: Session, principal: Principal, spec: TrainScorecard, *, actor: str,
                    progress: Progress = SILENT) -> ScorecardDoc:
    """Train, validate on the held-out rows, store as the next card; returns its metadata and report."""
    require(principal, ACTION)
    with progress.task("读取训练表 reading the table", total=1) as t:
        table, data = read_training_table(spec.table, spec.target, time_column=spec.time_column,
                                          exclude=spec.exclude)
        y = target(table.name, data, spec.target, spec.bad_value)
        t.advance()
    if y.sum() < MIN_CLASS or (1 - y).sum() < MIN_CLASS:
        raise CreditTableError(f"{table.name}: column {spec.target!r} has {int(y.sum())} bad and {int((1 - y).sum())} "
                               f"good rows; at least {MIN_CLASS} of each are needed / 好坏样本各至少 {MIN_CLASS} 行")
    test, split = _split(spec, data, y)
    for part, mask in (("training", ~test), ("validation", test)):
        if len(np.unique(y[mask])) < 2:
            raise CreditTableError(f"{table.name}: the {part} part ({int(mask.sum())} rows) has only bad or only good "
                                   "rows; use more rows or another --time-column")
    x_train, x_test = table.x[~test].reset_index(drop=True), table.x[test].reset_index(drop=True)
    model = Scorecard(pdo=spec.pdo, base_score=spec.base_score, base_odds=spec.base_odds, n_grades=spec.grades,
                      min_iv=spec.min_iv, special_codes=list(spec.special_values) or None)
    with progress.task(f"最优分箱与回归 binning {len(table.used)} columns and fitting", total=1) as t:
        try:
            model.fit(x_train, y[~test])
        except ValueError as exc:
            raise CreditTableError(f"{table.name}: {exc}") from None
        t.advance()
    card = model.card_
    s_train, s_test = card.score(x_train), card.score(x_test)
    doc: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "created_by": actor,
        "inputs": {"file": str(Path(spec.table).resolve()), "format": data.fmt, "encoding": data.encoding,
                   "rows": len(y), "target_column": spec.target, "bad_value": spec.bad_value, "bads": int(y.sum())},
        "split": split,
        "params": {k: v for k, v in model.get_params().items() if k != "grade_labels"},
        "variables": {v.name: v.dtype for v in card.variables},
        "selection": model.selection_, "dropped": table.dropped,
        "train": discrimination(y[~test], s_train), "validation": discrimination(y[test], s_test),
        "stability": stability(card, x_train, x_test),
        "bins": binning_table(card), "grades": grade_table(card, s_test, y[test]),
        "training_grade_counts": [int(c) for c in grade_counts(card, s_train)],
    }
    with progress.task("保存评分卡 saving the card", total=1) as t:
        card_id = registry.save(ws, model, doc)
        t.advance()
    repositories.record_audit(session, actor=actor, action="scorecard_train", target=card_id, details={
        "file": doc["inputs"]["file"], "rows": len(y), "target_column": spec.target,
        "variables": list(doc["variables"]), "validation_auc": doc["validation"]["auc"]})
    return cast(ScorecardDoc, {**doc, "id": card_id, "active": False})


def list_scorecards(ws: Workspace, principal: Principal) -> list[ScorecardRow]:
    require(principal, ACTION)
    on = (registry.active(ws) or {}).get("id")
    rows: list[ScorecardRow] = []
    for cid in reversed(registry.ids(ws)):
        m = registry.read_meta(ws, cid)
        rows.append({"id": cid, "active": cid == on, "created_at": m["created_at"], "created_by": m["created_by"],
                     "file": Path(m["inputs"]["file"]).name, "target_column": m["inputs"]["target_column"],
                     "variables": len(m["variables"]), "auc": m["validation"]["auc"], "ks": m["validation"]["ks"],
                     "psi": m["stability"]["score_psi"]})
    return rows


def show_scorecard(ws: Workspace, principal: Principal, card_id: str) -> ScorecardDoc:
    require(principal, ACTION)
    meta = registry.read_meta(ws, card_id)
    meta["active"] = (registry.active(ws) or {}).get("id") == meta["id"]
    return cast(ScorecardDoc, meta)


def activate_scorecard(ws: Workspace, session: Session, principal: Principal, card_id: str, *,
                       actor: str) -> ScorecardActivation:
    require(principal, ACTION)
    cid = registry.check_id(card_id)
    at, before = registry.set_active(ws, cid, actor=actor)
    repositories.record_audit(session, actor=actor, action="scorecard_activate", target=cid,
                              details={"previous": before})
    return {"id": cid, "activated_at": at, "activated_by": actor, "previous": before}


def score_file(ws: Workspace, session: Session, principal: Principal, spec: ScoreBatch, *,
               actor: str) -> ScoredBatch:
    """Score every row of ``spec.table``; write its columns with score, grade, PD and reasons to ``spec.out``."""
    require(principal, ACTION)
    suffix = spec.out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"--out: 输出须为 .csv 或 .xlsx / the output must end in .csv or .xlsx, got {spec.out.name!r}")
    meta, model = registry.load(ws, spec.card_id)
    x, data = read_scoring_table(spec.table, meta["variables"])
    card = model.card_
    score = card.score(x)
    idx = card.grade_index(score)
    out = text_columns(data)
    out["score 评分"] = score
    out["grade 等级"] = [card.grades[i].label for i in idx]
    out["grade_pd 等级违约概率"] = [card.grades[i].pd for i in idx]
    out["probability_of_bad 坏账概率"] = card.scale.probability_of_bad(score)
    reasons = model.reasons(x, spec.reasons)
    for k in range(spec.reasons):
        out[f"reason_{k + 1} 原因"] = [reason_text(r[k]) if k < len(r) else "" for r in reasons]
    spec.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if suffix == ".csv":
            out.to_csv(spec.out, index=False, encoding="utf-8-sig")  # with a BOM: Excel opens Chinese headers right
        else:
            out.to_excel(spec.out, index=False, sheet_name="scores")
    except OSError as exc:
        raise FinecrmError(f"{spec.out}: 无法写入 / cannot be written ({exc.strerror or exc})") from None
    counts = np.bincount(idx, minlength=len(card.grades))
    batch_psi = psi(meta["training_grade_counts"], counts)
    repositories.record_audit(session, actor=actor, action="scorecard_score", target=meta["id"], details={
        "file": str(Path(spec.table).resolve()), "out": str(spec.out.resolve()), "rows": len(x), "psi": batch_psi})
    return {"id": meta["id"], "file": str(spec.table), "out": str(spec.out), "rows": len(x),
            "grades": [{"grade": g.label, "rows": int(c), "pd": g.pd} for g, c in zip(card.grades, counts, strict=True)],
            "mean_score": float(score.mean()) if len(score) else 0.0, "psi": batch_psi}


def export_card(ws: Workspace, session: Session, principal: Principal, spec: ExportCard, *,
                actor: str) -> ExportedCard:
    """The card as SQL text (in a dialect) and, with ``xlsx``, a workbook of the card, its scale and its SQL."""
    require(principal, ACTION)
    if spec.dialect not in DIALECTS:
        raise InputError(f"--dialect: 须为 {', '.join(DIALECTS)} 之一 / expected one of {', '.join(DIALECTS)}, got "
                         f"{spec.dialect!r}")
    meta, model = registry.load(ws, spec.card_id)
    sql = card_sql(model.card_, spec.table_name, dialect=spec.dialect,
                   title=f"finecrm scorecard {meta['id']} ({Path(meta['inputs']['file']).name}, {meta['created_at']})")
    if spec.xlsx is not None:
        write_workbook(spec.xlsx, meta, model, sql)
    repositories.record_audit(session, actor=actor, action="scorecard_export", target=meta["id"],
                              details={"dialect": spec.dialect, "xlsx": str(spec.xlsx) if spec.xlsx else None})
    return {"id": meta["id"], "dialect": spec.dialect, "sql": sql, "xlsx": str(spec.xlsx) if spec.xlsx else None}


def write_workbook(path: Path, meta: dict[str, Any], model: Scorecard, sql: str) -> None:
    """Sheets: card (every bin with its points), variables, scale (grades), sql (one line per row)."""
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"--xlsx: 须为 .xlsx 文件 / expected a .xlsx file, got {path.name!r}")
    card = model.card_
    bins = pd.DataFrame(binning_table(card)).rename(columns={
        "variable": "变量 variable", "bin": "分箱 bin", "kind": "类型 kind", "count": "样本数 count", "share": "占比 share",
        "bads": "坏样本 bads", "bad_rate": "坏账率 bad rate", "woe": "WoE", "iv": "IV", "points": "分值 points"})
    variables = pd.DataFrame([{"变量 variable": v.name, "类型 dtype": v.dtype, "IV": v.iv, "系数 coefficient": v.coefficient,
                               "趋势 trend": v.trend} for v in card.variables])
    scale = pd.DataFrame([{"等级 grade": g.label, "最低分 min score": g.min_score, "最高分（不含）max score": g.max_score,
                           "违约概率 PD": g.pd, "训练样本 rows": g.count, "坏样本 bads": g.bads} for g in card.grades])
    s = card.scale
    about = pd.DataFrame([("评分卡 card", meta["id"]), ("训练文件 file", meta["inputs"]["file"]),
                          ("训练时间 created", meta["created_at"]), ("PDO", s.pdo), ("基准分 base score", s.base_score),
                          ("基准好坏比 base odds", f"{s.base_odds:g}:1"),
                          ("验证 AUC", meta["validation"]["auc"]), ("验证 KS", meta["validation"]["ks"])],
                         columns=["项目 item", "值 value"])
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with pd.ExcelWriter(path) as xl:
            about.to_excel(xl, sheet_name="about", index=False)
            bins.to_excel(xl, sheet_name="card", index=False)
            variables.to_excel(xl, sheet_name="variables", index=False)
            scale.to_excel(xl, sheet_name="scale", index=False)
            pd.DataFrame({"SQL": sql.splitlines()}).to_excel(xl, sheet_name="sql", index=False)
    except OSError as exc:
        raise FinecrmError(f"{path}: 无法写入 / cannot be written ({exc.strerror or exc})") from None
