"""Roles: which actions each grants and which rows it sees, as data.

A user has exactly one role; per-user ``extra_actions`` / ``denied_actions`` on the principal adjust it
(an admin grants ``reveal_pii`` to one named branch head, say), so the roles stay few and readable.
The role × action table in docs/access.md is rendered from this module and checked by a test.

Who may reveal personal data (``reveal_pii``) by default — the reasoning of a bank's personal-information
protection officer (个人信息保护负责人), by the rule of minimum necessity (最小必要, 个人信息保护法 第六条):

- customer_manager: yes, for *own* customers only (the row scope), because calling and visiting them is
  the job; each reveal carries a reason and is audited by the caller.
- collector: yes, for borrowers of *assigned* loans only, because a collector must phone the debtor and
  verify the identity of whoever answers; each reveal is audited.
- compliance_officer: yes, because AML investigation and the reports to the PBoC (大额和可疑交易报告)
  need the full identity of customers and counterparties.
- analyst: no. Tiers, segments, models and campaign lists work on masked data; names and phone numbers
  add nothing to a segmentation and exports are the classic leak.
- branch_head: no. Oversight works on masked lists; the contact is made by the customer's manager.
  A head who really needs it gets ``reveal_pii`` as a per-user grant, which is itself recorded.
- lobby_manager: no. The walk-in customer is present with their ID card; the system never needs to show
  it, and a lobby terminal faces the public.
- risk_officer: no. Ratings, five categories and warnings are judged on numbers; contacting the borrower
  is the collector's and the manager's job.
- admin: no, by design (三员分立: the one who manages accounts must not also read customer data).
  Admin gets no action that shows customer rows at all. Admin does browse the audit log, as the
  workbench's requirements ask: it shows who did what and why, and holds customer ids, not personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from finecrm.authz.actions import check_action
from finecrm.authz.errors import UnknownRole


class Scope(StrEnum):
    """Which rows a role sees. ``principal.resolve_branch_scope`` turns it into branch ids."""

    ALL = "all"  # 全行: every branch
    BRANCH_SUBTREE = "branch_subtree"  # 本机构及下辖机构: home branch and everything under it
    BRANCH = "branch"  # 本机构: home branch only
    GIVEN = "given"  # 授权范围: branches an admin gave; by default the home subtree, all at head office
    OWN_CUSTOMERS = "own_customers"  # 本人管户: customers managed by the user, plus grid cells they manage
    ASSIGNED_LOANS = "assigned_loans"  # 分配的贷款: loans assigned to the user and their borrowers

    @property
    def zh(self) -> str:
        return _SCOPE_TEXT[self][0]

    @property
    def en(self) -> str:
        return _SCOPE_TEXT[self][1]


_SCOPE_TEXT = {
    Scope.ALL: ("全行所有机构", "all branches"),
    Scope.BRANCH_SUBTREE: ("本机构及下辖机构", "home branch and its sub-branches"),
    Scope.BRANCH: ("本机构", "home branch only"),
    Scope.GIVEN: ("授权的机构（默认本机构及下辖；总行人员为全行）", "branches given (default: home subtree; all at head office)"),
    Scope.OWN_CUSTOMERS: ("本人管户客户及本人负责的网格", "own customers and own grid cells"),
    Scope.ASSIGNED_LOANS: ("分配给本人的贷款及其借款人", "assigned loans and their borrowers"),
}

#: Scopes that select rows by branch (``branch_id IN branch_scope``); the others select by person.
BRANCH_SCOPES = frozenset({Scope.ALL, Scope.BRANCH_SUBTREE, Scope.BRANCH, Scope.GIVEN})


@dataclass(frozen=True)
class Role:
    code: str
    zh: str
    en: str
    scope: Scope
    grants: frozenset[str]


def _role(code: str, zh: str, en: str, scope: Scope, *grants: str) -> Role:
    # check_action raises on a typo here, at import time.
    return Role(code, zh, en, scope, frozenset(check_action(g) for g in grants))


def _declare(*roles: Role) -> Mapping[str, Role]:
    by_code: dict[str, Role] = {}
    for r in roles:
        if r.code in by_code:
            raise ValueError(f"role {r.code!r} declared twice")
        by_code[r.code] = r
    return MappingProxyType(by_code)


ROLES: Mapping[str, Role] = _declare(
    _role(
        "analyst", "总行零售/数据分析", "head-office analyst", Scope.ALL,
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_segments", "manage_segments", "view_campaigns", "manage_campaigns", "manage_models", "view_deposit_watch", "view_kpi",
        "view_data_status", "run_ingest", "run_build", "manage_scorecards",
        # The head office's retail department owns service quality (服务质量/消费者权益保护) in a county bank: it
        # takes the hotline's complaints and handles what a branch let go overdue (level 2 of the escalation).
        "record_complaint", "handle_complaints", "run_surveys",
        # The head office's product managers (产品经理) sit in this team: they answer the needs branches feed back.
        "record_feedback", "answer_feedback",
        # The head office's performance team (绩效考核) sets each month's targets per branch and manager.
        "manage_kpi_targets",
    ),
    _role(
        "branch_head", "支行行长", "branch head", Scope.BRANCH_SUBTREE,
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_segments", "view_campaigns", "assign_customers", "view_own_tasks", "view_deposit_watch",
        "view_credit", "view_early_warnings", "view_kpi",
        # The branch answers for its complaints: the head assigns, replies, closes (level 1 of the escalation);
        # and surveys its own customers' satisfaction (its branches' results only).
        "record_complaint", "handle_complaints", "run_surveys", "record_feedback",
    ),
    _role(
        "customer_manager", "客户经理", "customer manager", Scope.OWN_CUSTOMERS,
        "view_dashboard", "view_customer", "search_customers", "view_balances", "reveal_pii",
        "view_own_tasks", "record_visit", "record_outcome", "record_referral", "view_deposit_watch",
        # Their own call list taken into the field (own customers only, masked, audited like every export).
        "export_list",
        # County-bank customer managers are also the loan officers (信贷客户经理) of their customers.
        "view_credit", "view_early_warnings", "view_kpi",
        # A customer's complaint to their manager is taken down by the manager; handling it is the branch's.
        # Needs heard on visits go to the product owners (信息反馈).
        "record_complaint", "record_feedback",
    ),
    _role(
        # No view_balances: a lobby manager sees a customer's tier (to route them), not their money.
        "lobby_manager", "大堂经理", "lobby manager", Scope.BRANCH,
        "view_dashboard", "view_customer", "search_customers", "view_own_tasks", "record_referral",
        "view_kpi",
        # Most complaints are made in the lobby (排队、服务态度): the lobby manager takes them down, and the needs
        # heard there.
        "record_complaint", "record_feedback",
    ),
    _role(
        "risk_officer", "风险经理", "risk officer", Scope.GIVEN,
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_own_tasks", "view_credit", "view_early_warnings", "work_early_warnings", "classify_loans",
        "approve_credit", "view_collections", "assign_collections", "manage_scorecards",
    ),
    _role(
        # No view_balances and no search: a collector works the queue of assigned loans, nothing wider.
        "collector", "催收员", "collector", Scope.ASSIGNED_LOANS,
        "view_customer", "reveal_pii", "view_own_tasks", "work_collections", "view_kpi",
    ),
    _role(
        "compliance_officer", "反洗钱专员", "compliance officer (AML)", Scope.ALL,
        "view_dashboard", "view_customer", "search_customers", "view_balances", "reveal_pii",
        "export_list", "view_own_tasks", "work_case", "view_audit",
    ),
    _role(
        # Audit browsing with compliance: the admin answers for accounts and sign-ins (who logged in, who was
        # locked out); the log holds customer ids and reasons, never personal data.
        "admin", "系统管理员", "administrator", Scope.ALL,
        "view_dashboard", "view_data_status", "run_ingest", "run_build", "manage_users", "manage_config",
        "view_audit",
    ),
)

ROLE_CODES = frozenset(ROLES)


def get_role(code: str) -> Role:
    """The declared role ``code``; raises :class:`UnknownRole` for anything else."""
    try:
        return ROLES[code]
    except (KeyError, TypeError):
        raise UnknownRole(code) from None
