"""The logged-in user as access control sees them, and how their scope is resolved.

A :class:`Principal` is built once per login (by the service layer, which can read the branch tree,
the grids and the collection assignments) and is then immutable: every decision in ``decide`` is a pure
function of it. Build it with :func:`make_principal`, which resolves the scope from data.

``branch_scope`` is the set of branch ids whose rows the user sees by branch, or ``None`` for all.
Roles that see people rather than branches (customer managers, collectors) get an empty set, so a
page that filters by branch alone shows them nothing: access fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from finecrm.authz.actions import check_action
from finecrm.authz.errors import ScopeError
from finecrm.authz.roles import BRANCH_SCOPES, Scope, get_role

# Marks "branch_scope not given": resolved from the role in __post_init__ where no branch tree is needed.
# A non-empty frozenset because the empty one is a shared singleton and could not be told apart.
_UNRESOLVED: frozenset[str] = frozenset({"\x00unresolved"})


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    branch_id: str | None = None  # home branch; None for head-office staff
    staff_id: str | None = None  # links to customers.manager_id and grids.manager_id
    extra_actions: frozenset[str] = frozenset()
    denied_actions: frozenset[str] = frozenset()
    branch_scope: frozenset[str] | None = field(default=_UNRESOLVED)
    grid_ids: frozenset[str] = frozenset()  # grid cells the user manages (customer managers)
    assigned_loan_ids: frozenset[str] = frozenset()  # collectors
    borrower_ids: frozenset[str] = frozenset()  # customers of the assigned loans (collectors)

    def __post_init__(self) -> None:
        get_role(self.role)  # unknown role: fail now, not at the first check
        # Accept any iterable from callers but store frozensets, so a principal can never change.
        for name in ("extra_actions", "denied_actions", "grid_ids", "assigned_loan_ids", "borrower_ids"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} must be a collection of strings, not the string {value!r}")
            object.__setattr__(self, name, frozenset(value))
        for code in self.extra_actions | self.denied_actions:
            check_action(code)
        if self.branch_scope is _UNRESOLVED:
            object.__setattr__(self, "branch_scope", resolve_branch_scope(self.role, self.branch_id, None))
        elif self.branch_scope is not None:
            if isinstance(self.branch_scope, str):
                raise TypeError(f"branch_scope must be a collection of branch ids, not {self.branch_scope!r}")
            object.__setattr__(self, "branch_scope", frozenset(self.branch_scope))

    @property
    def scope(self) -> Scope:
        return get_role(self.role).scope


def branch_subtree(root: str, branches: Mapping[str, str | None]) -> frozenset[str]:
    """``root`` and every branch below it in a ``{branch_id: parent_id}`` tree."""
    if root not in branches:
        raise ScopeError(f"机构 {root!r} 不在机构表中 / branch {root!r} is not in the branch table")
    children: dict[str, list[str]] = {}
    for branch, parent in branches.items():
        if parent is not None:
            children.setdefault(parent, []).append(branch)
    seen: set[str] = set()
    todo = [root]
    while todo:
        b = todo.pop()
        if b in seen:
            continue  # a cycle in bad data must not loop forever; the branch is in scope once
        seen.add(b)
        todo.extend(children.get(b, ()))
    return frozenset(seen)


def resolve_branch_scope(
    role: str, branch_id: str | None, branches: Mapping[str, str | None] | None
) -> frozenset[str] | None:
    """The branch ids ``role`` at ``branch_id`` sees by branch, or ``None`` for all branches.

    ``branches`` maps each branch id to its parent (None for the head office); it is needed only for
    subtree scopes and to check that ``branch_id`` exists.
    """
    scope = get_role(role).scope
    if branches is not None and branch_id is not None and branch_id not in branches:
        raise ScopeError(f"机构 {branch_id!r} 不在机构表中 / branch {branch_id!r} is not in the branch table")
    if scope is Scope.ALL:
        return None
    if scope in (Scope.OWN_CUSTOMERS, Scope.ASSIGNED_LOANS):
        return frozenset()  # these roles see people, never whole branches
    if scope is Scope.GIVEN and branch_id is None:
        return None  # a head-office risk officer oversees the whole bank unless given less
    if branch_id is None:
        raise ScopeError(
            f"角色 {role} 必须有所属机构 / role {role} needs a home branch (branch_id) to resolve its scope"
        )
    if scope is Scope.BRANCH:
        return frozenset({branch_id})
    if branches is None:
        raise ScopeError(
            f"角色 {role} 的范围需要机构树，请使用 make_principal / "
            f"role {role} sees a branch subtree: build the principal with make_principal(branches=...)"
        )
    return branch_subtree(branch_id, branches)


def resolve_grid_ids(staff_id: str | None, grids: Mapping[str, str | None]) -> frozenset[str]:
    """Grid cells managed by ``staff_id``, from a ``{grid_id: manager_staff_id}`` mapping."""
    if staff_id is None:
        return frozenset()
    return frozenset(g for g, manager in grids.items() if manager == staff_id)


def make_principal(
    username: str,
    role: str,
    *,
    branches: Mapping[str, str | None],
    branch_id: str | None = None,
    staff_id: str | None = None,
    extra_actions: Iterable[str] = (),
    denied_actions: Iterable[str] = (),
    given_branches: Iterable[str] | None = None,
    grids: Mapping[str, str | None] | None = None,
    assigned_loans: Mapping[str, str] | None = None,
) -> Principal:
    """Build a principal at login with its scope resolved from data.

    ``given_branches`` is the scope an admin gave this user, as branch roots (each with its subtree).
    For a ``GIVEN`` role (risk officer) it replaces the default; for other branch-based roles it can only
    narrow what the role already sees — a grant can never widen a scope.
    ``grids`` is ``{grid_id: manager_staff_id}`` (customer managers see their grid cells' customers);
    ``assigned_loans`` is ``{loan_id: customer_id}`` for the loans assigned to this collector.
    """
    r = get_role(role)
    scope = resolve_branch_scope(role, branch_id, branches)
    if given_branches is not None:
        if r.scope not in BRANCH_SCOPES:
            raise ScopeError(
                f"角色 {role} 按人员而非机构划定范围 / role {role} is scoped by person, not by branch"
            )
        given = frozenset().union(*(branch_subtree(b, branches) for b in given_branches))
        scope = given if (r.scope is Scope.GIVEN or scope is None) else scope & given
    grid_ids = resolve_grid_ids(staff_id, grids or {}) if r.scope is Scope.OWN_CUSTOMERS else frozenset()
    loans = dict(assigned_loans or {}) if r.scope is Scope.ASSIGNED_LOANS else {}
    return Principal(
        username=username,
        role=role,
        branch_id=branch_id,
        staff_id=staff_id,
        extra_actions=frozenset(extra_actions),
        denied_actions=frozenset(denied_actions),
        branch_scope=scope,
        grid_ids=grid_ids,
        assigned_loan_ids=frozenset(loans),
        borrower_ids=frozenset(loans.values()),
    )
