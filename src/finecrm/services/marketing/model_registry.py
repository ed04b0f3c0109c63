"""The registry of propensity models (模型库) in the workspace's ``models`` folder.

    models/
      active.json                    {"mobile_banking": {"version": "v002", "activated_at": …, "activated_by": …}}
      mobile_banking/v001/model.skops   the fitted pipeline (skops; loaded through an allow-list)
      mobile_banking/v001/meta.json     target, features, cut-offs, windows, report, snapshot, who and when
      mobile_banking/v002/…

Versions are never changed or deleted by finecrm: a new training adds ``v<NNN+1>``. One version per
target is active (``active.json``, replaced atomically); the build scores customers with the active
versions. Training and activation are written to the audit log (``model_train``, ``model_activate``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.ml.propensity import FeatureSpec, PropensityModel, load_pipeline, save_pipeline
from finecrm.services.marketing.outputs import Activation, ModelRow, ModelVersion, TargetModels

ACTIVE = "active.json"
MODEL_FILE = "model.skops"
META_FILE = "meta.json"
_VERSION = re.compile(r"^v(\d{3,})$")
_TARGET = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class RegistryError(FinecrmError):
    """A model version or target that does not exist, or a registry that cannot be written."""


@dataclass(frozen=True)
class LoadedModel:
    target: str
    version: str
    meta: dict[str, Any]
    model: PropensityModel


def _check_target(target: str) -> str:
    if not _TARGET.match(target or ""):
        raise RegistryError(f"模型目标名称无效 / not a model target name: {target!r} (lower-case letters, digits, _)")
    return target


def _check_version(version: str) -> str:
    v = (version or "").strip()
    if v.isdigit():
        v = f"v{int(v):03d}"
    if not _VERSION.match(v):
        raise RegistryError(f"版本号无效 / not a version: {version!r} (expected e.g. v001 or 1)")
    return v


@contextmanager
def _locked(ws: Workspace) -> Iterator[None]:
    ws.models.mkdir(parents=True, exist_ok=True)
    with (ws.models / ".registry.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _write_json(path: Path, doc: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def versions(ws: Workspace, target: str) -> list[str]:
    folder = ws.models / _check_target(target)
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and _VERSION.match(p.name) and (p / META_FILE).is_file()]
    return sorted(found, key=lambda v: int(v[1:]))


def targets(ws: Workspace) -> list[str]:
    if not ws.models.is_dir():
        return []
    return sorted(p.name for p in ws.models.iterdir() if p.is_dir() and _TARGET.match(p.name))


def save(ws: Workspace, target: str, model: PropensityModel, meta: dict[str, Any]) -> str:
    """Store a fitted model as the next version of ``target``; returns the version (e.g. ``v003``)."""
    _check_target(target)
    with _locked(ws):
        have = versions(ws, target)
        version = f"v{(int(have[-1][1:]) + 1 if have else 1):03d}"
        folder = ws.models / target / version
        tmp = ws.models / target / f".tmp-{version}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            save_pipeline(model.pipeline_, tmp / MODEL_FILE)
            _write_json(tmp / META_FILE, {**meta, "target": target, "version": version})
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return version


def read_meta(ws: Workspace, target: str, version: str) -> dict[str, Any]:
    v = _check_version(version)
    path = ws.models / _check_target(target) / v / META_FILE
    if not path.is_file():
        have = versions(ws, target)
        listed = ", ".join(have) if have else "none"
        raise RegistryError(f"没有模型 {target} {v} / no model {target} {v} (versions: {listed}; see 'finecrm model "
                            "list')")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def active(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Active version per target: ``{target: {"version", "activated_at", "activated_by"}}``."""
    path = ws.models / ACTIVE
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc}); restore it or activate the models again") from None
    return {k: dict(v) for k, v in doc.items()}


def activate(ws: Workspace, target: str, version: str, *, actor: str) -> Activation:
    """Make ``version`` the active model of ``target`` (the next build scores with it); audited."""
    v = _check_version(version)
    configured = [t.code for t in ws.settings.marketing.targets]
    if target not in configured:
        raise RegistryError(f"{target} 不是已配置的营销目标 / {target} is not a configured marketing target "
                            f"(marketing.targets in {ws.config_path}: {', '.join(configured) or 'none'})")
    meta = read_meta(ws, target, v)
    with _locked(ws):
        current = active(ws)
        before = current.get(target, {}).get("version")
        at = datetime.now(UTC).isoformat()
        current[target] = {"version": v, "activated_at": at, "activated_by": actor}
        _write_json(ws.models / ACTIVE, current)
    auc = (meta.get("metrics") or {}).get("auc")
    record(ws, actor=actor, action="model_activate", target=f"{target} {v}",
           details={"target": target, "version": v, "previous": before, "validation_auc": auc})
    return {"target": target, "version": v, "activated_at": at, "activated_by": actor, "previous": before}


def list_models(ws: Workspace) -> list[ModelRow]:
    """One row per stored version, newest first within each target, with the active one marked."""
    on = active(ws)
    rows: list[ModelRow] = []
    for target in targets(ws):
        for v in reversed(versions(ws, target)):
            meta = read_meta(ws, target, v)
            metrics = meta.get("metrics") or {}
            rows.append({
                "target": target, "version": v, "active": on.get(target, {}).get("version") == v,
                "algorithm": meta.get("algorithm"), "created_at": meta.get("created_at"),
                "created_by": meta.get("created_by"), "auc": metrics.get("auc"),
                "validation_rows": metrics.get("validation_rows"), "train_rows": metrics.get("train_rows"),
                "build_id": (meta.get("data") or {}).get("build_id"), "source": meta.get("source", "snapshot"),
            })
    return rows


def by_target(ws: Workspace) -> list[TargetModels]:
    """Every configured target with its stored versions (newest first) and the active one."""
    rows = list_models(ws)
    out: list[TargetModels] = []
    for t in ws.settings.marketing.targets:
        versions = [r for r in rows if r["target"] == t.code]
        out.append({"code": t.code, "zh": t.zh, "en": t.en, "kind": t.kind, "match": t.match, "value": t.value,
                    "versions": versions, "active": next((r for r in versions if r["active"]), None)})
    return out


def show(ws: Workspace, target: str, version: str | None = None) -> ModelVersion:
    """A version's metadata and report (default: the active version, else the latest)."""
    _check_target(target)
    if version is None:
        version = active(ws).get(target, {}).get("version")
        if version is None:
            have = versions(ws, target)
            if not have:
                raise RegistryError(f"{target} 还没有模型 / no model for {target} yet: run 'finecrm model train "
                                    f"--product {target}'")
            version = have[-1]
    meta = read_meta(ws, target, version)
    meta["active"] = active(ws).get(target, {}).get("version") == meta["version"]
    return cast(ModelVersion, meta)  # meta.json as train_target wrote it


def load(ws: Workspace, target: str, version: str) -> LoadedModel:
    meta = read_meta(ws, target, version)
    pipeline = load_pipeline(ws.models / target / meta["version"] / MODEL_FILE)
    model = PropensityModel.from_fitted(pipeline, FeatureSpec.from_dict(meta["features"]), meta["algorithm"],
                                        meta.get("explain") or {})
    return LoadedModel(target, meta["version"], meta, model)


def load_active(ws: Workspace) -> dict[str, LoadedModel]:
    """The active model of every configured target that has one."""
    configured = [t.code for t in ws.settings.marketing.targets]
    on = active(ws)
    return {t: load(ws, t, on[t]["version"]) for t in configured if t in on}


def record(ws: Workspace, *, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    """Append an audit event (no customer data: targets, versions, counts, metrics)."""
    from finecrm.db import repositories
    from finecrm.db.session import make_engine, session_factory

    engine = make_engine(ws.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            repositories.record_audit(session, actor=actor, action=action, target=target, details=details)
    finally:
        engine.dispose()
