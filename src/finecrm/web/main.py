"""The workbench app. ``ROUTERS`` is the table of contents, by area: every page and endpoint lives in one of them.

``create_app`` wires the workspace, the operational database, the serving copy of the published
snapshot and the one dependency every route passes (``deps.context``: sign-in, declared action, CSRF).
Error pages and JSON errors are mapped here, so a refusal looks the same everywhere: 403 for a function
the role does not have, 404 for a customer that does not exist *or* is outside the user's scope.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from finecrm.authz import Forbidden, NotFound
from finecrm.core.errors import FinecrmError
from finecrm.db.session import make_engine, migrate, session_factory
from finecrm.services.snapshot.serving import NoSnapshot, Serving
from finecrm.services.workspace import open_workspace
from finecrm.web import deps
from finecrm.web.i18n import LANGUAGES, pick_language, translator
from finecrm.web.routes import api_docs
from finecrm.web.routes.access import audit, auth, users
from finecrm.web.routes.aml import alerts, cases
from finecrm.web.routes.collections import oversight
from finecrm.web.routes.collections import queue as collection_queue
from finecrm.web.routes.credit import approvals, loans, warnings
from finecrm.web.routes.customers import dashboard, profile, rules, segments
from finecrm.web.routes.data import status
from finecrm.web.routes.kpi import ranking as kpi_ranking
from finecrm.web.routes.kpi import targets as kpi_targets
from finecrm.web.routes.marketing import audiences, campaigns, models, tasks
from finecrm.web.routes.service import complaints, feedback, quality, surveys
from finecrm.web.routes.workbench import home as workbench_home
from finecrm.web.routes.workbench import log as work_log
from finecrm.web.routes.workbench import referrals as lobby_referrals
from finecrm.web.templating import make_templates

ROUTERS = (
    # access 登录与权限 / sign-in and access
    auth.router,  # sign-in, sign-out, language, own password, health
    audit.router,  # 审计日志 / audit log
    users.router,  # 用户管理 / users
    # customers 客户 / customers
    dashboard.router,  # 首页总览 / dashboard
    profile.router,  # 客户查询与客户全貌 / customer search and 360
    segments.router,  # 分层分群 / segment explorer and export
    rules.router,  # 规则写法 / the rule help: columns, operators, functions, examples
    # marketing 营销 / marketing
    audiences.router,  # 目标客群 / audiences: saved, versioned rule lists
    models.router,  # 倾向模型 / propensity models: registry, reports, training, activation
    campaigns.router,  # 营销活动 / campaigns: draw, assign, detect, evaluate
    tasks.router,  # 我的任务 / a manager's campaign tasks and outcomes
    # workbench 客户经理工作台 / the customer manager's workbench
    workbench_home.router,  # 工作台与走访计划 / the manager's home, the month's visit plan and its statistics
    work_log.router,  # 工作日志 / the work log: list, Excel, the form recording a visit, call, message or meeting
    lobby_referrals.router,  # 大堂转介 / referrals from the lobby: recorded, taken, followed up by the next working day
    # credit 信贷 / credit
    loans.router,  # 信贷资产 / the loan book by five categories, a loan's file, category changes
    approvals.router,  # 分类调整复核 / approving changes toward a less severe category
    warnings.router,  # 贷款风险预警 / loan early warnings and the work on them
    # collections 催收 / collections
    collection_queue.router,  # 催收队列 / the collector's queue, a loan's card, contacts, promises, letters
    oversight.router,  # 催收督导 / the risk officer's oversight and reassignment
    # service 服务质量 / service quality
    complaints.router,  # 投诉处理 / complaints: intake, queue (overdue first), a complaint's history and handling
    feedback.router,  # 需求反馈 / needs fed back to product owners
    quality.router,  # 服务质量指标 / service-quality indicators by branch and staff
    surveys.router,  # 满意度调查 / surveys: sample draw, results on five dimensions, staff entry, the customer's link
    # kpi 绩效考核
    kpi_ranking.router,  # 考核排名与业绩通报 / the ranking of branches and managers, the report as Excel
    kpi_targets.router,  # 考核目标 / the month's targets: set, imported from Excel
    # aml 反洗钱 / anti-money laundering
    alerts.router,  # 反洗钱预警与大额交易报告 / typology alerts with their evidence, large-value reports
    cases.router,  # 反洗钱案件 / triage, cases and the report decided by two officers
    # data 数据 / data
    status.router,  # 数据状态 / data status
    # the app's own
    api_docs.router,  # OpenAPI behind sign-in
)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(home: str | Path | None = None, *, demo: bool = False, secure_cookies: bool = True) -> FastAPI:
    ws = open_workspace(home)
    engine = make_engine(ws.database_url)
    migrate(engine)
    state = deps.AppState(ws=ws, engine=engine, sessions=session_factory(engine), serving=Serving(ws), demo=demo,
                          secure_cookies=secure_cookies, templates=make_templates(),
                          trusted_proxies=deps.proxy_networks(ws.settings.web.trusted_proxies))
    app = FastAPI(title="finecrm 客户精细化管理 API", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(deps.context)])
    app.state.finecrm = state
    for router in ROUTERS:
        app.include_router(router)
    # Static files are the vendored libraries, styles and scripts: public like the login page that needs them.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _errors(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        return secure(request, await call_next(request))

    return app


def secure(request: Request, response: Response) -> Response:
    """The security headers every answer carries: pages, JSON, files and every error (the 500 handler
    runs outside the middleware, so it calls this itself)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")  # pages hold personal data
    return response


_log = logging.getLogger("finecrm.web")
INTERNAL_ERROR = ("内部错误，请求未完成；系统管理员可在服务日志中查到原因 / internal error: the request was not "
                  "completed; the administrator finds the cause in the server's log")
INVALID_REQUEST = "请求参数无效 / invalid request parameters"


def iter_routes(routes: Any) -> Any:
    """Every route of the app, looking inside included routers (FastAPI keeps them as wrappers).

    The route-coverage test walks this, so a router added to ROUTERS is covered without more work.
    """
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from iter_routes(inner.routes)
        else:
            yield route


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, template: str, status: int, **values: Any) -> HTMLResponse:
    state: deps.AppState = request.app.state.finecrm
    ctx = getattr(request.state, "ctx", None)
    if ctx is not None:
        return ctx.render(template, status_code=status, **values)
    lang = request.query_params.get("lang") or pick_language(request.cookies.get(deps.LANG_COOKIE),
                                                             request.headers.get("accept-language"))
    lang = lang if lang in LANGUAGES else "zh"
    t = translator(lang)
    return state.templates.TemplateResponse(
        request, template, {"ctx": None, "t": t, "lang": lang, "may": lambda a: False, "nav": [], **values},
        status_code=status)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(deps.LoginRequired)
    async def login_required(request: Request, exc: deps.LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "login_required", "message": "请先登录 / please sign in"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(deps.PasswordChangeRequired)
    async def must_change(request: Request, exc: deps.PasswordChangeRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "password_change_required",
                                 "message": "请先修改密码 / change your password first"}, status_code=403)
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(deps.CsrfRefused)
    async def csrf_refused(request: Request, exc: deps.CsrfRefused) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "csrf", "message": "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token"},
                                status_code=403)
        return _page(request, "errors/error.html", 403, title_key="error.csrf.title", message_key="error.csrf.body")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "forbidden", "action": exc.action, "message": str(exc)}, status_code=403)
        return _page(request, "errors/error.html", 403, title_key="error.403.title", message_key="error.403.body",
                     detail=str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _not_found(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _not_found(request)
        if _is_api(request):
            return JSONResponse({"error": "http", "message": str(exc.detail)}, status_code=exc.status_code)
        return _page(request, "errors/error.html", exc.status_code, title_key="error.generic.title",
                     message_key="error.generic.body", detail=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        if _is_api(request):
            return JSONResponse({"error": "invalid_request", "message": INVALID_REQUEST, "problems": problems},
                                status_code=422)
        return _page(request, "errors/error.html", 422, title_key="error.invalid.title",
                     message_key="error.invalid.body", detail="; ".join(problems))

    @app.exception_handler(NoSnapshot)
    async def no_snapshot(request: Request, exc: NoSnapshot) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "no_snapshot", "message": str(exc)}, status_code=503)
        return _page(request, "errors/error.html", 503, title_key="error.nodata.title",
                     message_key="error.nodata.body", detail=str(exc))

    @app.exception_handler(deps.UndeclaredRoute)
    async def undeclared(request: Request, exc: deps.UndeclaredRoute) -> Response:
        return JSONResponse({"error": "undeclared_route", "path": str(exc)}, status_code=500)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        # Starlette answers from outside every middleware here: add the security headers ourselves, and say
        # nothing of the cause (it is logged with its traceback for the administrator).
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if _is_api(request):
            return secure(request, JSONResponse({"error": "internal_error", "message": INTERNAL_ERROR},
                                                status_code=500))
        try:
            page: Response = _page(request, "errors/error.html", 500, title_key="error.500.title",
                                   message_key="error.500.body", detail=INTERNAL_ERROR)
        except Exception:  # the error page itself failed: plain text, still with the headers
            page = PlainTextResponse(INTERNAL_ERROR, status_code=500)
        return secure(request, page)

    @app.exception_handler(FinecrmError)
    async def bad_request(request: Request, exc: FinecrmError) -> Response:
        # 400 unless the error says otherwise (e.g. 429 for too many searches by personal data).
        status = int(getattr(exc, "http_status", 400))
        if _is_api(request):
            return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, status_code=status)
        return _page(request, "errors/error.html", status, title_key="error.invalid.title",
                     message_key="error.invalid.body", detail=str(exc))


def _not_found(request: Request) -> Response:
    # The same answer for "no such customer" and "not yours": existence must not leak.
    if _is_api(request):
        return JSONResponse({"error": "not_found", "message": "未找到 / not found"}, status_code=404)
    return _page(request, "errors/error.html", 404, title_key="error.404.title", message_key="error.404.body")
