"""Resolving a principal's scope from the branch tree, grids and collection assignments."""

from __future__ import annotations

import dataclasses

import pytest

from finecrm.authz import (
    Principal,
    ScopeError,
    branch_subtree,
    make_principal,
    resolve_branch_scope,
    resolve_grid_ids,
)

from .conftest import BRANCHES, GRIDS


def test_branch_subtree():
    assert branch_subtree("HO", BRANCHES) == frozenset(BRANCHES)
    assert branch_subtree("BR1", BRANCHES) == {"BR1", "OUT11", "OUT12"}
    assert branch_subtree("BR2", BRANCHES) == {"BR2", "OUT21", "OUT22"}
    assert branch_subtree("OUT21", BRANCHES) == {"OUT21"}


def test_branch_subtree_survives_a_cycle_in_bad_data():
    looped = {"A": "C", "B": "A", "C": "B", "D": None}
    assert branch_subtree("A", looped) == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("role", "branch_id", "expected"),
    [
        ("analyst", None, None),
        ("analyst", "OUT11", None),  # all-branch roles see all wherever they sit
        ("compliance_officer", "BR2", None),
        ("admin", None, None),
        ("branch_head", "BR1", {"BR1", "OUT11", "OUT12"}),
        ("branch_head", "HO", set(BRANCHES)),
        ("branch_head", "OUT22", {"OUT22"}),
        ("lobby_manager", "BR1", {"BR1"}),  # not the outlets below
        ("lobby_manager", "OUT12", {"OUT12"}),
        ("risk_officer", None, None),  # head-office risk oversees the bank
        ("risk_officer", "BR2", {"BR2", "OUT21", "OUT22"}),
        ("customer_manager", "OUT11", set()),  # scoped by person, never by branch
        ("collector", "BR1", set()),
    ],
)
def test_resolve_branch_scope(role, branch_id, expected):
    got = resolve_branch_scope(role, branch_id, BRANCHES)
    assert got == (None if expected is None else frozenset(expected))


@pytest.mark.parametrize("role", ["branch_head", "lobby_manager"])
def test_branch_roles_need_a_home_branch(role):
    with pytest.raises(ScopeError):
        resolve_branch_scope(role, None, BRANCHES)


def test_unknown_home_branch_is_an_error():
    with pytest.raises(ScopeError, match="OUT99"):
        resolve_branch_scope("lobby_manager", "OUT99", BRANCHES)
    with pytest.raises(ScopeError):
        make_principal("x", "analyst", branches=BRANCHES, branch_id="OUT99")


def test_principal_without_tree_resolves_what_it_can_and_refuses_the_rest():
    assert Principal("a", "analyst").branch_scope is None
    assert Principal("l", "lobby_manager", branch_id="BR1").branch_scope == {"BR1"}
    assert Principal("c", "customer_manager", staff_id="S1").branch_scope == frozenset()
    assert Principal("r", "risk_officer").branch_scope is None
    with pytest.raises(ScopeError, match="make_principal"):
        Principal("h", "branch_head", branch_id="BR1")
    # An explicitly resolved scope is taken as given.
    assert Principal("h", "branch_head", branch_id="BR1", branch_scope=frozenset({"BR1"})).branch_scope == {"BR1"}


def test_principal_is_frozen():
    p = Principal("a", "analyst")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.role = "admin"  # type: ignore[misc]


def test_given_branches_replace_the_default_for_risk_officers():
    p = make_principal("r", "risk_officer", branches=BRANCHES, branch_id="BR2", given_branches=["OUT11", "BR1"])
    assert p.branch_scope == {"BR1", "OUT11", "OUT12"}


def test_given_branches_only_narrow_other_roles():
    narrowed = make_principal("a", "analyst", branches=BRANCHES, given_branches=["BR2"])
    assert narrowed.branch_scope == {"BR2", "OUT21", "OUT22"}
    # A branch head given another branch's subtree gains nothing from it.
    head = make_principal("h", "branch_head", branches=BRANCHES, branch_id="BR1", given_branches=["BR2", "OUT11"])
    assert head.branch_scope == {"OUT11"}
    with pytest.raises(ScopeError):
        make_principal("c", "customer_manager", branches=BRANCHES, staff_id="S1", given_branches=["BR1"])


def test_grids_and_assigned_loans():
    assert resolve_grid_ids("S1", GRIDS) == {"G1"}
    assert resolve_grid_ids(None, GRIDS) == frozenset()  # an unmanaged grid (None) is nobody's
    cm = make_principal("cm", "customer_manager", branches=BRANCHES, staff_id="S2", grids=GRIDS)
    assert cm.grid_ids == {"G2"}
    col = make_principal(
        "col", "collector", branches=BRANCHES, staff_id="S7", assigned_loans={"L1": "C01", "L2": "C05", "L4": "C05"}
    )
    assert col.assigned_loan_ids == {"L1", "L2", "L4"}
    assert col.borrower_ids == {"C01", "C05"}
    # Grids and loans only mean something for the roles scoped by them.
    head = make_principal("h", "branch_head", branches=BRANCHES, branch_id="BR1", staff_id="S1", grids=GRIDS,
                          assigned_loans={"L1": "C01"})
    assert head.grid_ids == frozenset() and head.assigned_loan_ids == frozenset()
