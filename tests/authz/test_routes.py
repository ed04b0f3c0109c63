"""Declaring the action of a route: explicit, checked at import time, readable by a route-listing test."""

from __future__ import annotations

import functools

import pytest

from finecrm.authz import AUTHENTICATED, PUBLIC, UnknownAction, declare, declared_action, undeclared


def test_declare_records_the_action_and_returns_the_same_function():
    def customer_page(customer_id: str) -> str:
        return customer_id

    marked = declare("view_customer")(customer_page)
    assert marked is customer_page
    assert marked("C1") == "C1"
    assert declared_action(customer_page) == "view_customer"
    assert customer_page.__finecrm_action__ == "view_customer"  # type: ignore[attr-defined]


def test_a_typo_fails_when_the_module_is_imported():
    with pytest.raises(UnknownAction, match="view_custmer"):

        @declare("view_custmer")
        def page() -> None: ...


def test_public_and_authenticated_must_be_said():
    @declare(PUBLIC)
    def health() -> str:
        return "ok"

    @declare(AUTHENTICATED)
    def logout() -> None: ...

    def forgotten() -> None: ...

    assert declared_action(health) == PUBLIC
    assert declared_action(logout) == AUTHENTICATED
    assert declared_action(forgotten) is None
    assert undeclared([health, logout, forgotten]) == [f"{__name__}.{forgotten.__qualname__}"]


def test_declared_action_sees_through_wrappers():
    @declare("export_list")
    def export(fmt: str) -> str:
        return fmt

    @functools.wraps(export)
    def wrapper(*args, **kwargs):
        return export(*args, **kwargs)

    del wrapper.__dict__["__finecrm_action__"]  # wraps copied it; prove __wrapped__ is followed too
    assert declared_action(wrapper) == "export_list"
    assert declared_action(functools.partial(export, "xlsx")) == "export_list"

    class Routes:
        @declare("run_build")
        def build(self) -> None: ...

    assert declared_action(Routes().build) == "run_build"


def test_one_route_one_action():
    @declare("view_kpi")
    def kpi() -> None: ...

    declare("view_kpi")(kpi)  # repeating the same declaration is harmless
    with pytest.raises(ValueError, match="one action"):
        declare("export_list")(kpi)
