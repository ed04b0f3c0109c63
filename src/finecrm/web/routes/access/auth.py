"""Sign-in and sign-out (form and JSON), language switch, own password and sessions, health check."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from finecrm.authz import AUTHENTICATED, PUBLIC, declare
from finecrm.services.access import auth as auth_service
from finecrm.services.access import sessions as session_service
from finecrm.services.access import users as user_service
from finecrm.services.access.inputs import Credentials
from finecrm.services.access.outputs import (
    Me,
    OpenSession,
    OtherSessionsEnded,
    SignedIn,
    SignedOut,
    SignInRefused,
)
from finecrm.web.deps import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    clear_session_cookie,
    context,
    set_session_cookie,
)
from finecrm.web.i18n import LANGUAGES
from finecrm.web.nav import home_path

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


def _safe_next(target: str | None) -> str | None:
    """Only local paths: a login link must not bounce the user to another site."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/healthz", include_in_schema=False)
@declare(PUBLIC)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/", include_in_schema=False)
@declare(AUTHENTICATED)
def root(ctx: C) -> Response:
    target = home_path(ctx.me())
    if target is None:
        return ctx.render("home.html")
    return RedirectResponse(target, status_code=303)


def _login_page(ctx: C, *, error: str | None = None, next_path: str | None = None, status: int = 200) -> Response:
    token = ctx.login_csrf or secrets.token_urlsafe(32)
    ctx.login_csrf = token
    response = ctx.render("access/auth/login.html", status_code=status, error=error, next_path=next_path or "",
                          demo=ctx.state.demo)
    # Double-submit token for the sign-in form (there is no session yet to hold one).
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, secure=ctx.state.secure_cookies, samesite="strict",
                        path="/login")
    return response


@router.get("/login", include_in_schema=False)
@declare(PUBLIC)
def login_form(ctx: C, next: str | None = None) -> Response:
    if ctx.principal is not None:
        return RedirectResponse(_safe_next(next) or home_path(ctx.principal) or "/", status_code=303)
    return _login_page(ctx, next_path=_safe_next(next))


@router.post("/login", include_in_schema=False)
@declare(PUBLIC)
def login_submit(
    ctx: C,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    expected = ctx.request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(ctx, error=ctx.t("login.expired"), next_path=_safe_next(next), status=400)
    result = _attempt(ctx, username, password)
    if not result.ok or result.token is None or result.user is None:
        return _login_page(ctx, error=result.message, next_path=_safe_next(next), status=401)
    principal_home = "/account/password" if result.must_change_password else (_safe_next(next) or "/")
    response = _signed_in(ctx, RedirectResponse(principal_home, status_code=303), result)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _attempt(ctx: Ctx, username: str, password: str) -> auth_service.LoginResult:
    """One sign-in attempt (form or JSON), committed either way: failures feed the lockout counter."""
    result = auth_service.login(ctx.db, username=username, password=password, ip=ctx.ip,
                                user_agent=ctx.request.headers.get("user-agent"), demo_mode=ctx.state.demo)
    ctx.db.commit()
    return result


def _signed_in(ctx: Ctx, response: Response, result: auth_service.LoginResult) -> Response:
    assert result.token is not None
    set_session_cookie(response, ctx.state, result.token, int(auth_service.ABSOLUTE_TIMEOUT.total_seconds()))
    return response


def _signed_out(ctx: Ctx, response: Response) -> Response:
    auth_service.logout(ctx.db, token=ctx.request.cookies.get(SESSION_COOKIE))
    ctx.db.commit()
    clear_session_cookie(response, ctx.state)
    return response


@router.post("/logout", include_in_schema=False)
@declare(AUTHENTICATED)
def logout(ctx: C) -> Response:
    return _signed_out(ctx, RedirectResponse("/login", status_code=303))


@router.get("/lang/{code}", include_in_schema=False)
@declare(PUBLIC)
def switch_language(ctx: C, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


@router.get("/account/password", include_in_schema=False)
@declare(AUTHENTICATED)
def password_form(ctx: C, ended: Annotated[int | None, Query(ge=0, le=9999)] = None) -> Response:
    return _password_page(ctx, ended=ended)


def _password_page(ctx: Ctx, *, error: str | None = None, done: bool = False, status_code: int = 200,
                   ended: int | None = None) -> Response:
    """The password page, with the user's open sessions and the "sign out other sessions" button."""
    user = ctx.user
    assert user is not None
    mine = session_service.open_sessions(ctx.db, user=user, token=ctx.request.cookies.get(SESSION_COOKIE))
    return ctx.render("access/auth/password.html", status_code=status_code, error=error, done=done,
                      sessions=mine, others=sum(not s["current"] for s in mine),
                      ended=ended)


@router.post("/account/password", include_in_schema=False)
@declare(AUTHENTICATED)
def password_submit(
    ctx: C,
    current: Annotated[str, Form(max_length=200)] = "",
    new: Annotated[str, Form(max_length=200)] = "",
    repeat: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    user = ctx.user
    assert user is not None
    if new != repeat:
        return _password_page(ctx, status_code=400, error=ctx.t("password.mismatch"))
    try:
        user_service.change_password(ctx.db, username=user.username, current_password=current, new_password=new,
                                     keep_token=ctx.request.cookies.get(SESSION_COOKIE), ip=ctx.ip,
                                     user_agent=ctx.request.headers.get("user-agent"))
    except user_service.CurrentPasswordRefused as exc:
        ctx.db.commit()  # the failure counts towards the lockout: keep it
        response = _password_page(ctx, status_code=exc.http_status, error=str(exc))
        if exc.check.sessions_revoked:
            clear_session_cookie(response, ctx.state)
        return response
    except user_service.UserError as exc:
        ctx.db.rollback()
        return _password_page(ctx, status_code=400, error=str(exc))
    ctx.db.commit()
    return _password_page(ctx, done=True)


@router.post("/account/sessions/sign-out-others", include_in_schema=False)
@declare(AUTHENTICATED)
def sign_out_others_submit(ctx: C) -> Response:
    """End every other session of the signed-in user; back to the password page saying how many ended."""
    ended = _sign_out_others(ctx)
    return RedirectResponse(f"/account/password?ended={ended}", status_code=303)


def _sign_out_others(ctx: Ctx) -> int:
    user = ctx.user
    assert user is not None
    ended = session_service.sign_out_other_sessions(ctx.db, user=user, token=ctx.request.cookies.get(SESSION_COOKIE),
                                                    ip=ctx.ip)
    ctx.db.commit()
    return ended


# --- JSON -------------------------------------------------------------------------------------------


_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": SignInRefused, "description": "用户名或密码错误 / wrong user name or password"},
    415: {"description": "须为 JSON / the body must be JSON"},
    429: {"model": SignInRefused, "description": "已锁定或尝试过多 / locked out, or too many attempts"},
}


@router.post("/api/auth/login", tags=["auth"], response_model=SignedIn, responses=_REFUSED)
@declare(PUBLIC)
def api_login(ctx: C, body: Credentials) -> Response:
    """Sign in with JSON. Returns the CSRF token for later state-changing calls (header X-CSRF-Token) and
    sets the session cookie. JSON only: a cross-site form cannot send it, so it needs no CSRF token."""
    if not ctx.request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": "json_required"}, status_code=415)
    result = _attempt(ctx, body.username, body.password)
    if not result.ok or result.token is None or result.user is None:
        status = 429 if result.reason in (auth_service.LOCKOUT, auth_service.LOCKED, auth_service.IP_THROTTLED) else 401
        return JSONResponse({"error": result.reason, "message": result.message}, status_code=status)
    payload: SignedIn = {
        "username": result.user.username, "role": result.user.role, "csrf_token": result.csrf_token,
        "expires_at": result.expires_at.isoformat() if result.expires_at else None,
        "must_change_password": result.must_change_password,
    }
    return _signed_in(ctx, JSONResponse(payload), result)


@router.post("/api/auth/logout", tags=["auth"], response_model=SignedOut)
@declare(AUTHENTICATED)
def api_logout(ctx: C) -> Response:
    """End the session (its cookie is cleared)."""
    done: SignedOut = {"ok": True}
    return _signed_out(ctx, JSONResponse(done))


@router.get("/api/me", tags=["auth"])
@declare(AUTHENTICATED)
def api_me(ctx: C) -> Me:
    from finecrm.services.access.principals import describe

    return {**describe(ctx.me()), "csrf_token": ctx.csrf}


@router.get("/api/me/sessions", tags=["auth"])
@declare(AUTHENTICATED)
def api_my_sessions(ctx: C) -> list[OpenSession]:
    """Where you are signed in: your open sessions, newest first (``current``: this one)."""
    user = ctx.user
    assert user is not None
    return session_service.open_sessions(ctx.db, user=user, token=ctx.request.cookies.get(SESSION_COOKIE))


@router.post("/api/me/sessions/sign-out-others", tags=["auth"])
@declare(AUTHENTICATED)
def api_sign_out_others(ctx: C) -> OtherSessionsEnded:
    """End every session of yours but this one (audited as sessions_revoked)."""
    return {"ended": _sign_out_others(ctx)}
