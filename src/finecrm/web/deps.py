"""What every request goes through, in one place: sign-in, the route's declared action, CSRF, language.

``context`` is a dependency of the whole app (``main.create_app``), so no route can skip it:

1. the endpoint's action is read from its ``@declare`` (a route without one is refused with 500 —
   fail closed; a test also enumerates the routes so it never ships);
2. the session cookie is resolved (``services.auth.resolve_session``) and the principal built with its
   scope from the bank's branch and grid tables;
3. ``authz.require`` decides; not signed in → 401 (API) or the login page (HTML);
4. on state-changing methods the CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``)
   must equal the session's, for every route but the two sign-in endpoints, which have their own guard.

Routes then ask ``finecrm.services`` with ``ctx.principal``; the services ask ``authz`` again for rows
and masking. Nothing here imports the engine. The menu is ``web.nav``; the templates' environment and
filters are ``web.templating``.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from finecrm.authz import (
    AUTHENTICATED,
    PUBLIC,
    Forbidden,
    Principal,
    ScopeError,
    allowed,
    declared_action,
    require,
)
from finecrm.core.settings import Workspace
from finecrm.db.models import User, UserSession
from finecrm.services.access import auth, principals
from finecrm.services.common import MAX_ID
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import org_stamp
from finecrm.web.i18n import LANGUAGES, pick_language, translator
from finecrm.web.nav import navigation

#: The last page a list offers (100,000 pages of 200 rows is beyond any list a person pages through).
MAX_PAGE = 100_000
_ID_HELP = "记录编号（正整数）/ a record id (a positive whole number)"
#: Every record id in a path (``/campaigns/{campaign_id}``) or a query (``?campaign_id=``): bounded, so an
#: id of 20 digits gets a clear 422 and never a 500. The route-parameter test holds every route to them.
Id = Annotated[int, Path(ge=1, le=MAX_ID, description=_ID_HELP)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description=_ID_HELP)]
#: A page number of a list.
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码 / page number")]

SESSION_COOKIE = "finecrm_session"
LANG_COOKIE = "finecrm_lang"
LOGIN_CSRF_COOKIE = "finecrm_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """Not signed in (or the session ended): the API answers 401, pages go to the login form."""


class PasswordChangeRequired(Exception):
    """Signed in with a password an administrator set: every page but the change form redirects there."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


class UndeclaredRoute(Exception):
    """A route without a declared action reached the app (the route-coverage test should have caught it)."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """``web.trusted_proxies`` of finecrm.yaml (validated at load) as networks."""
    return tuple(ipaddress.ip_network(i, strict=False) for i in items)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The address a request came from: the one place it is decided (audit rows, the sign-in throttle).

    ``peer`` is the connection's address. ``X-Forwarded-For`` (``forwarded_for``: every such header, in
    order) is believed only when the connection comes from a trusted proxy (``web.trusted_proxies``, none
    by default); then the hops are read from the right, each proxy having appended the address it saw, and
    the first that is not itself a trusted proxy is the client. A hop that is no IP address stops the walk
    at the last address a trusted proxy vouched for. Anyone else's header is ignored: it is text the
    client chose.
    """
    if peer is None or not trusted:
        return peer
    current = _address(peer)
    if current is None or not any(current in net for net in trusted):
        return peer
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    found = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        found = str(address)
        if not any(address in net for net in trusted):
            break
    return found


@dataclass
class AppState:
    """Everything the routes share, built once by ``create_app``."""

    ws: Workspace
    engine: Engine
    sessions: sessionmaker[Session]
    serving: Serving
    demo: bool
    secure_cookies: bool
    templates: Jinja2Templates
    #: ``web.trusted_proxies``: whose X-Forwarded-For is believed (see :func:`client_address`).
    trusted_proxies: tuple[Network, ...] = ()
    #: What time it is for the use cases that count deadlines (complaints): the wall clock, which a test sets
    #: to a fixed moment to watch a complaint go overdue without waiting days.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _org: principals.Org | None = None
    _org_lock: threading.Lock = field(default_factory=threading.Lock)

    def org(self) -> principals.Org:
        """The bank's organisation data scopes are resolved from, re-read when an ingest changes it."""
        org = self._org
        if org is not None and org.stamp == org_stamp(self.ws):
            return org
        with self._org_lock:
            self._org = principals.load_org(self.ws)
            return self._org


@dataclass
class Ctx:
    """One request as the routes see it."""

    request: Request
    state: AppState
    db: Session
    action: str
    lang: str
    t: Callable[..., str]
    user: User | None = None
    session_row: UserSession | None = None
    principal: Principal | None = None
    login_csrf: str | None = None
    #: Set when the request's database session is closed: an error page rendered after that (a request
    #: refused by validation once the context was made) must not open a new connection nobody closes.
    closed: bool = False

    @property
    def serving(self) -> Serving:
        return self.state.serving

    @property
    def csrf(self) -> str:
        return self.session_row.csrf_token if self.session_row is not None else (self.login_csrf or "")

    @property
    def ip(self) -> str | None:
        """The client's address (see :func:`client_address`: forwarded headers only from trusted proxies)."""
        peer = self.request.client.host if self.request.client else None
        return client_address(peer, self.request.headers.getlist("x-forwarded-for"), self.state.trusted_proxies)

    def me(self) -> Principal:
        """The signed-in principal (routes that are not PUBLIC always have one)."""
        if self.principal is None:
            raise LoginRequired()
        return self.principal

    def may(self, action: str) -> bool:
        return allowed(self.principal, action)

    def badges(self) -> dict[str, int]:
        """Counts beside menu entries: the tasks due today (one count query; none for a fragment)."""
        if self.principal is None or self.closed or self.request.headers.get("hx-request"):
            return {}
        try:
            due = campaign_tasks.due_today(self.db, self.principal, tz=self.state.ws.settings.bank.timezone)
        except SQLAlchemyError:  # the menu never breaks a page (an error page after a failed transaction)
            return {}
        return {"/tasks": due} if due else {}

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        nav = navigation(self.principal, self.request.url.path, self.t, self.badges())
        return self.state.templates.TemplateResponse(
            self.request, template, {"ctx": self, "t": self.t, "lang": self.lang, "may": self.may,
                                     "nav": nav, **values},
            status_code=status_code,
        )


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request carries (header, else form field)."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def context(request: Request, csrf: str | None = Depends(submitted_csrf)) -> Iterator[Ctx]:
    state: AppState = request.app.state.finecrm
    endpoint = request.scope.get("endpoint")
    action = declared_action(endpoint) if endpoint is not None else None
    if action is None:
        raise UndeclaredRoute(request.url.path)
    lang = request.query_params.get("lang") or pick_language(request.cookies.get(LANG_COOKIE),
                                                             request.headers.get("accept-language"))
    if lang not in LANGUAGES:
        lang = "zh"
    db = state.sessions()
    ctx: Ctx | None = None
    try:
        ctx = Ctx(request=request, state=state, db=db, action=action, lang=lang, t=translator(lang),
                  login_csrf=request.cookies.get(LOGIN_CSRF_COOKIE))
        found = auth.resolve_session(db, token=request.cookies.get(SESSION_COOKIE), demo_mode=state.demo)
        if found is not None:
            ctx.user, ctx.session_row = found
            try:
                ctx.principal = principals.principal_of(ctx.user, state.org(), db)
            except ScopeError as exc:
                raise Forbidden(action, username=ctx.user.username, zh=f"权限范围无法确定：{exc}",
                                en=f"the access scope cannot be resolved: {exc}") from None
        db.commit()  # the sliding idle clock
        if action != PUBLIC:
            if ctx.principal is None:
                raise LoginRequired()
            if request.method not in SAFE_METHODS and (
                    ctx.session_row is None or not auth.check_csrf(ctx.session_row, csrf)):
                raise CsrfRefused()
            if ctx.user is not None and ctx.user.must_change_password and action != AUTHENTICATED:
                raise PasswordChangeRequired()
            require(ctx.principal, action)
        request.state.ctx = ctx
        yield ctx
        db.commit()
    except BaseException:
        # Detach the user and session rows first: the rollback would expire them, and the error page
        # rendered after this still shows who is signed in and carries the CSRF token.
        db.expunge_all()
        db.rollback()
        raise
    finally:
        db.close()
        if ctx is not None:
            ctx.closed = True


def set_session_cookie(response: Any, state: AppState, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, secure=state.secure_cookies,
                        samesite="lax", path="/")


def clear_session_cookie(response: Any, state: AppState) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=state.secure_cookies, samesite="lax")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What an export endpoint answers, for the API description (the endpoint returns ``xlsx_download`` itself).
XLSX_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "Excel 工作簿（脱敏，导出已记入审计日志）/ an Excel workbook, masked; the export is audited",
    "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def xlsx_download(ctx: Ctx, content: bytes, stem: str) -> Response:
    """An Excel file as a download named ``finecrm-<stem>-<UTC time>.xlsx``. The export's audit row is
    committed first: a file never leaves without its record."""
    ctx.db.commit()
    name = f"finecrm-{stem}-{datetime.now(UTC):%Y%m%d-%H%M%S}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
