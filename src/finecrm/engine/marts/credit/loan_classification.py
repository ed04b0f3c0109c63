"""loan_classification — one row per open loan: its five-category classification on the build date.

The rule is ``finecrm.engine.classification`` (thresholds in ``credit.classification`` of finecrm.yaml).
Approved changes a person made (``BuildContext.loan_category_overrides``) give the final category and
reason; without one the final category is the system's.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import pyarrow as pa

from finecrm.engine.classification import CODES, classify
from finecrm.engine.model import BuildContext, Invariant, Model

_OVERRIDE_TYPES = {"loan_id": pa.string(), "category": pa.string(), "reason": pa.string(),
                   "direction": pa.string(), "system_category": pa.string()}


def overrides_table(table: pa.Table | None) -> ibis.Table | None:
    """The changes in force as an Ibis table (loan_id, category, reason, and direction and system_category when
    given), or None when there are none."""
    if table is None or table.num_rows == 0:
        return None
    return ibis.memtable(pa.table({c: table.column(c).cast(t) for c, t in _OVERRIDE_TYPES.items()
                                   if c in table.column_names}))


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    s = src["loan_status"]
    s = s.filter(s.is_open).select(
        "loan_id", "customer_id", "customer_kind", "branch_id", "manager_id", "product_code", "product_name",
        "as_of_date", "principal", "outstanding_principal", "overdue_principal", "overdue_interest",
        "overdue_amount", "first_unpaid_due", "dpd",
    )
    return classify(s, ctx.settings.credit.classification, overrides_table(ctx.loan_category_overrides))


MODEL = Model(
    "loan_classification", "mart", ("loan_status",), build,
    "Per open loan: the system's five-category classification (正常/关注/次级/可疑/损失) from days past due with its "
    "reason, and the final category (a person's approved change, else the system's).",
    grain="open loan", key=("loan_id",),
    not_null=("system_category", "final_category", "system_reason", "final_reason", "is_npl"),
    invariants=(
        Invariant("categories are the five", lambda t: t.system_category.isin(CODES) & t.final_category.isin(CODES),
                  "system and final categories are normal, special_mention, substandard, doubtful or loss"),
        Invariant("not overridden means final is system",
                  lambda t: t.is_overridden | (t.final_category == t.system_category),
                  "without a person's change the final category is the system's"),
        Invariant("not past due is normal", lambda t: (t.dpd > 0) | (t.system_category == "normal"),
                  "the system classifies a loan that is not past due as normal, whatever the thresholds"),
    ),
)
