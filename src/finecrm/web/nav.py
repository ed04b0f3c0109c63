"""The menu of the workbench: one entry per page, shown only to a user who holds one of its actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from finecrm.authz import Principal, allowed

#: The menu: (path, message key, action or actions), grouped by area. The first entry a user may see is
#: where sign-in lands (``home_path``).
NAV: tuple[tuple[str, str, str | tuple[str, ...]], ...] = (
    # A customer manager's day starts on the workbench: first, so sign-in lands there for whoever keeps a log.
    ("/workbench", "nav.workbench", "record_visit"),
    # A lobby manager's day is the referrals (theirs is the first page they may see, so sign-in lands there).
    ("/workbench/referrals", "nav.referrals", "record_referral"),
    ("/dashboard", "nav.dashboard", "view_dashboard"),
    ("/customers", "nav.customers", "search_customers"),
    ("/segments", "nav.segments", "view_segments"),
    # A collector's start page is the queue: it comes before the task list they also hold.
    ("/collections", "nav.collections", "work_collections"),
    ("/tasks", "nav.tasks", "view_own_tasks"),
    ("/workbench/plan", "nav.visit_plan", "record_visit"),
    ("/workbench/log", "nav.work_log", "record_visit"),
    ("/workbench/reminders", "nav.reminders", "record_visit"),
    ("/audiences", "nav.audiences", "manage_campaigns"),
    ("/models", "nav.models", "manage_models"),
    ("/campaigns", "nav.campaigns", "view_campaigns"),
    ("/credit", "nav.credit", "view_credit"),
    ("/credit/approvals", "nav.credit_approvals", "approve_credit"),
    ("/credit/warnings", "nav.credit_warnings", "view_early_warnings"),
    ("/collections/oversight", "nav.collections_oversight", "view_collections"),
    ("/service/complaints", "nav.complaints", ("record_complaint", "handle_complaints")),
    ("/service/complaints/new", "nav.complaint_new", "record_complaint"),
    ("/service/surveys", "nav.surveys", "run_surveys"),
    ("/service/quality", "nav.service_quality", "handle_complaints"),
    ("/service/feedback", "nav.feedback", "record_feedback"),
    ("/kpi", "nav.kpi", "view_kpi"),
    ("/kpi/targets", "nav.kpi_targets", "manage_kpi_targets"),
    ("/aml", "nav.aml", "work_case"),
    ("/aml/cases", "nav.aml_cases", "work_case"),
    ("/aml/large-value", "nav.aml_large_value", "work_case"),
    ("/status", "nav.status", "view_data_status"),
    ("/audit", "nav.audit", "view_audit"),
    ("/admin/users", "nav.users", "manage_users"),
)


def may_any(principal: Principal | None, actions: str | tuple[str, ...]) -> bool:
    return any(allowed(principal, a) for a in ((actions,) if isinstance(actions, str) else actions))


def navigation(principal: Principal | None, path: str, t: Callable[..., str],
               badges: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The menu entries ``principal`` may see, labelled by ``t``; the one ``path`` is under is active.
    ``badges`` gives an entry a count beside its label (``/tasks``: the tasks due today)."""
    shown = [(href, key) for href, key, actions in NAV if principal is not None and may_any(principal, actions)]
    # The longest entry the path is under is the active one (/credit/approvals, not also /credit).
    under = [href for href, _ in shown if path == href or path.startswith(href.rstrip("/") + "/")]
    active = max(under, key=len) if under else None
    return [{"href": href, "label": t(key), "active": href == active, "badge": (badges or {}).get(href)}
            for href, key in shown]


def home_path(principal: Principal) -> str | None:
    """The first page the user may see; None when the role has no page yet (the start page says so)."""
    for href, _, actions in NAV:
        if may_any(principal, actions):
            return href
    return None
