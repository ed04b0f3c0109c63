"""The customer manager's home (工作台): what today holds, on one page.

Today's plan (overdue visits first, then those due, as many as the day's visit standard), the month's plan
statistics, the daily standard this week and the nearest reminders (maturities, birthdays, large outflows …).
The page adds the campaign tasks due today (marketing's, an area above this one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.plan import plan_rows, plan_stats
from finecrm.services.workbench.reminders import list_reminders
from finecrm.services.workbench.worklog import standard_days, week_days

#: Reminders listed on the home page (the reminders page has them all).
REMINDERS_SHOWN = 8


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
            "reminders": list_reminders(serving, principal, page_size=REMINDERS_SHOWN)}

