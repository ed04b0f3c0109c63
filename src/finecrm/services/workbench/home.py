"""The customer manager's home (工作台): what today holds, on one page.

Today's plan (overdue visits first, then those due, as many as the day's visit standard), the month's plan
statistics, the daily standard this week, and the large outflows of the manager's customers (the deposit
alerts of the last ``ALERT_DAYS`` days, which no other page lists). The campaign tasks due today are
marketing's (an area above this one): the page adds them itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, require, scope_customers
from finecrm.authz.masking import mask_table
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.plan import plan_rows, plan_stats
from finecrm.services.workbench.worklog import standard_days, week_days

#: Deposit alerts shown on the home page: those of the last two weeks of the snapshot.
ALERT_DAYS = 14


def home(session: Session, serving: Serving, principal: Principal, *, today: date) -> dict[str, Any]:
    """Everything the home page shows for the principal on ``today`` (the bank's day)."""
    require(principal, "record_visit")
    month, rows = plan_rows(session, serving, principal)
    own = [r for r in rows if r["manager_id"] == principal.staff_id]
    target = serving.ws.settings.workbench.daily_standard
    todo = sorted((r for r in own if r["status"] != "done"),
                  key=lambda r: (r["status"] != "overdue", r["due_by"], r["frequency_months"], r["customer_id"]))
    week = standard_days(session, serving, principal, week_days(today))
    return {"plan_month": month, "today_plan": todo[:max(target.new_visits + target.existing_visits, 5)],
            "stats": next(iter(plan_stats(own)), None), "standard_today": week[-1], "week": week,
            "alerts": _alerts(serving, principal)}


def _alerts(serving: Serving, principal: Principal) -> list[dict[str, Any]]:
    """Large outflows of the principal's customers (deposit alerts), newest first."""
    if not allowed(principal, "view_deposit_watch") or not serving.has_table("deposit_alerts"):
        return []
    a = serving.table("deposit_alerts")
    c = serving.table("customer_360").select("customer_id", "kind", "name", "branch_id", "manager_id", "grid_id")
    last = serving.scalar(a.alert_date.max())
    if last is None:
        return []
    money = ("balance", "baseline") if allowed(principal, "view_balances") else ()
    a = a.filter(a.alert_date >= last - timedelta(days=ALERT_DAYS)).select(
        "customer_id", "alert_date", "drop_share", *money)
    j = scope_customers(principal, a.join(c, "customer_id"))
    if principal.staff_id is not None:
        j = j.filter(j.manager_id == principal.staff_id)
    j = mask_table(principal, j.select("customer_id", "kind", "name", "alert_date", "drop_share", *money))
    return serving.query(j.order_by([j.alert_date.desc(), j.customer_id]).limit(20))
