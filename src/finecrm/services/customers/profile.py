"""Customers for the workbench: search, the customer 360 record, transactions, revealing personal data.

Every function takes the principal and asks ``finecrm.authz`` — the action, then the rows (scope),
then masking — so a page or an API endpoint cannot forget one of them:

- lists are scoped and masked inside the query (``scope_customers`` + ``mask_table``): clear names
  never leave DuckDB for a masked page;
- one customer is fetched by id and passed through ``require_customer``: missing and out of scope are
  the same 404;
- money (AUM, balances, transactions, contribution) needs ``view_balances``: a lobby manager sees a
  customer's tier to route them, not their money;
- ``reveal`` needs ``reveal_pii`` and a reason, and writes the audit row before it returns anything.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import ibis
from sqlalchemy.orm import Session

from finecrm.authz import (
    Principal,
    allowed,
    mask_id,
    mask_name,
    mask_phone,
    mask_record,
    mask_table,
    require,
    require_customer,
    scope_customers,
)
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.services.common import PAGE_SIZE, Page, clamp_page, hide_money
from finecrm.services.customers.outputs import (
    AccountRow,
    Channels,
    Customer360,
    DepositAlertRow,
    NextBest,
    ProductScore,
    Propensity,
    SearchRow,
    TierMonth,
    TransactionRow,
)
from finecrm.services.customers.reasons import reasons
from finecrm.services.exports import export_customers
from finecrm.services.snapshot.serving import Serving

TRANSACTIONS_PAGE_SIZE = 20

SEARCH_COLUMNS = ("customer_id", "kind", "name", "phone", "id_number", "branch_id", "grid_id", "manager_id",
                  "tier", "value_tier", "lifecycle", "lifecycle_label", "segment_label", "aum_avg")

#: The columns a search list sorts by ("-" first: descending). Never a personal-data column: the order of masked
#: names, phones or ID numbers would give away what the mask hides. AUM only for who sees money.
SEARCH_SORTS = ("customer_id", "branch_id", "manager_id", "tier", "value_tier", "lifecycle", "aum_avg")


class SearchExportTooLarge(FinecrmError):
    """A search that finds more customers than one export may hold."""


class SortRefused(FinecrmError):
    """A sort a list does not offer, or one on money for a role that does not see money."""


MIN_REASON_LENGTH = 4


class RevealError(FinecrmError):
    """A reveal without a proper reason."""


_DIGITS4 = re.compile(r"^\d{4}$")

#: Searches by personal data one user may make in SEARCH_WINDOW: enough for a counter's day (a customer
#: hands over an ID card or says a phone number), far too few to guess a masked value one try at a time.
SEARCH_LIMIT = 60
SEARCH_WINDOW = timedelta(minutes=10)
SEARCH_ACTION = "customer_search"


class SearchLimited(FinecrmError):
    """Too many searches by personal data in a short time: wait, or ask a colleague who may reveal."""

    http_status = 429


def search(session: Session, serving: Serving, principal: Principal, q: str | None, *, page: int = 1,
           page_size: int = PAGE_SIZE, sort: str | None = None, ip: str | None = None,
           now: datetime | None = None) -> Page[SearchRow]:
    """Customers in scope matching ``q``; an empty ``q`` lists every customer in scope. Masked per role.

    ``q`` is a customer id (exact), or personal data: a name, phone or ID number. Searching by personal data
    is a reveal-like act (an answer says whether such a customer exists), so it is written to the audit log
    (``customer_search``: the kind of text searched, its masked form, how many matched) and limited to
    :data:`SEARCH_LIMIT` per :data:`SEARCH_WINDOW` per user. Who may reveal personal data may search part of
    a name or the last 4 digits of a phone or ID number; everyone else only the whole value, as a customer
    hands it over at the counter — a part would be an oracle for the masked characters.

    ``sort`` is one of :data:`SEARCH_SORTS`, "-" first for descending (then by customer id, so pages are stable).
    """
    require(principal, "search_customers")
    order = _search_order(principal, sort)
    page, page_size = clamp_page(page, page_size)
    t, text, partial = _searched(session, serving, principal, q, now)
    total = int(serving.scalar(t.count()) or 0)
    if text:
        repositories.record_audit(session, actor=principal.username, action=SEARCH_ACTION, target=None,
                                  details={"searched": _searched_kind(text), "masked": _masked_query(text),
                                           "matches": total, "partial": partial, "ip": ip})
    cols = [c for c in SEARCH_COLUMNS if c in t.columns]
    rows_expr = mask_table(principal, t.select(*cols)).order_by(order).limit(
        page_size, offset=(page - 1) * page_size)
    rows = [cast(SearchRow, hide_money(principal, r)) for r in serving.query(rows_expr)]  # SEARCH_COLUMNS
    return Page(rows, page, page_size, total)


def _searched(session: Session, serving: Serving, principal: Principal, q: str | None, now: datetime | None
              ) -> tuple[Any, str, bool]:
    """The customers in scope a search text selects (the rules of :func:`search`), the text, and whether a
    part of a value was allowed. A search by personal data counts towards the per-user limit."""
    t = scope_customers(principal, serving.table("customer_360"))
    text = (q or "").strip()[:60]
    partial = False
    if text:
        _within_limit(session, principal, now)
        cond = (t.customer_id == text) | (t.name == text) | (t.phone == text) | (t.id_number.upper() == text.upper())
        partial = allowed(principal, "reveal_pii")
        if partial:
            cond = cond | t.name.contains(text)
            if _DIGITS4.match(text):
                cond = cond | (t.phone.right(4) == text) | (t.id_number.right(4) == text)
        t = t.filter(cond)
    return t, text, partial


def export_search(session: Session, serving: Serving, principal: Principal, q: str | None, *,
                  ip: str | None = None, now: datetime | None = None) -> tuple[bytes, int]:
    """The customers a search finds, as an Excel workbook: the same rows as the list (scope, search rules),
    masked in the query, money only for who sees it, audited (``export_list``) before it is made. The search
    text is audited in its masked form only, as a search is."""
    require(principal, "search_customers")
    require(principal, "export_list")
    t, text, partial = _searched(session, serving, principal, q, now)
    return export_customers(
        session, serving, principal, t, columns=SEARCH_COLUMNS, title="客户查询 customer search",
        target="customer_search",
        details={"searched": _searched_kind(text) if text else None, "masked": _masked_query(text) if text else None,
                 "partial": partial},
        about=[["查询 search", _masked_query(text) or "（全部 all）" if text else "（全部 all）"]],
        too_many=(SearchExportTooLarge, "一次最多导出 {limit:,} 名客户，当前查询到 {n:,} 名，请缩小范围 / at most {limit:,} "
                  "customers per export; this search found {n:,}: narrow it"), ip=ip)


def _search_order(principal: Principal, sort: str | None) -> list[Any]:
    key = (sort or "customer_id").strip()
    column, descending = key.removeprefix("-"), key.startswith("-")
    if column not in SEARCH_SORTS:
        raise SortRefused(f"不能按 {column!r} 排序 / cannot sort by {column!r}: one of {', '.join(SEARCH_SORTS)}")
    if column == "aum_avg" and not allowed(principal, "view_balances"):
        raise SortRefused("您的角色不查看金额，不能按金额排序 / your role does not see money: it cannot sort by it")
    first = ibis.desc(column) if descending else ibis.asc(column)
    return [first, "customer_id"] if column != "customer_id" else [first]


def _within_limit(session: Session, principal: Principal, now: datetime | None) -> None:
    at = now or datetime.now(UTC)
    done = repositories.count_audit(session, actor=principal.username, action=SEARCH_ACTION,
                                    since=at - SEARCH_WINDOW)
    if done >= SEARCH_LIMIT:
        minutes = int(SEARCH_WINDOW.total_seconds() // 60)
        raise SearchLimited(
            f"{minutes} 分钟内按个人信息查询已达 {SEARCH_LIMIT} 次，请稍后再试 / {SEARCH_LIMIT} searches by personal data "
            f"in {minutes} minutes: please wait a few minutes")


def _searched_kind(text: str) -> str:
    digits = text.replace("X", "").replace("x", "")
    if digits.isdigit():
        return "id_number" if len(text) >= 15 else ("phone" if len(text) >= 11 else "digits")
    return "text"


def _masked_query(text: str) -> str | None:
    """What was searched, masked as the value it looks like: the audit log holds no clear personal data."""
    kind = _searched_kind(text)
    if kind == "id_number":
        return mask_id(text)
    if kind == "phone":
        return mask_phone(text)
    return mask_name(text, corporate=None)


def _one(serving: Serving, principal: Principal, customer_id: str) -> dict[str, Any]:
    rows = serving.sql("SELECT * FROM customer_360 WHERE customer_id = ?", [customer_id])
    return dict(require_customer(principal, rows[0] if rows else None, customer_id))


def customer_360(serving: Serving, principal: Principal, customer_id: str, *, revealed: bool = False
                 ) -> Customer360:
    """Everything the 360 page shows about one customer, scoped and masked.

    ``revealed=True`` only after :func:`reveal` has written its audit row (the web layer does both in
    one request); ``mask_record`` still masks unless the role may reveal.
    """
    require(principal, "view_customer")
    row = _one(serving, principal, customer_id)
    profile = hide_money(principal, mask_record(principal, row, revealed))
    money = "aum_avg" in profile
    history = cast(list[TierMonth], serving.sql(
        "SELECT month, tier, raw_tier, tier_watch, lifecycle" + (", aum_avg, aum_end, deposits_avg" if money else "")
        + " FROM customer_tier_history WHERE customer_id = ? ORDER BY month", [customer_id]))
    accounts = cast(list[AccountRow], serving.sql(
        "SELECT account_id, product_code, product_name, category, risk_level, status, is_open, open_date, "
        "close_date, branch_id, currency" + (", balance_end, balance_avg" if money else "")
        + " FROM customer_accounts WHERE customer_id = ? ORDER BY is_open DESC, open_date DESC, account_id",
        [customer_id]) if serving.has_table("customer_accounts") else [])
    alerts: list[DepositAlertRow] = []
    if serving.has_table("deposit_alerts") and allowed(principal, "view_deposit_watch") and money:
        alerts = cast(list[DepositAlertRow], serving.sql(
            "SELECT alert_date, rule, balance, baseline, drop_share, outflow_within, largest_outflow, evidence "
            "FROM deposit_alerts WHERE customer_id = ? ORDER BY alert_date DESC", [customer_id]))
    custom = serving.sql("SELECT segment FROM customer_custom_segments WHERE customer_id = ? ORDER BY segment",
                         [customer_id]) if serving.has_table("customer_custom_segments") else []
    return {
        "snapshot": serving.build_id,
        "customer": profile,
        "revealed": revealed and profile.get("name") == row.get("name"),
        "shows_money": money,
        "reasons": reasons(row, serving.ws.settings, money=money),
        "tier_history": history,
        "accounts": accounts,
        "deposit_alerts": alerts,
        "custom_segments": [r["segment"] for r in custom],
        "channels": _channels(profile),
        "propensity": _propensity(serving, customer_id),
    }


def _propensity(serving: Serving, customer_id: str) -> Propensity | None:
    """Scores per product and the next best product with its reasons (None before the mart exists).

    Only products configured as targets are listed; a product the customer holds has no score, one they are
    not suited to (age, KYC, risk level above their risk tolerance) says so instead of a score.
    """
    if not serving.has_table("customer_propensity"):
        return None
    rows = serving.sql("SELECT * FROM customer_propensity WHERE customer_id = ?", [customer_id])
    if not rows:
        return None  # corporates and lost customers are not scored
    r = rows[0]
    products: list[ProductScore] = []
    for t in serving.ws.settings.marketing.targets:
        if f"p_{t.code}" not in r:
            continue
        products.append({"code": t.code, "zh": t.zh, "en": t.en, "score": r.get(f"p_{t.code}"),
                         "decile": r.get(f"decile_{t.code}"), "eligible": r.get(f"eligible_{t.code}"),
                         "reason": r.get(f"reason_{t.code}"), "model": r.get(f"model_{t.code}")})
    best = next((p for p in products if p["code"] == r.get("nbp_target")), None)
    next_best: NextBest | None = None if best is None else {
        "code": best["code"], "zh": best["zh"], "en": best["en"], "offer": r.get("nbp_offer"),
        "score": r.get("nbp_score"), "value": r.get("nbp_value"), "reason": r.get("nbp_reason"),
        "why": best["reason"]}
    return {"products": products, "next_best": next_best}


CHANNELS = ("counter", "atm", "pos", "online", "mobile", "wechat", "phone")
SIGNUPS = ("online", "mobile", "phone", "sms", "wechat", "payroll", "utility")


def _channels(profile: dict[str, Any]) -> Channels:
    return {
        "transactions_90d": {ch: profile.get(f"txn_{ch}_90d") for ch in CHANNELS if f"txn_{ch}_90d" in profile},
        "signed": {s: bool(profile.get(f"signed_{s}")) for s in SIGNUPS if f"signed_{s}" in profile},
    }


def transactions(serving: Serving, principal: Principal, customer_id: str, *, page: int = 1,
                 page_size: int = TRANSACTIONS_PAGE_SIZE, revealed: bool = False) -> Page[TransactionRow]:
    """The customer's recent transactions, newest first, paged; counterparties masked per role."""
    require(principal, "view_customer")
    require(principal, "view_balances")
    _one(serving, principal, customer_id)  # scope: 404 for a customer outside it
    page, page_size = clamp_page(page, page_size, TRANSACTIONS_PAGE_SIZE)
    t = serving.table("customer_recent_transactions")
    t = t.filter(t.customer_id == customer_id)
    total = int(serving.scalar(t.count()) or 0)
    cols = ["txn_id", "ts", "account_id", "category", "direction", "amount", "channel", "kind",
            "counterparty_name", "counterparty_account", "counterparty_bank", "customer_initiated"]
    expr = mask_table(principal, t.select(*cols), revealed).order_by(ibis.desc("ts"), "txn_id").limit(
        page_size, offset=(page - 1) * page_size)
    return Page(cast(list[TransactionRow], serving.query(expr)), page, page_size, total)


def reveal(session: Session, serving: Serving, principal: Principal, customer_id: str, *, reason: str,
           fields: tuple[str, ...] = ("name", "id_number", "phone"), ip: str | None = None,
           task: str | None = None) -> Customer360:
    """Show a customer's personal data in clear: needs ``reveal_pii``, the customer in scope and a reason.
    Writes the audit row (who, which customer, which fields, why) in the caller's transaction first.
    ``task`` names the work the reveal serves (``campaign:<id>:<customer>`` for a call from a task)."""
    require(principal, "reveal_pii")
    _one(serving, principal, customer_id)
    why = (reason or "").strip()
    if len(why) < MIN_REASON_LENGTH:
        raise RevealError(f"请填写查看原因（至少 {MIN_REASON_LENGTH} 个字）/ "
                          f"give a reason for revealing (at least {MIN_REASON_LENGTH} characters)")
    repositories.record_audit(session, actor=principal.username, action="reveal_pii", target=customer_id,
                              reason=why[:500], details={"fields": list(fields), "ip": ip,
                                                         "snapshot": serving.build_id}
                              | ({"task": task} if task else {}))
    return customer_360(serving, principal, customer_id, revealed=True)
