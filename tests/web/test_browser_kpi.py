"""A branch head's KPI ranking and report download in a real browser (Playwright on Debian's Chromium): the ranking
of the branches in scope, sorted by one indicator, the Excel report downloaded from the page's button whose figures
equal the page's; a customer manager's own card with the rank. Screenshots on a desktop."""

from __future__ import annotations

from openpyxl import load_workbook

from tests.web.browser import shoot


def test_a_branch_heads_ranking_and_report(tabs, web_bank, login, tmp_path):
    from playwright.sync_api import expect

    api = login("branch_head").get("/api/kpi", params={"level": "branch"}).json()
    assert api["rows"]
    head = tabs.open("branch_head")
    head.goto("/kpi?level=branch")
    table = head.locator("[data-testid=kpi-table]")
    expect(table).to_be_visible()
    for row in api["rows"]:
        line = head.locator(f"[data-testid=kpi-row-{row['unit_id']}]")
        expect(line.locator("[data-testid=kpi-rank]")).to_have_text(str(row["rank"]))
        expect(line.locator("[data-testid=kpi-total]")).to_have_text(f"{row['total']:.2f}")
    shoot(head, "kpi-ranking-branch-head")
    head.locator("[data-testid=kpi-sort-loans_disbursed]").click()
    head.wait_for_url("**sort=loans_disbursed**")
    with head.expect_download() as done:
        head.locator("[data-testid=kpi-export] button").click()
    path = tmp_path / "report.xlsx"
    done.value.save_as(path)
    lines = list(load_workbook(path, read_only=True)["网点 branches"].iter_rows(values_only=True))[1:]
    assert [(ln[0], ln[1], ln[3]) for ln in lines] == [(r["rank"], r["unit_id"], r["total"]) for r in api["rows"]]

    manager = tabs.open("customer_manager")
    manager.goto("/kpi")
    card = manager.locator("[data-testid=kpi-mine]")
    expect(card).to_be_visible()
    mine = login("customer_manager").get("/api/kpi", params={"level": "manager"}).json()
    expect(card.locator("[data-testid=kpi-mine-rank]")).to_contain_text(str(mine["rows"][0]["rank"]))
    shoot(manager, "kpi-ranking-manager")
    tabs.assert_clean(manager)
    tabs.assert_clean(head)
