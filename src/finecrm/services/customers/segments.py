"""The segment explorer: filter the customers in scope by tier, value tier, segment, lifecycle, branch,
grid and a rule expression; counts, AUM, a breakdown and the list; export to Excel (masked, audited).

The rule is parsed by ``finecrm.rules`` against the columns of customer_360 without personal data and
compiled to an Ibis predicate: user text never becomes SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import ibis
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, mask_table, require, scope_customers
from finecrm.core.errors import FinecrmError
from finecrm.core.limits import RULE_MAX_LENGTH
from finecrm.services.common import Page, clamp_page, is_money
from finecrm.services.customers.columns import rule_columns, rule_labels, rule_table
from finecrm.services.customers.outputs import ExplorerQueryDoc, SegmentExplore, SegmentRow
from finecrm.services.exports import export_customers
from finecrm.services.snapshot.serving import Serving

#: The filters the explorer offers, in order: form field → customer_360 column.
FILTERS = ("tier", "value_tier", "segment", "lifecycle", "branch_id", "grid_id", "custom_segment")
#: Grouped by codes (the pages label them in their language); the old names of the label columns still work.
BREAKDOWNS = ("tier", "value_tier", "segment", "lifecycle", "branch_id")
_BREAKDOWN_ALIASES = {"segment_label": "segment", "lifecycle_label": "lifecycle"}
LIST_COLUMNS = ("customer_id", "kind", "name", "phone", "branch_id", "grid_id", "manager_id", "tier", "value_tier",
                "segment", "lifecycle", "aum_avg", "deposits_avg", "loans_end", "contribution")
# The workbook carries the Chinese labels, as a report does.
EXPORT_COLUMNS = ("customer_id", "kind", "name", "phone", "id_number", "branch_id", "grid_id", "manager_id", "tier",
                  "value_tier", "segment_label", "lifecycle_label", "aum_avg", "deposits_avg", "loans_end",
                  "contribution", "age", "products_held", "txn_ci_90d", "off_counter_rate_90d")


class ExplorerError(FinecrmError):
    """A filter or rule the explorer cannot apply (the message says why)."""


@dataclass(frozen=True)
class Query:
    filters: dict[str, str] = field(default_factory=dict)
    rule: str = ""
    breakdown: str = "tier"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Query:
        filters = {k: str(params[k]).strip() for k in FILTERS if params.get(k) not in (None, "")}
        breakdown = str(params.get("breakdown") or "tier")
        breakdown = _BREAKDOWN_ALIASES.get(breakdown, breakdown)
        if breakdown not in BREAKDOWNS:
            raise ExplorerError(f"breakdown 只能是 {', '.join(BREAKDOWNS)} / breakdown must be one of "
                                f"{', '.join(BREAKDOWNS)}")
        rule = str(params.get("rule") or "").strip()
        if len(rule) > RULE_MAX_LENGTH:  # refused, never cut: a cut rule selects other customers
            raise ExplorerError(f"规则过长 / the rule is too long ({len(rule)} characters; at most {RULE_MAX_LENGTH})")
        return cls(filters, rule, breakdown)

    def describe(self) -> ExplorerQueryDoc:
        return {"filters": self.filters, "rule": self.rule or None, "breakdown": self.breakdown}


def _selected(serving: Serving, principal: Principal, q: Query) -> ibis.Table:
    # The same table and columns as an audience: customer_360 with the propensity scores when built.
    t = rule_table(serving, principal)
    for col, value in q.filters.items():
        if col == "custom_segment":  # a saved rule (segments.custom in finecrm.yaml), evaluated by the build
            members = serving.table("customer_custom_segments")
            members = members.filter(members.segment == value)
            t = t.filter(t.customer_id.isin(members.customer_id))
        else:
            t = t.filter(t[col] == value)
    if q.rule:
        from finecrm.rules import RuleError, parse_rule

        try:
            labels = {c: zh for c, (zh, _en) in rule_labels(serving).items()}
            rule = parse_rule(q.rule, rule_columns(serving), labels)
        except RuleError as exc:
            raise ExplorerError(f"规则无法使用 / the rule cannot be used: {exc}") from None
        t = t.filter(rule.to_ibis(t))
    return t


def explore(serving: Serving, principal: Principal, q: Query, *, page: int = 1, page_size: int = 20
            ) -> SegmentExplore:
    require(principal, "view_segments")
    money = allowed(principal, "view_balances")
    t = _selected(serving, principal, q)
    agg: dict[str, Any] = {"customers": t.count()}
    if money:
        agg["aum"] = t.aum_avg.sum()
    totals = serving.query(t.aggregate(**agg))[0]
    b = t.group_by(q.breakdown).agg(**agg).order_by(ibis.desc("customers"))
    breakdown = serving.query(b.limit(50))
    page, page_size = clamp_page(page, page_size)
    cols = [c for c in LIST_COLUMNS if money or not is_money(c)]
    rows = cast(list[SegmentRow], serving.query(mask_table(principal, t.select(*cols)).order_by("customer_id")
                                                .limit(page_size, offset=(page - 1) * page_size)))  # LIST_COLUMNS
    return {
        "snapshot": serving.build_id,
        "query": q.describe(),
        "customers": int(totals["customers"] or 0),
        "aum": round(float(totals.get("aum") or 0), 2) if money else None,
        "breakdown": [{"key": r[q.breakdown], "customers": int(r["customers"]),
                       "aum": round(float(r.get("aum") or 0), 2) if money else None} for r in breakdown],
        "list": Page(rows, page, page_size, int(totals["customers"] or 0)).to_dict(),
        "options": _options(serving, principal),
    }


def _options(serving: Serving, principal: Principal) -> dict[str, list[str]]:
    """Values each filter can take within the user's scope (for the drop-downs)."""
    t = scope_customers(principal, serving.table("customer_360"))
    out = {}
    for col in FILTERS:
        if col == "grid_id":
            continue  # hundreds of grids: typed, not chosen from a list
        if col == "custom_segment":
            if serving.has_table("customer_custom_segments"):
                rows = serving.sql("SELECT DISTINCT segment FROM customer_custom_segments ORDER BY 1")
                out[col] = [r["segment"] for r in rows]
            continue
        rows = serving.query(t.select(col).distinct().order_by(col).limit(500))
        out[col] = [r[col] for r in rows if r[col] is not None]
    return out


def export_xlsx(session: Session, serving: Serving, principal: Principal, q: Query, *, ip: str | None = None
                ) -> tuple[bytes, int]:
    """The selected customers as an Excel workbook, masked per role; the export is audited first.

    Returns the file and its row count. Refuses more than MAX_EXPORT_ROWS rows.
    """
    require(principal, "export_list")
    require(principal, "view_segments")
    return export_customers(
        session, serving, principal, _selected(serving, principal, q), columns=EXPORT_COLUMNS,
        title="客户名单 customers", target="customer_360", details=q.describe(),
        about=[["筛选 filters", str(q.filters)], ["规则 rule", q.rule or ""]],
        too_many=(ExplorerError, "一次最多导出 {limit:,} 名客户，当前筛选出 {n:,} 名，请缩小范围 / at most {limit:,} "
                  "customers per export; this selection has {n:,}: narrow it"), ip=ip)
