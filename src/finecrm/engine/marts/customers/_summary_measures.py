"""What the branch, grid and portfolio summaries count, in one place so they add up alike.

Counts exclude lost customers. ``new_customers`` opened their first account that month;
``lost_customers`` reached 流失 that month. Off-counter rate = customer-initiated transactions
through non-counter channels ÷ all customer-initiated transactions in the month.
"""

from __future__ import annotations

import ibis

from finecrm.engine.model import count_if, int_sum, months_between


def with_flags(cm: ibis.Table) -> ibis.Table:
    """int_customer_months with is_current (not lost), is_new (first account this month) and is_lost_now."""
    w = ibis.window(group_by="customer_id", order_by="month")
    prev = cm.lifecycle.lag().over(w)
    return cm.mutate(
        is_current=cm.lifecycle != "lost",
        is_new=cm.first_open.notnull() & (months_between(cm.month, cm.first_open) == 0),
        is_lost_now=(cm.lifecycle == "lost") & (prev.isnull() | (prev != "lost")),
    )


def measures(t: ibis.Table) -> dict[str, ibis.Value]:
    """The summaries' aggregates over a table from ``with_flags``."""
    cur = t.is_current
    return {
        "customers": count_if(cur),
        "aum_avg": ibis.ifelse(cur, t.aum_avg, 0.0).sum().round(2),
        "deposits_avg": ibis.ifelse(cur, t.deposit_avg + t.time_deposit_avg, 0.0).sum().round(2),
        "loans_avg": ibis.ifelse(cur, t.loan_avg, 0.0).sum().round(2),
        "txn_ci": int_sum(t.txn_ci),
        "txn_off_counter": int_sum(t.txn_off_counter),
        "new_customers": count_if(t.is_new),
        "lost_customers": count_if(t.is_lost_now),
    }


def with_off_counter_rate(t: ibis.Table) -> ibis.Table:
    """Adds off_counter_rate = txn_off_counter ÷ txn_ci (null without customer-initiated transactions)."""
    return t.mutate(off_counter_rate=ibis.ifelse(t.txn_ci > 0, t.txn_off_counter / t.txn_ci,
                                                 ibis.null("float64")))
