"""credit_portfolio — per branch, product and final five-category on the build date: loans and balances.

Sums of ``loan_classification`` (open loans, by their final category). The NPL ratio (不良贷款率) of any
roll-up is ``sum(npl_balance) / sum(outstanding_principal)``: npl_balance is the outstanding principal of
the rows whose category is 次级, 可疑 or 损失 (``is_npl``), 0 on the others.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.classification import CODES
from finecrm.engine.marts.credit._loan_position import fen, yuan
from finecrm.engine.model import BuildContext, Invariant, Model, int_sum


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    c = src["loan_classification"]
    keys = ["as_of_date", "branch_id", "product_code", "final_category"]
    g = c.group_by(keys).agg(
        product_name=c.product_name.max(),
        category_rank=c.final_category_rank.max(),
        category_zh=c.final_category_zh.max(),
        category_en=c.final_category_en.max(),
        is_npl=c.is_npl.max(),
        loans=c.count(),
        outstanding_fen=int_sum(fen(c.outstanding_principal)),
        overdue_principal_fen=int_sum(fen(c.overdue_principal)),
        overdue_interest_fen=int_sum(fen(c.overdue_interest)),
    )
    b = src["stg_branches"].select("branch_id", branch_name="name")
    g = g.left_join(b, "branch_id").drop("branch_id_right")
    return g.select(
        "as_of_date", "branch_id", "branch_name", "product_code", "product_name",
        category=g.final_category, category_rank=g.category_rank, category_zh=g.category_zh,
        category_en=g.category_en, is_npl=g.is_npl, loans=g.loans.cast("int64"),
        outstanding_principal=yuan(g.outstanding_fen), overdue_principal=yuan(g.overdue_principal_fen),
        overdue_interest=yuan(g.overdue_interest_fen),
        npl_balance=yuan(ibis.ifelse(g.is_npl, g.outstanding_fen, 0)),
    )


MODEL = Model(
    "credit_portfolio", "mart", ("loan_classification", "stg_branches"), build,
    "Per branch, product and five-category (final) on the build date: open loans, outstanding, overdue principal "
    "and interest, and the NPL balance (次级+可疑+损失) for the NPL ratio.",
    grain="branch, product and category", key=("branch_id", "product_code", "category"),
    not_null=("loans", "outstanding_principal", "npl_balance", "is_npl"),
    invariants=(
        Invariant("category is one of the five", lambda t: t.category.isin(CODES), "normal … loss"),
        Invariant("npl balance is the balance of npl rows",
                  lambda t: ibis.ifelse(t.is_npl, t.npl_balance == t.outstanding_principal, t.npl_balance == 0),
                  "npl_balance = outstanding principal on 次级/可疑/损失 rows, 0 elsewhere"),
    ),
)
