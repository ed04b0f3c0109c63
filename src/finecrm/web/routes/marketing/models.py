"""倾向模型 / propensity models: the registry, a version's validation report, training and activation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import NotFound, declare
from finecrm.services.marketing import model_registry, propensity
from finecrm.services.marketing.outputs import Activation, ModelVersion, TargetModels, TrainedModel
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


def _show(ctx: Ctx, target: str, version: str) -> ModelVersion:
    if target not in {t.code for t in ctx.state.ws.settings.marketing.targets} or \
            version not in model_registry.versions(ctx.state.ws, target):
        raise NotFound("模型版本", "model version", f"{target} {version}")
    return model_registry.show(ctx.state.ws, target, version)


def _targets(ctx: Ctx) -> list[TargetModels]:
    return model_registry.by_target(ctx.state.ws)


@router.get("/models", include_in_schema=False)
@declare("manage_models")
def models_page(ctx: C) -> Response:
    return ctx.render("marketing/models/index.html", targets=_targets(ctx),
                      horizon=ctx.state.ws.settings.marketing.horizon_days)


@router.get("/models/{target}/{version}", include_in_schema=False)
@declare("manage_models")
def version_page(ctx: C, target: str, version: str) -> Response:
    meta = _show(ctx, target, version)
    return ctx.render("marketing/models/detail.html", m=meta)


@router.post("/models/{target}/train", include_in_schema=False)
@declare("manage_models")
def train_page(ctx: C, target: str) -> Response:
    # Training reads the published snapshot and takes seconds to a few minutes (sampled at large banks).
    meta = propensity.train_target(ctx.state.ws, target, actor=ctx.me().username)
    return RedirectResponse(f"/models/{target}/{meta['version']}", status_code=303)


@router.post("/models/{target}/{version}/activate", include_in_schema=False)
@declare("manage_models")
def activate_page(ctx: C, target: str, version: str) -> Response:
    model_registry.activate(ctx.state.ws, target, version, actor=ctx.me().username)
    return RedirectResponse(f"/models/{target}/{version}?activated=1", status_code=303)


@router.get("/api/models", tags=["marketing"])
@declare("manage_models")
def models_api(ctx: C) -> list[TargetModels]:
    """Configured targets with their stored versions (validation AUC, rows) and the active version."""
    return _targets(ctx)


@router.get("/api/models/{target}/{version}", tags=["marketing"])
@declare("manage_models")
def version_api(ctx: C, target: str, version: str) -> ModelVersion:
    """A version's metadata and report: training cut-offs, validation window, AUC, deciles, calibration,
    top features."""
    return _show(ctx, target, version)


@router.post("/api/models/{target}/train", tags=["marketing"])
@declare("manage_models")
def train_api(ctx: C, target: str, activate: bool = False) -> TrainedModel:
    """Train a new version from the published snapshot (audited); `?activate=true` makes it active."""
    return propensity.train_target(ctx.state.ws, target, actor=ctx.me().username, activate=activate)


@router.post("/api/models/{target}/{version}/activate", tags=["marketing"])
@declare("manage_models")
def activate_api(ctx: C, target: str, version: str) -> Activation:
    """Make a version the active model of its target; the next build scores with it (audited)."""
    return model_registry.activate(ctx.state.ws, target, version, actor=ctx.me().username)
