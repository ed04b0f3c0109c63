"""The workbench in a real browser: Debian's Chromium driven by Playwright against the app under uvicorn.

Every expectation is derived from the same bank, never typed in: the menu from ``authz.allowed`` over
``nav.NAV``, lists and counts from the JSON API or the serving snapshot, labels from the message
catalogs, audit rows from ``/api/audit``. One browser for the session; a fresh context (cookies) per
role. Screenshots of the main pages go to ``$FINECRM_ARTIFACTS`` (default ``test-artifacts/screenshots``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from finecrm.core.formats import money as fmt_money
from finecrm.core.formats import number as fmt_number
from finecrm.core.formats import pct as fmt_pct
from finecrm.web.i18n import catalog
from finecrm.web.nav import NAV, home_path, may_any
from tests.web.browser import (
    MASKED_PHONE,
    PHONE,
    canvas_report,
    menu,
    parse_count,
    shoot,
    wait_charts,
)

ROLES = ("analyst", "branch_head", "customer_manager", "lobby_manager", "risk_officer", "collector",
         "compliance_officer", "admin")
DASHBOARD_CHARTS = {"pyramid", "pareto", "trend", "channels", "flows", "comparison"}
ZH, EN = catalog("zh"), catalog("en")
MIN_SCREENSHOT_BYTES = 10_000


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def principals(web_bank) -> Callable[[str], Any]:
    """The demo user of a role as access control sees them (scope resolved from the bank's data)."""
    from sqlalchemy import select

    from finecrm.db.models import User
    from finecrm.services.access.auth import principal_for

    state = web_bank.app.state.finecrm

    def make(role: str) -> Any:
        org = state.org()
        branches, grids = org.branches, org.grids
        with state.sessions() as s:
            user = s.scalars(select(User).where(User.username == web_bank.logins[role].username)).one()
            return principal_for(user, branches=branches, grids=grids)

    return make


def api_all_customers(client: Any) -> tuple[int, list[dict[str, Any]]]:
    """Every customer the client's user may list, through the JSON API (all pages)."""
    rows: list[dict[str, Any]] = []
    page, total = 1, None
    while True:
        r = client.get(f"/api/customers?page_size=200&page={page}")
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"]
        rows += body["rows"]
        if page >= body["pages"]:
            return total, rows
        page += 1


def heading_name(page: Any) -> str:
    """The customer's name in the 360 page's heading (the heading also holds the id in a <span>)."""
    text: str = page.evaluate(
        "() => document.querySelector('[data-testid=customer-name]').firstChild.textContent.trim()")
    return text


def serving_customer(web_bank: Any, customer_id: str) -> dict[str, Any]:
    """The customer's row in clear, straight from the published snapshot (no masking: the reference)."""
    rows = web_bank.app.state.finecrm.serving.sql(
        "SELECT customer_id, kind, name, phone, manager_id, grid_id, tier FROM customer_360 WHERE customer_id = ?",
        [customer_id])
    assert rows, customer_id
    return dict(rows[0])


def audit_rows(client: Any, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    r = client.get(f"/api/audit?page_size=200&{query}")
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


# --- 1. each role: the menu and the rows it may see ---------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_login_form_and_menu_per_role(tabs, principals, role):
    """Signing in through the real form lands on the role's first page, and the menu holds exactly the
    pages ``authz.allowed`` grants it, labelled from the Chinese catalog; the header names the role."""
    principal = principals(role)
    expected = {href: ZH[key] for href, key, actions in NAV if may_any(principal, actions)}
    page = tabs.open(role)
    landing = home_path(principal)
    if landing is None:  # a role without any page (none today): the start page says so, and no menu
        assert page.url.rstrip("/") == tabs.base_url
        assert page.locator("[data-testid=home]").is_visible()
        assert page.locator("header nav.nav").count() == 0
    else:
        assert page.url == tabs.base_url + landing
    assert menu(page) == expected
    assert ZH[f"role.{role}"] in page.locator("[data-testid=who]").inner_text()
    tabs.assert_clean(page)


def test_customer_manager_lists_only_own_customers(tabs, principals, login, web_bank):
    """Every customer the customer manager's search page lists, over all its pages, is theirs (managed by
    them or in a grid cell they manage), and together they are exactly their book in the snapshot and
    in the JSON API."""
    principal = principals("customer_manager")
    assert principal.staff_id, "the demo customer manager has no staff id"
    snapshot = web_bank.app.state.finecrm.serving.sql("SELECT customer_id, manager_id, grid_id FROM customer_360")
    own = {r["customer_id"] for r in snapshot
           if r["manager_id"] == principal.staff_id or (r["grid_id"] is not None and r["grid_id"] in principal.grid_ids)}
    assert own, "the demo customer manager manages no customer: the check would be empty"
    assert len(own) < len(snapshot)

    api_total, api_rows = api_all_customers(login("customer_manager"))
    assert api_total == len(own)
    assert {r["customer_id"] for r in api_rows} == own
    for r in api_rows:
        assert r["manager_id"] == principal.staff_id or r.get("grid_id") in principal.grid_ids, r

    from playwright.sync_api import expect

    page = tabs.open("customer_manager")
    page.goto("/customers")
    assert page.locator("[data-testid=results] .list-head > p.muted").inner_text() == ZH["search.found"].format(
        total=f"{len(own):,}")
    listed: list[str] = []
    by_id = {r["customer_id"]: r for r in api_rows}
    for _ in range(100):
        links = page.locator("[data-testid=customer-link]")
        ids = links.all_inner_texts()
        assert ids
        listed += ids
        for row in page.locator("[data-testid=results] tbody tr").all():
            customer_id = row.locator("td").first.inner_text()
            shown = row.locator("td").nth(5).locator("[data-code]")  # by name, the staff id in data-code
            manager = shown.get_attribute("data-code") if shown.count() else None  # "—": no manager, a grid's
            assert customer_id in own, f"{customer_id} is not the manager's customer"
            assert manager == principal.staff_id or by_id[customer_id].get("grid_id") in principal.grid_ids
        nxt = page.locator("[data-testid=results] [data-testid=next]")
        if nxt.count() == 0:
            break
        nxt.click()  # htmx swaps the results in place
        expect(page.locator("[data-testid=customer-link]").first).not_to_have_text(ids[0])
    assert len(listed) == len(set(listed))
    assert set(listed) == own
    tabs.assert_clean(page)


def test_lobby_manager_sees_no_money(tabs, login):
    """The lobby manager's search has no AUM column and the 360 page no money and no transactions;
    the analyst's has the column (so the check looks at the right header)."""
    aum = ZH["col.aum_avg"]
    analyst = tabs.open("analyst")
    analyst.goto("/customers")
    # the header carries the column's one unit after the name: AUM 日均（万元）
    assert any(h.startswith(aum) for h in analyst.locator("[data-testid=results] thead th").all_inner_texts())

    page = tabs.open("lobby_manager")
    page.goto("/customers")
    headers = page.locator("[data-testid=results] thead th").all_inner_texts()
    assert ZH["col.tier"] in headers
    assert not any(h.startswith(aum) for h in headers)
    total, rows = api_all_customers(login("lobby_manager"))
    assert total > 0 and all("aum_avg" not in r for r in rows)
    with page.expect_navigation():
        page.locator("[data-testid=customer-link]").first.click()
    assert "/customers/" in page.url
    assert page.locator(".badge.tier").is_visible()
    assert page.locator("[data-testid=transactions-loading], [data-testid=transactions]").count() == 0
    assert page.locator("[data-testid=chart-customer-trend]").count() == 0
    assert ZH["customer.value"] not in page.locator("main").inner_text()
    tabs.assert_clean(page)


# --- 2. dashboard charts -----------------------------------------------------------------------------


def test_dashboard_charts_render_and_kpis_show(tabs, login):
    page = tabs.open("analyst")
    page.goto("/dashboard")
    assert wait_charts(page) == len(DASHBOARD_CHARTS)
    report = canvas_report(page)
    assert {c["chart"] for c in report} == DASHBOARD_CHARTS
    for c in report:
        assert c["canvas"], f"chart {c['chart']} has no canvas"
        assert c["width"] > 0 and c["height"] > 0, c
    assert any(c["painted"] > 0 for c in report), f"every chart canvas is blank: {report}"

    kpis = login("analyst").get("/api/dashboard").json()["kpis"]
    assert kpis
    for k in kpis:
        card = page.locator(f"[data-testid=kpi-{k['code']}]")
        assert card.is_visible(), k["code"]
        shown = card.locator(".kpi-value").inner_text().strip()
        if k["code"] in ("aum", "deposits", "loans"):
            expected = fmt_money(k["value"], "zh", "CNY")  # the workspace's currency (bank.currency)
        elif k["code"] == "off_counter_rate":
            expected = fmt_pct(k["value"])
        else:
            expected = fmt_number(k["value"])
        assert shown == expected, (k, shown)
        assert shown != "—", f"KPI {k['code']} shows no value"
    tabs.assert_clean(page)


# --- 3. search → 360 ---------------------------------------------------------------------------------


def _analyst_pick(login) -> tuple[Any, dict[str, Any]]:
    """An individual customer with a phone, a name, accounts and transactions, not on the first page."""
    client = login("analyst")
    rows = client.get("/api/customers?page_size=200").json()["rows"]
    for r in rows[20:]:
        if r["kind"] != "individual" or not r["phone"] or not r["name"] or len(r["name"]) < 2:
            continue
        detail = client.get(f"/api/customers/{r['customer_id']}").json()
        txns = client.get(f"/api/customers/{r['customer_id']}/transactions").json()
        if detail["accounts"] and txns["total"] > 0:
            return client, {"row": r, "detail": detail, "transactions": txns}
    raise AssertionError("no suitable customer among the analyst's first 200")


def test_search_then_customer_360(tabs, login, web_bank):
    from playwright.sync_api import expect

    _, pick = _analyst_pick(login)
    customer_id = pick["row"]["customer_id"]
    detail, txns = pick["detail"], pick["transactions"]

    page = tabs.open("analyst")
    page.goto("/customers")
    first_before = page.locator("[data-testid=customer-link]").first.inner_text()
    assert first_before != customer_id
    page.fill("[data-testid=search-input]", customer_id)
    page.click("[data-testid=search-submit]")
    links = page.locator("[data-testid=customer-link]")
    expect(links).to_have_count(1)
    expect(links.first).to_have_text(customer_id)
    with page.expect_navigation():
        links.first.click()
    assert page.url.endswith(f"/customers/{customer_id}")

    assert customer_id in page.locator("[data-testid=customer-name]").inner_text()
    expect(page.locator(".badge.tier")).to_have_text(detail["customer"]["tier"])
    holdings = page.locator("[data-testid=holdings] tbody tr td:first-child").all_inner_texts()
    assert holdings == [a["account_id"] for a in detail["accounts"]]
    # htmx replaces the placeholder with the first page of transactions
    expect(page.locator("[data-testid=transactions]")).to_be_visible()
    assert page.locator("[data-testid=transactions-loading]").count() == 0
    shown = page.locator("[data-testid=transactions] tbody tr").count()
    assert shown == min(txns["total"], txns["page_size"]) == len(txns["rows"])
    expect(page.locator("[data-testid=transactions] > p.muted")).to_have_text(
        ZH["customer.transactions_window"].format(total=f"{txns['total']:,}"))

    clear = serving_customer(web_bank, customer_id)
    name = heading_name(page)
    assert "*" in name and name != clear["name"] and name[0] == clear["name"][0]
    assert name == detail["customer"]["name"]
    phone = page.locator("[data-testid=phone]").inner_text().strip()
    assert MASKED_PHONE.match(phone), phone
    assert phone[:3] == clear["phone"][:3] and phone[-4:] == clear["phone"][-4:] and phone != clear["phone"]
    assert page.locator("[data-testid=reveal-open]").count() == 0  # the analyst may not reveal
    wait_charts(page, "[data-chart=customer-trend]")
    tabs.assert_clean(page)


# --- 4. refusals -------------------------------------------------------------------------------------


def test_forbidden_pages_and_foreign_customer(tabs, login, principals):
    cm = tabs.open("customer_manager")
    r = cm.goto("/admin/users")
    assert r is not None and r.status == 403
    assert cm.locator("[data-testid=error-page]").is_visible()
    assert cm.locator("[data-testid=users]").count() == 0

    lobby = tabs.open("lobby_manager")
    r = lobby.goto("/segments")
    assert r is not None and r.status == 403
    assert lobby.locator("[data-testid=error-page]").is_visible()
    assert lobby.locator("[data-testid=explorer-results]").count() == 0

    principal = principals("customer_manager")
    _, everyone = api_all_customers(login("analyst"))
    foreign = next(c["customer_id"] for c in everyone
                   if c["manager_id"] != principal.staff_id and c.get("grid_id") not in principal.grid_ids)
    assert login("analyst").get(f"/api/customers/{foreign}").status_code == 200  # it exists
    r = cm.goto(f"/customers/{foreign}")
    assert r is not None and r.status == 404
    assert cm.locator("[data-testid=error-page]").is_visible()
    refusal = cm.locator("main").inner_text()
    assert foreign not in refusal
    # the same answer as for a customer that does not exist: existence does not leak
    r = cm.goto(f"/customers/NO-SUCH-{uuid.uuid4().hex[:6]}")
    assert r is not None and r.status == 404
    assert cm.locator("main").inner_text() == refusal
    tabs.assert_clean(cm)
    tabs.assert_clean(lobby)


# --- 5. reveal ---------------------------------------------------------------------------------------


def test_customer_manager_reveals_with_reason_and_is_audited(tabs, login, web_bank):
    from playwright.sync_api import expect

    manager = login("customer_manager")
    _, mine = api_all_customers(manager)
    pick = next(r for r in mine if r["name"] and len(r["name"]) >= 2 and r["phone"])
    customer_id = pick["customer_id"]
    clear = serving_customer(web_bank, customer_id)
    reason = f"回访核实身份 browser-test {uuid.uuid4().hex[:8]}"

    page = tabs.open("customer_manager")
    page.goto(f"/customers/{customer_id}")
    before = heading_name(page)
    assert "*" in before and before != clear["name"]
    assert page.locator("[data-testid=revealed]").count() == 0
    page.click("[data-testid=reveal-open]")
    expect(page.locator("[data-testid=reveal-reason]")).to_be_visible()
    page.fill("[data-testid=reveal-reason]", reason)
    with page.expect_navigation() as nav:
        page.click("[data-testid=reveal-submit]")
    assert nav.value is not None and nav.value.status == 200
    expect(page.locator("[data-testid=revealed]")).to_be_visible()
    after = heading_name(page)
    assert "*" not in after and after == clear["name"]
    assert page.locator("[data-testid=phone]").inner_text().strip() == clear["phone"]

    rows = audit_rows(login("compliance_officer"), action="reveal_pii", target=customer_id)
    mine_rows = [r for r in rows if r["reason"] == reason]
    assert len(mine_rows) == 1, rows
    assert mine_rows[0]["actor"] == web_bank.logins["customer_manager"].username
    assert mine_rows[0]["target"] == customer_id
    assert "name" in mine_rows[0]["details"]["fields"]
    tabs.assert_clean(page)


# --- 6. export ---------------------------------------------------------------------------------------


def test_segment_export_is_masked_complete_and_audited(tabs, login, web_bank, tmp_path):
    from openpyxl import load_workbook

    analyst = login("analyst")
    compliance = login("compliance_officer")
    options = analyst.get("/api/segments").json()["options"]["tier"]
    counts = {t: analyst.get("/api/segments", params={"tier": t}).json()["customers"] for t in options}
    # a tier with more customers than one page shows (so the count is not the page's rows), the smallest such
    tier = min((t for t in options if counts[t] > 20), key=lambda t: counts[t], default=max(options, key=counts.get))
    before = {r["id"] for r in audit_rows(compliance, action="export_list")}

    page = tabs.open("analyst")
    page.goto("/segments")
    page.select_option("[data-testid=filter-tier]", tier)
    with page.expect_navigation():
        page.click("[data-testid=explore-submit]")
    assert parse_qs(urlsplit(page.url).query)["tier"] == [tier]
    shown = parse_count(page.locator("[data-testid=explorer-count]").inner_text())
    assert shown == counts[tier]
    wait_charts(page, "[data-chart=breakdown]")

    with page.expect_download() as info:
        page.click("[data-testid=export]")
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    wb = load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header, data = list(rows[0]), rows[1:]
    assert "name" in header and "phone" in header and "tier" in header
    assert len(data) == shown
    name_i, phone_i, tier_i = header.index("name"), header.index("phone"), header.index("tier")
    phones = [r[phone_i] for r in data if r[phone_i]]
    assert phones, "no phone in the export: the masking check would be empty"
    for p in phones:
        assert "****" in p and MASKED_PHONE.match(p), p
    assert all("*" in r[name_i] for r in data if r[name_i] and len(r[name_i]) >= 2)
    assert {r[tier_i] for r in data} == {tier}
    wb.close()

    new = [r for r in audit_rows(compliance, action="export_list") if r["id"] not in before]
    assert len(new) == 1, new
    event = new[0]
    assert event["actor"] == web_bank.logins["analyst"].username
    assert event["details"]["filters"] == {"tier": tier}
    assert event["details"]["rows"] == shown and event["details"]["masked"] is True
    tabs.assert_clean(page)


# --- 7. language -------------------------------------------------------------------------------------


def test_language_switch(tabs, principals):
    principal = principals("analyst")
    keys = [(href, key) for href, key, actions in NAV if may_any(principal, actions)]
    page = tabs.open("analyst")
    page.goto("/customers")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert menu(page) == {href: ZH[key] for href, key in keys}

    with page.expect_navigation():
        page.click(".lang a[href^='/lang/en']")
    assert page.url.endswith("/customers")
    assert page.locator("html").get_attribute("lang") == "en"
    assert menu(page) == {href: EN[key] for href, key in keys}
    assert "Dashboard" in menu(page).values()

    page.goto("/status")  # the choice is remembered (cookie) on the next page
    assert menu(page)["/status"] == EN["nav.status"]

    with page.expect_navigation():
        page.click(".lang a[href^='/lang/zh']")
    assert page.url.endswith("/status")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert menu(page) == {href: ZH[key] for href, key in keys}
    tabs.assert_clean(page)


# --- 8. screenshots ----------------------------------------------------------------------------------


def test_screenshots_of_main_pages(tabs, login):
    from playwright.sync_api import expect

    shots = []
    anonymous = tabs.open()
    anonymous.goto("/login")
    shots.append(shoot(anonymous, "login"))

    page = tabs.open("analyst")
    page.goto("/dashboard")
    wait_charts(page)
    shots.append(shoot(page, "dashboard"))
    page.goto("/customers")
    expect(page.locator("[data-testid=customer-link]").first).to_be_visible()
    shots.append(shoot(page, "customers"))
    _, pick = _analyst_pick(login)
    page.goto(f"/customers/{pick['row']['customer_id']}")
    expect(page.locator("[data-testid=transactions]")).to_be_visible()
    wait_charts(page)
    shots.append(shoot(page, "customer-360"))
    page.goto("/segments")
    wait_charts(page)
    shots.append(shoot(page, "segments"))
    page.goto("/status")
    expect(page.locator("[data-testid=published]")).to_be_visible()
    shots.append(shoot(page, "status"))
    tabs.assert_clean(page)

    admin = tabs.open("admin")
    admin.goto("/audit")
    expect(admin.locator("[data-testid=audit-table]")).to_be_visible()
    shots.append(shoot(admin, "audit"))
    admin.goto("/admin/users")
    expect(admin.locator("[data-testid=users]")).to_be_visible()
    shots.append(shoot(admin, "admin-users"))
    tabs.assert_clean(admin)

    for path in shots:
        assert path.is_file(), path
        assert path.stat().st_size > MIN_SCREENSHOT_BYTES, (path, path.stat().st_size)


def test_dashboard_on_a_phone(tabs):
    """At 390×844 the dashboard fits the screen (no sideways scrolling), the menu folds behind its button
    and opens on a tap, and the charts still render."""
    from playwright.sync_api import expect

    page = tabs.open("analyst", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto("/dashboard")
    assert wait_charts(page) == len(DASHBOARD_CHARTS)
    width = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert width["scroll"] <= width["view"], f"the page scrolls sideways on a phone: {width}"
    nav = page.locator("header nav.nav")
    expect(nav).to_be_hidden()
    page.locator("label.menu-button").tap()
    expect(nav).to_be_visible()
    expect(nav.locator("a[href='/dashboard']")).to_have_text(ZH["nav.dashboard"])
    page.locator("label.menu-button").tap()
    expect(nav).to_be_hidden()
    assert all(c["width"] > 0 and c["height"] > 0 for c in canvas_report(page))
    path = shoot(page, "dashboard-phone")
    assert path.stat().st_size > MIN_SCREENSHOT_BYTES
    tabs.assert_clean(page)


def test_the_360_on_a_phone(tabs, login):
    """At 390×844 a customer manager's 360 of their own customer fits the screen: wide tables scroll inside
    their box, the page never sideways (it was 1,187 px wide: the next-best-product table overflowed)."""
    page = tabs.open("customer_manager", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    client = login("customer_manager")
    _total, rows = api_all_customers(client)
    cid = next(r["customer_id"] for r in rows  # one with the widest parts: scores, a next best product, accounts
               if (d := client.get(f"/api/customers/{r['customer_id']}").json()).get("propensity")
               and d["propensity"]["next_best"] and len(d["accounts"]) >= 2)
    page.goto(f"/customers/{cid}")
    page.locator("[data-testid=nbp-product]").wait_for()
    page.locator("[data-testid=tier-reason]").wait_for()
    width = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert width["scroll"] <= width["view"], f"the 360 scrolls sideways on a phone: {width}"
    shoot(page, "customer-360-phone")
    tabs.assert_clean(page)
