"""The manager's reminders (客户提醒): the ``customer_reminders`` mart for the customers the principal looks after.

A customer manager sees the reminders of their own customers (``manager_id``); a branch head or an analyst
(``plan.supervises``) those of their scope. Names are masked; the amount only with ``view_balances``. Each
reminder leads to a one-click log entry (``source=reminder``), with the purpose the reminder suggests.
"""

from __future__ import annotations

from typing import Any

from finecrm.authz import Principal, allowed, require, scope_customers
from finecrm.authz.masking import mask_table
from finecrm.core.errors import FinecrmError
from finecrm.services.common import Page, clamp_page
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.plan import supervises

KINDS = ("maturity", "birthday", "outflow", "dormant_risk", "tier_drop")
#: The work log's purpose a reminder suggests, and whether a call (rather than a visit) is the natural step.
PURPOSE = {"maturity": "maturity", "birthday": "relationship", "outflow": "service", "dormant_risk": "relationship",
           "tier_drop": "relationship"}


class ReminderError(FinecrmError):
    """A filter of the reminders that is not one of its choices."""


def list_reminders(serving: Serving, principal: Principal, *, kind: str | None = None, page: int = 1,
                   page_size: int = 20) -> Page[dict[str, Any]]:
    """The principal's reminders, nearest first (maturities and birthdays by days left, then the standing ones)."""
    if not (allowed(principal, "record_visit") or supervises(principal)):
        require(principal, "record_visit")
    if kind not in (None, "", *KINDS):
        raise ReminderError(f"提醒类型须为 {', '.join(KINDS)} 之一 / the kind must be one of {', '.join(KINDS)}, "
                            f"got {kind!r}")
    page, page_size = clamp_page(page, page_size)
    if not serving.has_table("customer_reminders"):
        return Page([], page, page_size, 0)
    t = scope_customers(principal, serving.table("customer_reminders"))
    if allowed(principal, "record_visit") and principal.staff_id is not None:
        t = t.filter(t.manager_id == principal.staff_id)
    if kind:
        t = t.filter(t.kind == kind)
    total = int(serving.scalar(t.count()) or 0)
    c = serving.table("customer_360").select("customer_id", "kind", "name")
    money = ("amount",) if allowed(principal, "view_balances") else ()
    j = t.join(c, "customer_id").select("customer_id", "kind_right", "name", reminder_kind=t.kind, ref=t.ref,
                                        reminder_date=t.reminder_date, days_left=t.days_left,
                                        product_name=t.product_name, reason_zh=t.reason_zh, reason_en=t.reason_en,
                                        **{m: t[m] for m in money})
    j = mask_table(principal, j.rename(kind="kind_right"))
    # Upcoming events first (smallest days ahead), then the standing states, then outflows already seen.
    order = (j.days_left < 0).cast("int8") * 2 + (j.days_left == 0).cast("int8")
    rows = serving.query(j.order_by([order, j.days_left, j.reminder_kind, j.customer_id, j.ref])
                         .limit(page_size, offset=(page - 1) * page_size))
    for r in rows:
        r["kind"] = r.pop("reminder_kind")
        r["purpose"] = PURPOSE[r["kind"]]
    return Page(rows, page, page_size, total)
