"""visit_plan — one row per manager × customer due a visit in the cycle that holds the build month (月访客户计划).

The rule (``workbench.visit_frequency_months``; DESIGN: 私行 monthly, 财富 every 2 months, 贵宾 quarterly, 大众
on a trigger only): a customer whose effective tier has a frequency of N months is due **one visit in each
cycle of N months**, cycles counted from January (N = 2: Jan–Feb, Mar–Apr, …; N = 3: the calendar quarters;
N = 1: every month). The plan of the build month lists every such customer with a manager, whatever the
contact log says: the cycle (``cycle_start`` … ``due_by``) is what the page measures a visit against.

Whether the visit was made is *not* decided here: the contact log lives in the operational database, which
the engine never reads. ``services.workbench.plan`` joins the log to these rows: **done** (a visit on or
after ``cycle_start``), **overdue** (not done, and the customer was due in the previous cycle too —
``due_last_cycle`` — without a visit in it), else **due**. Because the rows come from the tier of the build,
a rebuild after tiers change regenerates the plan.

Customers whose accounts are all closed (lifecycle ``lost``) and customers without a manager are left out:
nobody would visit them by plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model, add_months, month_end


def cycle_start(month: date, every: int) -> date:
    """The first month of the ``every``-month cycle (counted from January) that holds ``month``."""
    return add_months(month.replace(day=1), -((month.month - 1) % every))


def _by_frequency(freq: ibis.Value, values: Mapping[int, date]) -> ibis.Value:
    return ibis.cases(*[(freq == n, ibis.literal(d, type="date")) for n, d in sorted(values.items())],
                      else_=ibis.null("date"))


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    months_by_tier = ctx.settings.workbench.visit_frequency_months
    month = ctx.as_of_month
    c = src["customer_360"]
    history = src["customer_tier_history"]

    def frequency(tier: ibis.Value) -> ibis.Value:
        return ibis.cases(*[(tier == name, ibis.literal(n, type="int64")) for name, n in months_by_tier.items()],
                          else_=ibis.null("int64"))

    every = sorted(set(months_by_tier.values()))
    starts = {n: cycle_start(month, n) for n in every}
    plan = c.filter(c.manager_id.notnull() & (c.lifecycle != "lost")).select(
        "customer_id", "manager_id", "branch_id", "grid_id", "kind", "tier", "tier_rank", "tier_watch",
        frequency_months=frequency(c.tier),
    )
    plan = plan.filter(plan.frequency_months.notnull())
    plan = plan.mutate(
        plan_month=ibis.literal(month, type="date"),
        cycle_start=_by_frequency(plan.frequency_months, starts),
        due_by=_by_frequency(plan.frequency_months, {n: month_end(add_months(s, n - 1)) for n, s in starts.items()}),
        previous_cycle_start=_by_frequency(plan.frequency_months, {n: add_months(s, -n) for n, s in starts.items()}),
        # The month before this cycle: the customer's tier then says whether a visit was due last cycle.
        last_cycle_month=_by_frequency(plan.frequency_months, {n: add_months(s, -1) for n, s in starts.items()}),
    )
    before = history.select(h_customer_id=history.customer_id, h_month=history.month,
                            h_frequency=frequency(history.tier))
    j = plan.left_join(before, (plan.customer_id == before.h_customer_id) & (plan.last_cycle_month == before.h_month))
    return j.select(
        "plan_month", "manager_id", "customer_id", "branch_id", "grid_id", "kind", "tier", "tier_rank", "tier_watch",
        "frequency_months", "cycle_start", "due_by", "previous_cycle_start",
        due_last_cycle=j.h_frequency.notnull(),
    )


MODEL = Model(
    "visit_plan", "mart", ("customer_360", "customer_tier_history"), build,
    "One row per manager × customer due a visit in the cycle holding the build month, by the tier's frequency.",
    grain="manager × customer due", key=("manager_id", "customer_id"),
    not_null=("plan_month", "frequency_months", "cycle_start", "due_by"),
    invariants=(
        Invariant("cycle_holds_the_month", lambda t: (t.cycle_start <= t.plan_month) & (t.plan_month <= t.due_by),
                  "the cycle a visit is measured against holds the plan month"),
    ),
)
