"""The dashboard of one user's scope: KPI cards, tier pyramid, Pareto curve, trends, channels, flows.

All of it is aggregates, but aggregates of *the user's* customers: the same ``authz.scope_customers``
that scopes the customer list selects the rows of ``portfolio_summary`` (per branch × grid × manager ×
month × tier) and of the customer-level marts. A customer manager's dashboard adds up their customers,
a branch head's their sub-branches, an analyst's the whole bank.

Results are cached per (snapshot, scope): a snapshot never changes once published, so an answer
computed for it stays true; a new build is a new key. ``docs/benchmarks.md`` reports latency with and
without the cache.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

import ibis

from finecrm.authz import Principal, customer_filter, require, scope_customers
from finecrm.core.formats import currency_unit
from finecrm.services.customers.outputs import (
    ComparisonRow,
    Currency,
    Dashboard,
    Definition,
    Kpi,
    LifecycleFlow,
    ParetoPoint,
    TierCell,
    TrendMonth,
)
from finecrm.services.customers.profile import CHANNELS
from finecrm.services.definitions import definitions
from finecrm.services.snapshot.serving import Serving

PARETO_POINTS = 20
COMPARISON_ROWS = 15
_CACHE_SIZE = 256


class _Cache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
        self._lock = threading.Lock()
        self.enabled = True

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], Dashboard]) -> Dashboard:
        if not self.enabled:
            return make()
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


CACHE = _Cache(_CACHE_SIZE)
# Off for measuring the uncached cost (bench/web_latency.py) or when memory is very tight.
CACHE.enabled = os.environ.get("FINECRM_DASHBOARD_CACHE", "1").lower() not in ("0", "false", "no")


def scope_key(principal: Principal) -> tuple[Any, ...]:
    """What the dashboard's numbers depend on: the role's scope, not the user's name."""
    return (principal.scope.value, principal.branch_scope and tuple(sorted(principal.branch_scope)),
            principal.staff_id if principal.scope.value == "own_customers" else None,
            tuple(sorted(principal.grid_ids)), tuple(sorted(principal.borrower_ids)))


def dashboard(serving: Serving, principal: Principal) -> Dashboard:
    require(principal, "view_dashboard")
    build_id = serving.build_id
    return CACHE.get_or_make((build_id, *scope_key(principal)), lambda: _compute(serving, principal, build_id))


def _f(v: Any) -> float:
    return float(v or 0)


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before in (None, 0):
        return None
    return round((now - before) / abs(before), 4)


def _compute(serving: Serving, principal: Principal, build_id: str) -> Dashboard:
    code = serving.ws.settings.bank.currency
    currency: Currency = {"code": code, "zh": currency_unit(code, "zh"), "en": currency_unit(code, "en")}
    p = scope_customers(principal, serving.table("portfolio_summary"))
    monthly = p.group_by("month").agg(
        customers=p.customers.sum(), aum=p.aum_avg.sum(), deposits=p.deposits_avg.sum(), loans=p.loans_avg.sum(),
        txn_ci=p.txn_ci.sum(), txn_off_counter=p.txn_off_counter.sum(), new_customers=p.new_customers.sum(),
        lost_customers=p.lost_customers.sum(),
    ).order_by("month")
    trend = serving.query(monthly)
    for r in trend:
        r["month"] = r["month"].isoformat()[:7]
        r["off_counter_rate"] = round(_f(r["txn_off_counter"]) / _f(r["txn_ci"]), 4) if r["txn_ci"] else None
        for k in ("customers", "txn_ci", "txn_off_counter", "new_customers", "lost_customers"):
            r[k] = int(r[k] or 0)
        for k in ("aum", "deposits", "loans"):
            r[k] = round(_f(r[k]), 2)
    last = trend[-1] if trend else {}
    prev = trend[-2] if len(trend) > 1 else {}
    # No loan balance in any month: the data holds no balances for loans (a mapping may give none), which is
    # not the same as no loans; the card says "unknown" rather than 0.
    loans_known = any(_f(r["loans"]) for r in trend)
    kpis: list[Kpi] = []
    for code in ("customers", "aum", "deposits", "loans", "off_counter_rate", "new_customers", "lost_customers"):
        now, before = last.get(code), prev.get(code)
        if code == "loans" and not loans_known:
            now = before = None
        kpis.append({"code": code, "value": now, "previous": before, "change": _change(now, before)})
    month = last.get("month")

    latest = p.filter(p.month == p.month.max()) if trend else p.filter(ibis.literal(False))
    pyramid = serving.query(
        latest.group_by(["kind", "tier"]).agg(customers=latest.customers.sum(), aum=latest.aum_avg.sum())
        .order_by(["kind", ibis.desc("aum")]))
    # Tiers in their own order (私行 above 财富 …), not by size: the rank comes with the customers.
    ranks = {(r["kind"], r["tier"]): r["tier_rank"] for r in serving.sql(
        "SELECT kind, tier, max(tier_rank) AS tier_rank FROM customer_360 GROUP BY 1, 2")}
    pyramid.sort(key=lambda r: (r["kind"] != "individual", -(ranks.get((r["kind"], r["tier"])) or 0)))
    for r in pyramid:
        r["customers"] = int(r["customers"] or 0)
        r["aum"] = round(_f(r["aum"]), 2)

    comparison_by = "grid_id" if principal.scope.value == "own_customers" else "branch_id"
    cmp_t = latest.filter(latest[comparison_by].notnull())
    comparison = serving.query(
        cmp_t.group_by(comparison_by).agg(customers=cmp_t.customers.sum(), aum=cmp_t.aum_avg.sum(),
                                          txn_ci=cmp_t.txn_ci.sum(), txn_off_counter=cmp_t.txn_off_counter.sum())
        .order_by(ibis.desc("aum")).limit(COMPARISON_ROWS))
    names = _names(serving, comparison_by)
    for r in comparison:
        r["id"] = r.pop(comparison_by)
        r["name"] = names.get(r["id"]) or r["id"]
        r["customers"] = int(r["customers"] or 0)
        r["aum"] = round(_f(r["aum"]), 2)
        r["off_counter_rate"] = round(_f(r["txn_off_counter"]) / _f(r["txn_ci"]), 4) if r["txn_ci"] else None

    c = scope_customers(principal, serving.table("customer_360"))
    channel_row = serving.query(c.aggregate(all=c.txn_ci_90d.sum(), **{ch: c[f"txn_{ch}_90d"].sum() for ch in CHANNELS}))
    counts = channel_row[0] if channel_row else {}
    channels = {ch: int(counts.get(ch) or 0) for ch in CHANNELS}
    # Customer-initiated transactions through a channel the contract does not name one by one ('other': in
    # Berka, transfers with other banks) count as off-counter: they are drawn too, so the mix adds up to the
    # rate beside it.
    channels["other"] = max(int(counts.get("all") or 0) - sum(channels.values()), 0)
    channels = {ch: n for ch, n in channels.items() if n}  # a channel nobody used is no slice of the mix

    # The rows above were converted column by column from the queries they come from.
    return {
        "snapshot": build_id,
        "month": month,
        "scope": principal.scope.value,
        "kpis": kpis,
        "trend": cast(list[TrendMonth], trend),
        "tier_pyramid": cast(list[TierCell], pyramid),
        "pareto": _pareto(serving, principal),
        "channel_mix": channels,
        "lifecycle_flow": _flows(serving, principal, month),
        "comparison": {"by": "grid" if comparison_by == "grid_id" else "branch",
                       "rows": cast(list[ComparisonRow], comparison)},
        "currency": currency,
        "definitions": _definitions(serving, loans_known),
    }


def _definitions(serving: Serving, loans_known: bool) -> dict[str, Definition]:
    """The metrics' definitions (services.definitions: the workspace's currency and thresholds)."""
    out: dict[str, Definition] = dict(definitions(serving.ws.settings))
    if not loans_known:
        out["loans"] = {"zh": out["loans"]["zh"] + "本快照的数据中没有贷款余额，贷款余额未知（不是 0）。",
                        "en": out["loans"]["en"] + " This snapshot's data holds no loan balances: they are unknown "
                                                   "(not 0)."}
    return out


def _names(serving: Serving, by: str) -> dict[str, str]:
    """Branch or grid names for the comparison chart (ids are what the data knows; people know names)."""
    table, name = ("grid_summary", "grid_name") if by == "grid_id" else ("branch_summary", "branch_name")
    if not serving.has_table(table):
        return {}
    return {r["id"]: r["name"] for r in serving.sql(f"SELECT DISTINCT {by} AS id, {name} AS name FROM {table}")}


def _pareto(serving: Serving, principal: Principal) -> list[ParetoPoint]:
    """Share of AUM held by the top x% of customers, at PARETO_POINTS evenly spaced x."""
    c = scope_customers(principal, serving.table("customer_360"))
    c = c.filter((c.lifecycle != "lost") & (c.aum_avg > 0))
    w = ibis.window(order_by=ibis.desc(c.aum_avg))
    ranked = c.select(aum=c.aum_avg, rank=ibis.row_number().over(w) + 1, n=c.count().over(ibis.window()),
                      total=c.aum_avg.sum().over(ibis.window()))
    ranked = ranked.mutate(cum=ranked.aum.sum().over(ibis.window(order_by=ranked["rank"], rows=(None, 0))))
    bucket = (ranked["rank"] * PARETO_POINTS / ranked.n).ceil().cast("int64")
    pts = ranked.mutate(bucket=bucket).group_by("bucket").agg(cum=ranked.cum.max(), total=ranked.total.max())
    rows = serving.query(pts.order_by("bucket"))
    out: list[ParetoPoint] = [{"customer_share": 0.0, "aum_share": 0.0}]
    for r in rows:
        if r["total"]:
            out.append({"customer_share": round(int(r["bucket"]) / PARETO_POINTS, 4),
                        "aum_share": round(_f(r["cum"]) / _f(r["total"]), 4)})
    return out


def _flows(serving: Serving, principal: Principal, month: str | None) -> list[LifecycleFlow]:
    """Customers from last month's lifecycle stage to this month's, in the user's scope."""
    if not month or not serving.has_table("customer_tier_history"):
        return []
    if customer_filter(principal, serving.table("customer_360")) is None and serving.has_table("lifecycle_flow"):
        # The whole bank: the build already counted the flows (lifecycle_flow), no need to join 2 months.
        f = serving.table("lifecycle_flow")
        f = f.filter(f.month == f.month.max())
        rows = serving.query(f.select("from_stage", "to_stage", "customers").order_by(ibis.desc("customers")))
        return [{"from": r["from_stage"], "to": r["to_stage"], "customers": int(r["customers"])} for r in rows]
    h = serving.table("customer_tier_history")
    ids = scope_customers(principal, serving.table("customer_360")).select("customer_id")
    h = h.filter(h.customer_id.isin(ids.customer_id))
    this = h.filter(h.month == h.month.max())
    before = h.filter(h.month == h.month.max() - ibis.interval(months=1)).select(
        "customer_id", from_stage=h.lifecycle)
    j = this.left_join(before, "customer_id")
    j = j.mutate(from_stage=j.from_stage.fill_null("entered"))
    rows = serving.query(j.group_by(["from_stage", "lifecycle"]).agg(customers=j.count())
                         .rename(to_stage="lifecycle").order_by(ibis.desc("customers")))
    return [{"from": r["from_stage"], "to": r["to_stage"], "customers": int(r["customers"])} for r in rows]
