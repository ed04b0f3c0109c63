"""The workbench's conventions as bank staff read them (issue 13): names, not codes; one unit per column of
amounts; times in the bank's time zone; a snapshot as its build time; colour as good or bad news.

Checked on the served pages against the warehouse and the snapshot, read here independently."""

from __future__ import annotations

import re
from html import unescape

import duckdb

from finecrm.core import formats
from finecrm.engine import snapshots
from tests.web.test_pages import _mart


def _raw(web_bank, table: str) -> str:
    return f"read_parquet('{web_bank.ws.raw / table / 'data.parquet'}')"


def _names(web_bank, table: str, key: str) -> dict[str, str]:
    return dict(duckdb.sql(f"SELECT {key}, name FROM {_raw(web_bank, table)}").fetchall())


def test_the_360_names_the_branch_grid_and_manager(login, web_bank):
    c360 = _mart(web_bank, "customer_360")
    cid, branch, grid, manager = duckdb.sql(
        f"SELECT customer_id, branch_id, grid_id, manager_id FROM {c360} WHERE grid_id IS NOT NULL "
        "AND manager_id IS NOT NULL ORDER BY customer_id LIMIT 1").fetchall()[0]
    html = login("analyst").get(f"/customers/{cid}").text
    for code, name in ((branch, _names(web_bank, "branches", "branch_id")[branch]),
                       (grid, _names(web_bank, "grids", "grid_id")[grid]),
                       (manager, _names(web_bank, "staff", "staff_id")[manager])):
        assert f'<span class="named" title="{code}" data-code="{code}">{name}</span>' in html, (code, name)


def test_search_results_show_names_and_one_unit_of_money(login, web_bank):
    html = unescape(login("analyst").get("/customers?q=").text)
    rows = re.findall(r'<tr><td><a href="/customers/([^"]+)" data-testid="customer-link">.*?</tr>', html, re.S)
    assert len(rows) >= 10
    c360 = _mart(web_bank, "customer_360")
    ids = ", ".join(f"'{r}'" for r in rows)
    facts = {cid: (b, m, aum) for cid, b, m, aum in duckdb.sql(
        f"SELECT customer_id, branch_id, manager_id, aum_avg FROM {c360} WHERE customer_id IN ({ids})").fetchall()}
    branches, staff = _names(web_bank, "branches", "branch_id"), _names(web_bank, "staff", "staff_id")
    scale = formats.money_scale([f[2] for f in facts.values()], "zh", "CNY")
    assert f"（{scale.label}）" in html  # the header names the column's one unit
    for row in re.findall(r'<tr><td><a href="/customers/[^"]+" data-testid="customer-link">.*?</tr>', html, re.S):
        cid = re.search(r'/customers/([^"]+)"', row).group(1)
        branch, manager, aum = facts[cid]
        assert f">{branches[branch]}</span>" in row and f'title="{branch}"' in row
        if manager:
            assert f">{staff[manager]}</span>" in row
        assert f'<td class="num">{scale.cell(aum)}</td>' in row  # a number in the column's unit, no 万 per cell
        assert "万</td>" not in row


def test_the_admin_picks_a_branch_from_a_list(login, web_bank):
    html = unescape(login("admin").get("/admin/users").text)
    select = re.search(r'<select name="branch_id".*?</select>', html, re.S).group(0)
    branches = _names(web_bank, "branches", "branch_id")
    assert len(re.findall(r'<option value="[^"]+">', select)) == len(branches)
    for code, name in branches.items():
        assert f'<option value="{code}">{name} · {code}</option>' in select


def test_times_are_the_bank_time_and_the_snapshot_is_its_build_time(login, web_bank):
    build_id = snapshots.published(web_bank.ws.snapshots)
    built = formats.build_time(build_id)
    assert built is not None
    local = built.astimezone(formats.zone("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    analyst = login("analyst")
    dashboard = analyst.get("/dashboard").text
    subtitle = re.search(r'<div class="page-head">.*?</div>', dashboard, re.S).group(0)
    month = formats.month(analyst.get("/api/dashboard").json()["month"])  # the data month, in Chinese: 2026年9月
    assert local in subtitle and build_id not in subtitle and month in subtitle and "年" in month
    status = login("admin").get("/status")
    assert status.status_code == 200 and f'title="{build_id}"' in status.text and local in status.text
    # No time is shown with seconds or microseconds anywhere on the audit log, the moments inside an event's
    # details (a lockout's locked_until, recorded as UTC isoformat) included: they read in the bank's time.
    from datetime import UTC, datetime

    from finecrm.db import repositories

    until = datetime(2026, 3, 1, 17, 45, 31, 123456, tzinfo=UTC)
    with web_bank.app.state.finecrm.sessions() as db, db.begin():
        repositories.record_audit(db, actor="system:auth", action="account_locked", target="probe_times",
                                  details={"locked_until": until.isoformat(), "failed_logins": 5})
    audit = login("compliance_officer").get("/audit").text
    assert not re.search(r"\d{2}:\d{2}:\d{2}", audit) and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", audit)
    probe = login("compliance_officer").get("/audit", params={"target": "probe_times"}).text
    assert "2026-03-02 01:45" in unescape(probe)  # 17:45 UTC is 01:45 the next day in Shanghai


def test_fewer_lost_customers_is_good_news(login):
    kpis = {k["code"]: k for k in login("analyst").get("/api/dashboard").json()["kpis"]}
    html = login("analyst").get("/").text
    for code, k in kpis.items():
        if not k["change"]:
            continue
        better = k["change"] < 0 if code == "lost_customers" else k["change"] > 0
        cls = re.search(rf'class="kpi-change (\w*)" data-testid="change-{code}"', html).group(1)
        assert cls == ("good" if better else "bad"), (code, k["change"], cls)


def test_a_transaction_time_is_the_bank_export_time_unshifted(login, web_bank):
    """Business times come from the bank's own export in its local time: only moments the product recorded
    (UTC in the database) are converted, so a transaction at 04:39 reads 04:39."""
    txns = _mart(web_bank, "customer_recent_transactions")
    cid, ts = duckdb.sql(f"SELECT customer_id, max(ts) FROM {txns} GROUP BY 1 ORDER BY 1 LIMIT 1").fetchall()[0]
    html = login("analyst").get(f"/customers/{cid}/transactions").text
    first = re.search(r"<tbody><tr><td>([^<]+)</td>", html).group(1)
    assert first == ts.strftime("%Y-%m-%d %H:%M")


def _campaign_from_an_audience(login) -> int:
    """A campaign drawn from a saved audience (whose page only analysts may open), through the API."""
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    a = analyst.post("/api/audiences", json={"name": "链接检查客群", "rule": "age >= 18"}, headers=h)
    assert a.status_code == 200, a.text
    c = analyst.post("/api/campaigns", headers=h, json={
        "name": "链接检查活动", "target": "mobile_banking", "channel": "phone", "start_date": "2026-10-01",
        "end_date": "2026-10-31", "audience": f"{a.json()['id']}:1"})
    assert c.status_code == 200, c.text
    return int(c.json()["id"])


def test_no_page_links_a_role_to_a_page_it_may_not_open(login, web_bank):
    """Every link on the pages a role reaches from its menu (two clicks deep) opens for that role: no 403
    behind a link (the branch head's campaign page linked to the audience, which only analysts open)."""
    campaign = _campaign_from_an_audience(login)
    skip = re.compile(r"^/(lang/|static/|logout|api/)")
    for role in web_bank.logins:
        client = login(role)
        level = ["/"] + [f"/campaigns/{campaign}"] * (role in ("analyst", "branch_head"))
        seen = {re.sub(r"\d+", "N", p) for p in level}
        for _depth in range(2):
            found: list[str] = []
            for page in level:
                r = client.get(page)
                assert r.status_code == 200, (role, page, r.status_code)
                for link in sorted(set(re.findall(r'<a [^>]*href="(/[^"#]*)"', unescape(r.text)))):
                    pattern = re.sub(r"\d+", "N", link)
                    if skip.search(link) or pattern in seen:
                        continue
                    seen.add(pattern)
                    answer = client.get(link, follow_redirects=False)
                    assert answer.status_code in (200, 303, 404), (role, page, link, answer.status_code)
                    if answer.status_code == 200 and "text/html" in answer.headers.get("content-type", ""):
                        found.append(link)
            level = found
        assert len(seen) >= 3, (role, seen)  # home, the password page and at least its own list


def _reason(html: str, testid: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", re.search(rf'data-testid="{testid}">(.*?)</p>', html, re.S).group(1)))


def test_reasons_are_sentences_in_the_page_language_and_quote_money_only_to_who_sees_it(login, web_bank):
    c360 = _mart(web_bank, "customer_360")
    cid, tier, aum = duckdb.sql(f"SELECT customer_id, tier, aum_avg FROM {c360} WHERE kind = 'individual' "
                                "AND aum_avg > 100000 AND NOT tier_watch ORDER BY customer_id LIMIT 1").fetchall()[0]
    analyst = login("analyst")
    zh_page = analyst.get(f"/customers/{cid}").text
    zh = _reason(zh_page, "tier-reason")
    assert formats.money(aum, "zh", "CNY") in zh and tier in zh and not re.search(r"[A-Za-z]", zh), zh
    for testid in ("lifecycle-reason", "segment-reason"):
        assert not re.search(r"[A-Za-z]", _reason(zh_page, testid)), (testid, _reason(zh_page, testid))
    analyst.cookies.set("finecrm_lang", "en")
    en_page = analyst.get(f"/customers/{cid}").text
    for testid in ("tier-reason", "lifecycle-reason", "segment-reason"):
        en = _reason(en_page, testid).replace(tier, "")  # the bank's own tier name is its word, as configured
        assert not re.search(r"[\u4e00-\u9fff]", en), (testid, en)
    assert formats.money(aum, "en", "CNY") in _reason(en_page, "tier-reason")

    lobby = login("lobby_manager")
    api = lobby.get(f"/api/customers/{cid}")
    if api.status_code == 404:  # not in the lobby manager's branch: take one that is
        cid = lobby.get("/api/customers").json()["rows"][0]["customer_id"]
        api = lobby.get(f"/api/customers/{cid}")
    doc = api.json()
    assert "tier_reason" not in doc["customer"] and "lifecycle_reason" not in doc["customer"]
    said = _reason(lobby.get(f"/customers/{cid}").text, "tier-reason")
    assert said == doc["reasons"]["tier"]["zh"] and "¥" not in said and not re.search(r"\d", said), said


def test_search_sorts_by_a_column_and_pages_keep_the_sort(login, web_bank):
    analyst = login("analyst")
    c360 = _mart(web_bank, "customer_360")
    expected = [r[0] for r in duckdb.sql(f"SELECT customer_id FROM {c360} ORDER BY aum_avg DESC, customer_id "
                                         "LIMIT 20 OFFSET 20").fetchall()]
    api = analyst.get("/api/customers", params={"sort": "-aum_avg", "page": 2}).json()
    assert [r["customer_id"] for r in api["rows"]] == expected
    html = unescape(analyst.get("/customers", params={"q": "", "sort": "-aum_avg", "page": 2}).text)
    assert re.findall(r'data-testid="customer-link">([^<]+)<', html) == expected
    assert 'aria-sort="descending"' in html and "/customers?q=&page=3&sort=-aum_avg" in html
    assert 'href="/customers?q=&sort=aum_avg"' in html  # clicking the sorted header again turns it round
    # page-number navigation, not only previous/next
    assert 'data-testid="page-1"' in html and 'aria-current="page">2<' in html and 'data-testid="page-4"' in html
    # never by personal data (the order would give away masked names), never by money for who sees none
    refused = analyst.get("/api/customers", params={"sort": "name"})
    assert refused.status_code == 400 and "cannot sort by 'name'" in refused.json()["message"]
    lobby = login("lobby_manager").get("/api/customers", params={"sort": "-aum_avg"})
    assert lobby.status_code == 400 and "money" in lobby.json()["message"]
    assert analyst.get("/api/customers", params={"sort": "x;drop"}).status_code == 422


def test_a_search_exports_its_rows_masked_and_audited(login, web_bank):
    import io

    from openpyxl import load_workbook
    from sqlalchemy import select

    from finecrm.db.models import AuditEvent

    for role in ("analyst", "branch_head"):
        client = login(role)
        listed = client.get("/api/customers", params={"page_size": 200}).json()
        r = client.post("/api/customers/export", headers={"X-CSRF-Token": client.csrf})
        assert r.status_code == 200, r.text
        rows = list(load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0].iter_rows(values_only=True))
        header, data = rows[0], rows[1:]
        assert len(data) == listed["total"] > 0  # the list's rows, its scope
        ids = {row[header.index("customer_id")] for row in data}
        assert {x["customer_id"] for x in listed["rows"]} <= ids
        names, phones = header.index("name"), header.index("phone")
        assert all("*" in (row[names] or "*") and (row[phones] is None or "****" in row[phones]) for row in data)
        with web_bank.app.state.finecrm.sessions() as s:
            event = s.scalars(select(AuditEvent).where(AuditEvent.action == "export_list",
                                                       AuditEvent.target == "customer_search")
                              .order_by(AuditEvent.id.desc())).first()
        assert event.actor == client.account.username and event.details["rows"] == len(data)
    lobby = login("lobby_manager")  # no export_list: no button, and the API refuses
    assert 'data-testid="export-search"' not in lobby.get("/customers").text
    assert lobby.post("/api/customers/export", headers={"X-CSRF-Token": lobby.csrf}).status_code == 403
    assert 'data-testid="export-search"' in login("analyst").get("/customers").text


def test_every_audit_action_the_product_records_has_a_label_in_both_languages():
    """The audit log shows 记录营销结果, not campaign_outcome: each action code written anywhere in the code
    (record_audit(..., action="…") or a module's *_ACTION constant) is labelled in zh.json and en.json."""
    from pathlib import Path

    import finecrm
    from finecrm.web.i18n import catalog

    src = Path(finecrm.__file__).parent
    codes: set[str] = set()
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\baction="([a-z_]+)"', text)) | set(re.findall(r'_ACTION = "([a-z_]+)"', text))
    assert len(codes) >= 25
    for lang in ("zh", "en"):
        missing = sorted(c for c in codes if f"audit.action.{c}" not in catalog(lang))
        assert missing == [], (lang, missing)


def test_the_audit_log_reads_in_words(login):
    html = unescape(login("compliance_officer").get("/audit").text)
    assert "登录" in html and ">login<" not in html  # labelled, the code on hover
    assert 'data-code="login"' in html


def test_definitions_are_one_click_away_on_the_pages_that_show_the_numbers(login, web_bank):
    from finecrm.services.definitions import definitions

    terms = definitions(web_bank.ws.settings)
    analyst = login("analyst")
    cid = analyst.get("/api/customers").json()["rows"][0]["customer_id"]
    pages = {f"/customers/{cid}": ("tier_pyramid", "lifecycle", "segment", "contribution", "value_tier"),
             "/segments": ("tier_pyramid", "value_tier", "lifecycle", "segment"),
             "/dashboard": ("aum", "off_counter_rate", "lost_customers")}
    for path, codes in pages.items():
        html = unescape(analyst.get(path).text)
        for code in codes:
            assert f'data-testid="def-{code}"' in html and terms[code]["zh"] in html, (path, code)
    # the work lists: the task states and propensity on the tasks page, what an audience is on its page
    for role, path, codes in (("customer_manager", "/tasks", ("task_state", "propensity")),
                              ("analyst", "/audiences?rule=kind%20%3D%20%27individual%27", ("audience", "customers")),
                              ("branch_head", "/dashboard", ("manager_progress",))):
        html = unescape(login(role).get(path).text)
        for code in codes:
            assert f'data-testid="def-{code}"' in html and terms[code]["zh"] in html, (path, code)
    # the thresholds in a definition are the bank's own, in its currency
    settings = web_bank.ws.settings
    for band in settings.tiers.retail:
        if band.min:
            assert f"{band.name} ≥ {formats.money(band.min, 'zh', settings.bank.currency)}" in terms["tier_pyramid"]["zh"]
    assert formats.pct(settings.marketing.control_share) in terms["uplift"]["zh"]


def test_lists_label_their_codes(login):
    """The explorer's list says 个人 and 稳定, not individual and stable (kind and lifecycle from the table)."""
    from finecrm.web.i18n import catalog

    html = unescape(login("analyst").get("/segments").text)
    listed = re.search(r'data-testid="explorer-list">.*?</table>', html, re.S).group(0)
    assert ">individual<" not in listed and ">stable<" not in listed
    assert f">{catalog('zh')['kind.individual']}<" in listed
