"""The API's OpenAPI description and Swagger UI, for signed-in users only, with locally served assets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from finecrm.authz import AUTHENTICATED, declare
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
SWAGGER = "/static/vendor/swagger-ui-5.18.2"


@router.get("/api/openapi.json", include_in_schema=False)
@declare(AUTHENTICATED)
def openapi(ctx: C) -> dict[str, Any]:
    schema: dict[str, Any] = ctx.request.app.openapi()
    return schema


@router.get("/api/docs", include_in_schema=False)
@declare(AUTHENTICATED)
def docs(ctx: C) -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="finecrm API",
                               swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                               swagger_css_url=f"{SWAGGER}/swagger-ui.css", swagger_favicon_url="/static/favicon.svg")
    # Swagger UI starts from one inline script; this page alone allows it (it shows no customer data).
    page.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
    return page
