"""collection_roll_rates — one row per product (and ``*``: the whole bank) per bucket to bucket: how many loans
moved from one bucket at a month end to another at the next month end (迁徙率).

Read from ``loan_overdue_history`` (open loans at each month end; the build month: the build date), with the
buckets of ``collections.buckets`` (M0: not past due). A loan with a row at month end *m* moves to its bucket at
month end *m + 1*, or to ``closed`` when it has no row then (repaid in full). Only months followed by another in
the history count. ``rate`` = loans that moved ÷ loans in the from-bucket at *m* (of the product); the rates of a
from-bucket add up to 1. The collection queue reads the probability to roll to a worse bucket from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.collections._buckets import CLOSED, bucket_of, bucket_rank
from finecrm.engine.model import BuildContext, Invariant, Model, add_months

#: The product code of the rows that count every product (the bank-wide rates).
ALL_PRODUCTS = "*"


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cfg = ctx.settings.collections
    h = src["loan_overdue_history"]
    h = h.select("loan_id", "month", "product_code", bucket=bucket_of(h.dpd, cfg))
    # month → the next month: every month of the history but the last (the build month) has one
    last = ctx.as_of_month
    first = ctx.data_from or add_months(last, -11)
    months, nexts = [], []
    m = first
    while m < last:
        months.append(m)
        nexts.append(add_months(m, 1))
        m = add_months(m, 1)
    pairs = ibis.memtable({"month": months, "next_month": nexts}, schema={"month": "date", "next_month": "date"})
    start = h.inner_join(pairs, "month")
    later = h.select("loan_id", next_month="month", to_bucket="bucket")
    moved = start.left_join(later, ["loan_id", "next_month"]).select(
        "product_code", from_bucket=start.bucket, to_bucket=later.to_bucket.fill_null(CLOSED))
    by_product = moved.group_by(["product_code", "from_bucket", "to_bucket"]).agg(loans=moved.count())
    bank = moved.group_by(["from_bucket", "to_bucket"]).agg(loans=moved.count()).mutate(
        product_code=ibis.literal(ALL_PRODUCTS))
    t = by_product.union(bank.select(*by_product.columns))
    totals = t.group_by(["product_code", "from_bucket"]).agg(from_loans=t.loans.sum())
    t = t.inner_join(totals, ["product_code", "from_bucket"])
    t = t.select(
        # the float detour makes ibis emit the casts: DuckDB sums BIGINT into a wider type, Spark keeps BIGINT
        "product_code", "from_bucket", "to_bucket", loans=t.loans.cast("float64").cast("int64"),
        from_loans=t.from_loans.cast("float64").cast("int64"),
        from_rank=bucket_rank(t.from_bucket, cfg), to_rank=bucket_rank(t.to_bucket, cfg))
    return t.mutate(rate=(t.loans.cast("float64") / t.from_loans.cast("float64")),
                    worse=t.to_rank > t.from_rank)


MODEL = Model(
    "collection_roll_rates", "mart", ("loan_overdue_history",), build,
    "Per product (and * for the whole bank), bucket to bucket month over month: loans that moved, loans in the "
    "from-bucket, the rate (迁徙率), and whether the move is to a worse bucket.",
    grain="product × from-bucket × to-bucket", key=("product_code", "from_bucket", "to_bucket"),
    not_null=("loans", "from_loans", "rate"),
    invariants=(
        Invariant("a rate is a share", lambda t: (t.rate > 0) & (t.rate <= 1) & (t.loans <= t.from_loans),
                  "0 < rate ≤ 1: loans that moved are part of the loans in the from-bucket"),
    ),
)
