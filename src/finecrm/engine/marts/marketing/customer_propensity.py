"""customer_propensity — one row per individual customer not lost: scores, eligibility, next best product.

Per marketing target ``t`` (``marketing.targets``):

- ``p_t``: probability of taking ``t`` within ``marketing.horizon_days``, from the active model (the
  build service's ``score_propensity`` hook scores the build month's ``propensity_features`` rows);
  null when the customer already holds ``t`` or no model is active;
- ``decile_t``: 1 = the highest tenth of the scored customers … 10 = the lowest;
- ``eligible_t``: may be offered ``t``: does not hold it, age within ``min_age``–``max_age``, KYC
  (money-laundering) level not in ``kyc_excluded``, and — when the offered product has a risk level —
  suitability (适当性): its risk level ≤ the customer's assessed risk tolerance. For a category
  target (e.g. wealth) whose configured product is too risky for the customer, the highest-risk
  product of the category within the tolerance is offered instead; none → not eligible;
- ``reason_t`` (top reasons of the score, Chinese / English) and ``model_t`` (model version).

Next best product (下一个最佳产品): among eligible, scored targets the one with the highest expected
value p × value (yuan a year), with the product offered, the score, the value and a reason that
names the product, score × value, the model's top reasons and the suitability check passed.

Without a hook (no active model) the mart is still built: scores and next best product are null,
eligibility is computed all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import PropensityTarget
from finecrm.engine.marts.marketing.propensity_features import holds_column
from finecrm.engine.model import BuildContext, Invariant, Model

TOLERANCES = (1, 2, 3, 4, 5)
BASE = ("customer_id", "branch_id", "grid_id", "manager_id", "tier")


class PropensityScoringError(FinecrmError):
    """The propensity hook returned something the mart cannot use."""


@dataclass(frozen=True)
class Offer:
    """What is offered to a customer of a given risk tolerance, and the suitability sentence for it."""

    code: str | None
    zh: str
    en: str


def offers_by_tolerance(target: PropensityTarget, catalogue: list[dict[str, Any]]) -> dict[int, Offer | None] | None:
    """Per risk tolerance C1–C5, the product offered (None: nothing suitable); None when no risk check applies.

    A risk check applies when the offered product has a risk level in the catalogue. For a category
    target the fallback is the highest-risk product of the category within the tolerance (ties: the
    lowest product code).
    """
    if target.offer_product is None:
        return None
    by_code = {p["product_code"]: p for p in catalogue}
    product = by_code.get(target.offer_product)
    risk = product.get("risk_level") if product else None
    if risk is None:
        return None
    out: dict[int, Offer | None] = {}
    for tol in TOLERANCES:
        if risk <= tol:
            out[tol] = Offer(target.offer_product, f"风险等级 R{risk} ≤ 风险承受能力 C{tol}",
                             f"risk level R{risk} ≤ risk tolerance C{tol}")
            continue
        fits = [p for p in catalogue if target.kind == "category" and p["category"] == target.match
                and p.get("risk_level") is not None and p["risk_level"] <= tol]
        if not fits:
            out[tol] = None
            continue
        best = sorted(fits, key=lambda p: (-p["risk_level"], p["product_code"]))[0]
        r = best["risk_level"]
        out[tol] = Offer(
            best["product_code"],
            f"{target.offer_product} 风险等级 R{risk} > 风险承受能力 C{tol}，改荐 {best['product_code']}："
            f"风险等级 R{r} ≤ C{tol}",
            f"{target.offer_product} risk level R{risk} > risk tolerance C{tol}, offering {best['product_code']} "
            f"instead: risk level R{r} ≤ C{tol}")
    return out


def _scores(ctx: BuildContext, rows: ibis.Table, codes: list[str]) -> ibis.Table | None:
    """Call the hook on the build month's feature rows; its answer as a table to join (None: no hook)."""
    if ctx.score_propensity is None:
        return None
    features = rows.order_by("customer_id").to_pyarrow()
    got = ctx.score_propensity(features)
    if not isinstance(got, pa.Table) or "customer_id" not in got.column_names:
        raise PropensityScoringError("score_propensity must return an Arrow table with customer_id")
    if got.num_rows != features.num_rows or pc.count_distinct(got.column("customer_id")).as_py() != got.num_rows:
        raise PropensityScoringError(f"score_propensity returned {got.num_rows} rows for {features.num_rows} "
                                     "customers (one row per customer expected)")
    keep = ["customer_id"]
    types: dict[str, pa.DataType] = {"customer_id": pa.string()}
    models: dict[str, list[str]] = {}
    for code in codes:
        if f"p_{code}" not in got.column_names:
            continue
        keep += [f"p_{code}", f"reason_{code}", f"model_{code}"]
        types |= {f"p_{code}": pa.float64(), f"reason_{code}": pa.string(), f"model_{code}": pa.string()}
        models[code] = [v for v in pc.unique(got.column(f"model_{code}")).to_pylist() if v is not None]
    ctx.artifacts["propensity"] = {"scored_customers": got.num_rows, "models": models}
    if len(keep) == 1:
        return None
    table = pa.table({c: got.column(c).cast(types[c]) for c in keep})
    return ibis.memtable(table)


def _pct(p: ibis.Value) -> ibis.Value:
    """A probability as "12.3%" (integer arithmetic: the same text on every backend)."""
    permille = (p * 1000).round(0).cast("int64")
    return (permille // 10).cast("string") + "." + (permille % 10).cast("string") + "%"


def _yuan(x: ibis.Value) -> ibis.Value:
    return x.round(0).cast("int64").cast("string")


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    targets = ctx.settings.marketing.targets
    codes = [t.code for t in targets]
    c = src["customer_360"]
    base = c.filter((c.kind == "individual") & (c.lifecycle != "lost")).select(
        *BASE, "age", "kyc_risk_level", "risk_tolerance")
    f = src["propensity_features"]
    now = f.filter(f.month == ibis.date(ctx.as_of_month))
    held = now.select("customer_id", *[holds_column(code) for code in codes])
    j = base.left_join(held, "customer_id").select(base, *[held[holds_column(code)] for code in codes])

    scores = _scores(ctx, now.semi_join(base.select("customer_id"), "customer_id"), codes)
    if scores is not None:
        cols = [x for x in scores.columns if x != "customer_id"]
        j = j.left_join(scores, "customer_id").select(j, *[scores[x] for x in cols])
    missing: dict[str, ibis.Value] = {}
    for code in codes:
        if f"p_{code}" not in j.columns:
            missing |= {f"p_{code}": ibis.null("float64"), f"reason_{code}": ibis.null("string"),
                        f"model_{code}": ibis.null("string")}
    if missing:
        j = j.mutate(**missing)

    catalogue = src["stg_products"].select("product_code", "category", "risk_level").to_pyarrow().to_pylist()
    tol = j.risk_tolerance
    per_target: dict[str, dict[str, ibis.Value]] = {}
    for t in targets:
        holds = j[holds_column(t.code)].fill_null(False)
        p = ibis.ifelse(holds, ibis.null("float64"), j[f"p_{t.code}"])
        kyc_ok = ~j.kyc_risk_level.isin(t.kyc_excluded).fill_null(False) if t.kyc_excluded else ibis.literal(True)
        age_ok = j.age.notnull() & (j.age >= t.min_age) & (j.age <= t.max_age)
        offers = offers_by_tolerance(t, catalogue)
        if offers is None:
            offer = ibis.literal(t.offer_product, "string")
            suit = ibis.literal("无风险等级要求 / no risk level to check", "string")
            risk_ok = ibis.literal(True)
        else:
            offer = ibis.cases(*[(tol == k, o.code) for k, o in offers.items() if o], else_=ibis.null("string"))
            suit = ibis.cases(*[(tol == k, f"{o.zh} / {o.en}") for k, o in offers.items() if o],
                              else_=ibis.null("string"))
            risk_ok = offer.notnull()
        eligible = (~holds & age_ok & kyc_ok & risk_ok).fill_null(False)
        per_target[t.code] = {"p": p, "eligible": eligible, "offer": offer, "suit": suit}
    j = j.mutate(**{f"p_{k}": v["p"] for k, v in per_target.items()},
                 **{f"eligible_{k}": v["eligible"] for k, v in per_target.items()},
                 **{f"_offer_{k}": v["offer"] for k, v in per_target.items()},
                 **{f"_suit_{k}": v["suit"] for k, v in per_target.items()})
    deciles = {}
    for code in codes:
        p = j[f"p_{code}"]
        w = ibis.window(group_by=p.isnull(), order_by=[ibis.desc(p), j.customer_id])
        deciles[f"decile_{code}"] = ibis.ifelse(p.isnull(), ibis.null("int64"),
                                                (ibis.ntile(10).over(w) + 1).cast("int64"))
    j = j.mutate(**deciles)
    j = _next_best(j, targets)
    ordered = [*BASE]
    for code in codes:
        ordered += [f"p_{code}", f"decile_{code}", f"eligible_{code}", f"reason_{code}", f"model_{code}"]
    return j.select(*ordered, "nbp_target", "nbp_offer", "nbp_score", "nbp_value", "nbp_reason")


def _next_best(j: ibis.Table, targets: list[PropensityTarget]) -> ibis.Table:
    """The eligible target with the highest p × value (ties: the first in finecrm.yaml)."""
    if not targets:
        return j.mutate(nbp_target=ibis.null("string"), nbp_offer=ibis.null("string"),
                        nbp_score=ibis.null("float64"), nbp_value=ibis.null("float64"),
                        nbp_reason=ibis.null("string"))
    ev = {t.code: ibis.ifelse(j[f"eligible_{t.code}"] & j[f"p_{t.code}"].notnull(), j[f"p_{t.code}"] * t.value,
                              ibis.null("float64")) for t in targets}
    j = j.mutate(**{f"_ev_{k}": v for k, v in ev.items()})
    evs = [j[f"_ev_{t.code}"].fill_null(-1.0) for t in targets]
    best = ibis.greatest(*evs) if len(evs) > 1 else evs[0]
    j = j.mutate(_best=best)
    chosen = [((j[f"_ev_{t.code}"].fill_null(-1.0) == j._best) & (j._best >= 0), t) for t in targets]

    def pick(value: Any, typ: str) -> ibis.Value:
        return ibis.cases(*[(cond, value(t)) for cond, t in chosen], else_=ibis.null(typ))

    def reason(t: PropensityTarget) -> ibis.Value:
        p, e = j[f"p_{t.code}"], j[f"_ev_{t.code}"]
        offer = j[f"_offer_{t.code}"].fill_null("")
        value = f"{t.value:g}"
        return (f"{t.zh} " + offer + "：倾向 " + _pct(p) + f" × 价值 {value} 元 = " + _yuan(e) + " 元/年"
                + f" / {t.en} " + offer + ": score " + _pct(p) + f" × value ¥{value} = ¥" + _yuan(e) + " a year"
                + " · 原因 reasons: " + j[f"reason_{t.code}"].fill_null("—")
                + " · 适当性 suitability: " + j[f"_suit_{t.code}"].fill_null("—"))

    j = j.mutate(
        nbp_target=pick(lambda t: ibis.literal(t.code, "string"), "string"),
        nbp_offer=pick(lambda t: j[f"_offer_{t.code}"], "string"),
        nbp_score=pick(lambda t: j[f"p_{t.code}"], "float64"),
        nbp_value=pick(lambda t: j[f"_ev_{t.code}"].round(2), "float64"),
        nbp_reason=pick(reason, "string"),
    )
    return j


def _all(conds: list[Any]) -> Any:
    return ibis.and_(*conds) if conds else ibis.literal(True)


MODEL = Model(
    "customer_propensity", "mart", ("customer_360", "propensity_features", "stg_products"), build,
    "Per individual customer not lost: propensity per marketing target (active models), decile, eligibility "
    "(holding, age, KYC, risk level ≤ risk tolerance), reasons and model version; next best product = the "
    "eligible target with the highest score × value, with the product offered and why.",
    grain="customer", key=("customer_id",), not_null=("branch_id", "tier"),
    invariants=(
        Invariant("scores are probabilities", lambda t: _all(
            [t[x].isnull() | ((t[x] >= 0) & (t[x] <= 1)) for x in t.columns if x.startswith("p_")]),
            "0 ≤ p ≤ 1 for every target"),
        Invariant("deciles exactly where scored", lambda t: _all(
            [(t[x].isnull() == t["decile_" + x[2:]].isnull()) & (t["decile_" + x[2:]].isnull()
             | t["decile_" + x[2:]].between(1, 10)) for x in t.columns if x.startswith("p_")]),
            "decile 1–10 for scored customers, empty otherwise"),
        Invariant("next best product is eligible and scored", lambda t: _all(
            [(t.nbp_target != x[9:]).fill_null(True) | (t[x] & t["p_" + x[9:]].notnull())
             for x in t.columns if x.startswith("eligible_")]),
            "nbp_target is a target the customer is eligible for and has a score for"),
        Invariant("next best product complete", lambda t: t.nbp_target.isnull() == t.nbp_score.isnull(),
                  "a next best product always has a score (and vice versa)"),
    ),
)
