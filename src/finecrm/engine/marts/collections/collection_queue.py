"""collection_queue — one row per loan past due on the build date: its bucket, strategy step and priority.

From ``loan_status`` (days past due, overdue and outstanding amounts; definitions in ``_loan_position``): every loan
with days past due > 0 is in the queue, in the bucket of ``collections.buckets`` that holds its days past due, with
the bucket's strategy step (短信 → 电话 → 信函/上门 → 诉讼/委外).

**Priority** (轻重缓急) = expected loss = exposure × the probability to roll:

- exposure (风险敞口) = outstanding principal + overdue interest;
- the probability to roll = the share of loans of the same bucket that were in a worse bucket a month later
  (for the last bucket: still in it, not cured), from ``collection_roll_rates`` — the product's own rate when at
  least ``collections.roll_rates.min_loans`` of its loans were in the bucket, else the bank's; with no history at
  all, 1 (the exposure alone orders the queue, and the reason says so).

``priority_rank`` 1 is the loan to work first (ties: more days past due, then the loan id). The reason is a
sentence in Chinese and English (``priority_reason_zh`` / ``_en``). Contacts, promises and assignment are people's
work in the operational database: the collections service adds them when it reads the queue.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.marts.collections._buckets import bucket_of, bucket_rank, step_of
from finecrm.engine.marts.collections.collection_roll_rates import ALL_PRODUCTS
from finecrm.engine.model import BuildContext, Invariant, Model


def _int_text(x: ibis.Value) -> ibis.Value:
    """A number as whole-number text, the same on every backend."""
    return x.round().cast("int64").cast("string")


def roll_probabilities(rates: ibis.Table, ctx: BuildContext) -> ibis.Table:
    """(product_code, bucket, p, observations) of every product and of ``*``, for the buckets of the queue."""
    cfg = ctx.settings.collections
    last = cfg.buckets[-1].code
    r = rates.filter(rates.from_rank > 0)
    rolled = ibis.ifelse(r.from_bucket == last, r.to_rank == r.from_rank, r.to_rank > r.from_rank)
    r = r.mutate(rolled_loans=ibis.ifelse(rolled, r.loans, 0))
    return r.group_by(["product_code", "from_bucket"]).agg(
        rolled=r.rolled_loans.sum().cast("float64"), observations=r.from_loans.max().cast("int64"),
    ).select("product_code", "observations", bucket="from_bucket", p=ibis._.rolled / ibis._.observations)


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    cfg = ctx.settings.collections
    s = src["loan_status"]
    s = s.filter(s.dpd > 0)
    s = s.mutate(bucket=bucket_of(s.dpd, cfg))
    probs = roll_probabilities(src["collection_roll_rates"], ctx)
    own = probs.filter((probs.product_code != ALL_PRODUCTS) & (probs.observations >= cfg.roll_rates.min_loans))
    own = own.select(product_code="product_code", bucket="bucket", p_own="p", n_own="observations")
    bank = probs.filter(probs.product_code == ALL_PRODUCTS).select(bucket="bucket", p_bank="p", n_bank="observations")
    j = s.left_join(own, ["product_code", "bucket"]).drop("product_code_right", "bucket_right")
    j = j.left_join(bank, "bucket").drop("bucket_right")
    basis = ibis.cases((j.p_own.notnull(), "product"), (j.p_bank.notnull(), "bank"), else_="none")
    p = j.p_own.coalesce(j.p_bank, ibis.literal(1.0))
    n = j.n_own.coalesce(j.n_bank, ibis.literal(0).cast("int64"))
    exposure = (j.outstanding_principal + j.overdue_interest).round(2)
    j = j.mutate(exposure=exposure, roll_probability=p.cast("float64"), roll_basis=basis,
                 roll_observations=n.cast("int64"), expected_loss=(exposure * p).round(2),
                 bucket_rank=bucket_rank(j.bucket, cfg), step=step_of(j.bucket, cfg))
    last = cfg.buckets[-1].code
    is_last = j.bucket == last
    pct = _int_text(j.roll_probability * 100)
    zh_prob = ibis.ifelse(is_last, "一个月后仍未好转的概率 ", "一个月后转入更差分段的概率 ") + pct + "%"
    en_prob = ibis.ifelse(is_last, "chance of no improvement a month later ",
                          "chance of rolling to a worse bucket a month later ") + pct + "%"
    zh_basis = ibis.cases(
        (j.roll_basis == "product", "（本产品 " + j.roll_observations.cast("string") + " 笔历史）"),
        (j.roll_basis == "bank", "（全行 " + j.roll_observations.cast("string") + " 笔历史）"),
        else_="（尚无历史，按敞口排序）")
    en_basis = ibis.cases(
        (j.roll_basis == "product", " (this product, " + j.roll_observations.cast("string") + " loans of history)"),
        (j.roll_basis == "bank", " (whole bank, " + j.roll_observations.cast("string") + " loans of history)"),
        else_=" (no history yet: ordered by exposure)")
    zh = ("逾期 " + j.dpd.cast("string") + " 天（" + j.bucket + "）；" + zh_prob + zh_basis + "；敞口 ¥"
          + _int_text(j.exposure) + " × " + pct + "% ≈ 预期损失 ¥" + _int_text(j.expected_loss))
    en = (j.dpd.cast("string") + " days past due (" + j.bucket + "); " + en_prob + en_basis + "; exposure ¥"
          + _int_text(j.exposure) + " × " + pct + "% ≈ expected loss ¥" + _int_text(j.expected_loss))
    j = j.mutate(priority_reason_zh=zh, priority_reason_en=en)
    order = ibis.row_number().over(order_by=[ibis.desc(j.expected_loss), ibis.desc(j.dpd), j.loan_id])
    # Spark types row_number as INTEGER, DuckDB as BIGINT; the float detour makes ibis emit the cast (a cast to
    # the type ibis already believes is dropped), so both engines write BIGINT.
    j = j.mutate(priority_rank=(order + 1).cast("float64").cast("int64"),
                 priority_reason=j.priority_reason_zh + " / " + j.priority_reason_en)
    return j.select(
        "loan_id", "customer_id", "customer_kind", "branch_id", "manager_id", "product_code", "product_name",
        "as_of_date", "dpd", "bucket", "bucket_rank", "step", "principal", "outstanding_principal",
        "overdue_principal", "overdue_interest", "overdue_amount", "overdue_instalments", "first_unpaid_due",
        "exposure", "roll_probability", "roll_basis", "roll_observations", "expected_loss", "priority_rank",
        "priority_reason_zh", "priority_reason_en", "priority_reason",
    )


MODEL = Model(
    "collection_queue", "mart", ("loan_status", "collection_roll_rates"), build,
    "Per loan past due on the build date: bucket (M1–M4+, configurable), strategy step, overdue and outstanding "
    "amounts, and the priority = exposure × the probability to roll to a worse bucket (learned from the bank's "
    "month ends, by product where enough), with the reason.",
    grain="loan past due on the build date", key=("loan_id",),
    not_null=("customer_id", "branch_id", "bucket", "step", "exposure", "roll_probability", "expected_loss",
              "priority_rank", "priority_reason"),
    invariants=(
        Invariant("only loans past due", lambda t: (t.dpd > 0) & (t.bucket_rank > 0),
                  "every loan of the queue is past due and in a collection bucket"),
        Invariant("probability is a share", lambda t: (t.roll_probability >= 0) & (t.roll_probability <= 1),
                  "0 ≤ probability to roll ≤ 1"),
    ),
)
