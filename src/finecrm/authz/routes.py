"""Declaring the action each route, endpoint or command requires — framework-agnostic.

    @router.get("/customers/{customer_id}")
    @declare("view_customer")
    def customer_page(...): ...

``declare`` only records the action on the callable (``__finecrm_action__``) and checks that it exists
(at import time, so a typo fails before the app starts). Enforcement is one dependency in the web layer
that reads ``declared_action(route.endpoint)`` and calls ``decide.require``; a web test enumerates every
route and fails on any for which ``declared_action`` is ``None``. No-login routes say so with
``PUBLIC``; routes for any logged-in user (logout, own password) with ``AUTHENTICATED``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from finecrm.authz.actions import AUTHENTICATED, PUBLIC, check_action

__all__ = ["ACTION_ATTR", "AUTHENTICATED", "PUBLIC", "declare", "declared_action", "undeclared"]

ACTION_ATTR = "__finecrm_action__"

F = TypeVar("F", bound=Callable[..., Any])


def declare(action: str) -> Callable[[F], F]:
    """Decorator: ``fn`` requires ``action`` (a declared action, ``PUBLIC`` or ``AUTHENTICATED``)."""
    code = check_action(action, pseudo=True)

    def mark(fn: F) -> F:
        existing = getattr(fn, ACTION_ATTR, None)
        if existing is not None and existing != code:
            raise ValueError(f"{_name(fn)} already requires {existing!r}; one route, one action (got {code!r})")
        setattr(fn, ACTION_ATTR, code)
        return fn

    return mark


def declared_action(fn: Callable[..., Any]) -> str | None:
    """The action declared on ``fn`` (looking through ``functools.wraps`` and ``partial``), or ``None``."""
    seen: set[int] = set()
    current: Any = fn
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, ACTION_ATTR, None)
        if isinstance(code, str):
            return code
        if isinstance(current, functools.partial):
            current = current.func
        else:
            current = getattr(current, "__wrapped__", None)
    return None


def undeclared(fns: Iterable[Callable[..., Any]]) -> list[str]:
    """Names of the callables without a declared action (empty list: every route is declared)."""
    return [_name(fn) for fn in fns if declared_action(fn) is None]


def _name(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"
