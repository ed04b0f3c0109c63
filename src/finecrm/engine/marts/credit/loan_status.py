"""loan_status — one row per loan disbursed by the build date: where it stands on that date.

Outstanding, overdue principal and interest and days past due come from the schedule
(``_loan_position``: paid in full = paid_date on or before the build date; days past due = build date
− the earliest instalment due on or before it and not paid in full; partial payments pay interest
first). The branch is the loan account's (贷款账户开户机构), else the borrower's home branch.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.credit._loan_position import days_between, positions
from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    as_of = ibis.date(ctx.as_of)
    loans = src["stg_loans"]
    c = src["stg_customers"].select("customer_id", customer_kind="kind", customer_branch="branch_id",
                                    manager_id="manager_id")
    a = src["stg_accounts"].select("account_id", account_branch="branch_id")
    p = src["stg_products"].select("product_code", product_name="name")
    base = loans.mutate(day=as_of, principal=loans.principal.cast("float64"))
    pos = positions(base, src["stg_loan_schedule"])
    j = pos.left_join(c, "customer_id").drop("customer_id_right")
    j = j.left_join(a, "account_id").drop("account_id_right")
    j = j.left_join(p, "product_code").drop("product_code_right")
    return j.select(
        "loan_id", "customer_id", "customer_kind", "account_id",
        branch_id=j.account_branch.fill_null(j.customer_branch), manager_id=j.manager_id,
        product_code=j.product_code, product_name=j.product_name,
        as_of_date=j.day, principal=j.principal.round(2), rate=j.rate,
        start_date=j.start_date, maturity_date=j.maturity_date,
        days_to_maturity=days_between(j.maturity_date, j.day),
        repayment_method=j.repayment_method, collateral=j.collateral,
        instalments=j.instalments, repaid_principal=j.repaid_principal, outstanding_principal=j.outstanding_principal,
        overdue_principal=j.overdue_principal, overdue_interest=j.overdue_interest,
        overdue_amount=j.overdue_amount, overdue_instalments=j.overdue_instalments,
        first_unpaid_due=j.first_unpaid_due, dpd=j.dpd, next_due_date=j.next_due_date, is_open=j.is_open,
    )


MODEL = Model(
    "loan_status", "mart", ("stg_loans", "stg_loan_schedule", "stg_customers", "stg_accounts", "stg_products"),
    build,
    "Per loan on the build date: outstanding principal, overdue principal and interest, days past due (from the "
    "schedule), maturity and days to it, borrower, branch, manager and product.",
    grain="loan disbursed by the build date", key=("loan_id",),
    not_null=("customer_id", "branch_id", "product_code", "outstanding_principal", "dpd", "is_open"),
    invariants=(
        Invariant("outstanding within principal",
                  lambda t: (t.outstanding_principal >= 0) & (t.outstanding_principal <= t.principal),
                  "0 ≤ outstanding principal ≤ principal"),
        Invariant("overdue principal within outstanding",
                  lambda t: (t.overdue_principal >= 0) & (t.overdue_principal <= t.outstanding_principal)
                  & (t.overdue_interest >= 0), "overdue principal is part of the outstanding principal"),
        Invariant("past due exactly when something is overdue",
                  lambda t: (t.dpd >= 0) & ((t.dpd > 0) == (t.overdue_instalments > 0)),
                  "days past due > 0 exactly when an instalment that fell due before the build date is unpaid"),
    ),
)
