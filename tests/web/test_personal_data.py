"""Personal data cannot be recovered through the real server by a role that may not reveal it: not by rebuilding
a masked ID from the fields beside it, not by searching as an oracle, not from any page or API answer."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from fastapi.routing import APIRoute

from finecrm.authz import AUTHENTICATED, PUBLIC, ROLES, allowed, declared_action
from finecrm.engine import snapshots
from finecrm.web.main import iter_routes
from tests.web.conftest import campaigns_or_one

#: Roles that may not reveal personal data (by default).
NON_REVEALING = sorted(r for r, role in ROLES.items() if "reveal_pii" not in role.grants)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _serving(web_bank) -> duckdb.DuckDBPyConnection:
    ws = web_bank.ws
    return duckdb.connect(str(ws.snapshots / snapshots.published(ws.snapshots) / "serving.duckdb"), read_only=True)


def _clear(web_bank, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = _serving(web_bank)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _id_candidates(shown: dict[str, Any], region: str, as_of: date) -> list[str]:
    """Resident IDs consistent with what one API answer shows, for an attacker who knows the county code.

    The answer gives the age at the snapshot date (so the birth year is one of two), perhaps the birth date
    itself, and whatever digits the mask leaves; the check digit rules out 10 in 11 of the rest."""
    masked = shown["id_number"]
    visible = {i: ch for i, ch in enumerate(masked) if ch != "*"}
    if shown.get("birth_date"):
        days = [date.fromisoformat(str(shown["birth_date"])[:10])]
    else:
        start, stop = date(as_of.year - shown["age"] - 1, 1, 1), date(as_of.year - shown["age"] + 1, 1, 1)
        days = [start + timedelta(d) for d in range((stop - start).days)]
    seq_known = all(i in visible for i in (14, 15, 16))
    sequences = [masked[14:17]] if seq_known else [f"{s:03d}" for s in range(1000)]
    found = []
    for day in days:
        for seq in sequences:
            first17 = region + day.strftime("%Y%m%d") + seq
            candidate = first17 + _check_digit(first17)
            if all(candidate[i] == ch for i, ch in visible.items()):
                found.append(candidate)
    return found


def _as_of(web_bank) -> date:
    ws = web_bank.ws
    return date.fromisoformat(str(snapshots.manifest(ws.snapshots, snapshots.published(ws.snapshots))["as_of"])[:10])


@pytest.mark.parametrize("role", ["analyst", "branch_head", "risk_officer"])
def test_an_id_number_cannot_be_rebuilt_from_what_a_role_without_the_reveal_right_sees(role, login, web_bank):
    client = login(role)
    rows = _clear(web_bank, "SELECT customer_id, id_number, phone FROM customer_360 WHERE id_type = 'resident_id' "
                            "AND length(id_number) = 18 AND phone IS NOT NULL ORDER BY customer_id")
    checked = 0
    for customer_id, id_number, phone in rows:
        r = client.get(f"/api/customers/{customer_id}")
        if r.status_code == 404:  # outside this role's scope
            continue
        shown = r.json()["customer"]
        assert shown["birth_date"] is None, "the birth date is personal data"
        assert shown["age"] is not None
        # With the county code known (most customers of a county bank share it), the ID is still one of many.
        candidates = _id_candidates(shown, id_number[:6], _as_of(web_bank))
        assert id_number in candidates  # the enumeration is honest: the true ID is among them
        assert len(candidates) >= 20, (customer_id, shown["id_number"], len(candidates))
        # The phone keeps 4 digits hidden and no other field of the answer gives them away.
        hidden = shown["phone"].count("*")
        assert hidden >= 4 and phone not in r.text and phone[3:7] not in re.sub(r"\D", "", shown["phone"])
        checked += 1
        if checked == 12:
            break
    assert checked >= 5, role


def test_the_old_mask_beside_a_birth_date_gave_the_id_away(web_bank):
    """The check above can fail: first 4 + last 4 shown beside the birth date leave one candidate or a handful."""
    customer_id, id_number, birth, age = _clear(
        web_bank, "SELECT customer_id, id_number, birth_date, age FROM customer_360 WHERE id_type = 'resident_id' "
                  "AND length(id_number) = 18 ORDER BY customer_id LIMIT 1")[0]
    old = {"id_number": id_number[:4] + "*" * 10 + id_number[-4:], "birth_date": birth.isoformat(), "age": age}
    assert _id_candidates(old, id_number[:6], _as_of(web_bank)) == [id_number], customer_id


def test_search_is_no_oracle_for_a_role_without_the_reveal_right(login, web_bank):
    analyst = login("analyst")
    name, phone, id_number = _clear(web_bank, "SELECT name, phone, id_number FROM customer_360 WHERE kind = "
                                              "'individual' AND length(name) >= 2 AND phone IS NOT NULL AND "
                                              "id_type = 'resident_id' ORDER BY customer_id LIMIT 1")[0]

    def exact(column: str, value: str) -> int:
        return _clear(web_bank, f"SELECT count(*) FROM customer_360 WHERE {column} = ?", [value])[0][0]

    # A part of a name, the last 4 digits: no answer, so nothing to learn about the masked characters.
    assert analyst.get("/api/customers", params={"q": name[:1]}).json()["total"] == exact("name", name[:1])
    assert analyst.get("/api/customers", params={"q": name[:-1]}).json()["total"] == exact("name", name[:-1])
    assert analyst.get("/api/customers", params={"q": phone[-4:]}).json()["total"] == 0
    # What a customer hands over at the counter finds them.
    assert analyst.get("/api/customers", params={"q": name}).json()["total"] == exact("name", name) >= 1
    assert analyst.get("/api/customers", params={"q": phone}).json()["total"] == exact("phone", phone) >= 1
    assert analyst.get("/api/customers", params={"q": id_number}).json()["total"] == 1
    # Each search is audited, without the clear text searched.
    with web_bank.app.state.finecrm.sessions() as s:
        from finecrm.db import repositories

        events = [e for e in repositories.list_audit(s, action="customer_search", limit=50)
                  if e.actor == analyst.account.username][:6]
    assert len(events) == 6
    logged = repr([e.details for e in events])
    assert phone not in logged and id_number not in logged and name not in logged
    assert {e.details["searched"] for e in events} >= {"text", "phone", "id_number"}


def test_a_role_that_may_reveal_still_finds_by_part_of_a_name_and_the_last_4(login, web_bank):
    manager = login("customer_manager")
    own = manager.get("/api/customers?page_size=5").json()["rows"]
    phone = _clear(web_bank, "SELECT phone FROM customer_360 WHERE customer_id = ?", [own[0]["customer_id"]])[0][0]
    found = manager.get("/api/customers", params={"q": phone[-4:]}).json()
    assert own[0]["customer_id"] in {r["customer_id"] for r in found["rows"]}


def test_searches_by_personal_data_are_limited_per_user(web_bank):
    from finecrm.services.access import users
    from finecrm.services.access.auth import generate_password
    from finecrm.services.customers.profile import SEARCH_LIMIT
    from tests.web.conftest import web_client

    password = generate_password(username="limit_probe")
    branches = web_bank.app.state.finecrm.org().branches
    with web_bank.app.state.finecrm.sessions() as s, s.begin():
        users.add_user(s, username="limit_probe", role="analyst", password=password, actor="tests",
                       must_change_password=False, branches=branches)
    client = web_client(web_bank.app)
    assert client.post("/api/auth/login", json={"username": "limit_probe", "password": password}).status_code == 200
    answers = [client.get("/api/customers", params={"q": f"邱{i}"}).status_code for i in range(SEARCH_LIMIT + 1)]
    assert answers[:SEARCH_LIMIT] == [200] * SEARCH_LIMIT
    assert answers[SEARCH_LIMIT] == 429
    refused = client.get("/api/customers", params={"q": "邱"}).json()
    assert refused["error"] == "SearchLimited" and "/" in refused["message"]
    assert client.get("/api/customers").status_code == 200  # listing without a search is not limited


def test_a_branch_head_sees_campaign_numbers_of_their_scope_only(login, web_bank):
    analyst, head = login("analyst"), login("branch_head")
    campaigns = campaigns_or_one(login)
    seen = 0
    for c in campaigns:
        r = head.get(f"/api/campaigns/{c['id']}")
        if r.status_code == 404:  # no member in this branch
            continue
        doc, whole = r.json(), analyst.get(f"/api/campaigns/{c['id']}").json()
        assert whole["details"]["counts"]["members"] == whole["counts"]["members"]  # the analyst: the whole bank
        assert doc["details"]["counts"] is None and doc["details"]["strata"] == {}
        assert doc["scope"] == "branch" and doc["counts"]["members"] <= whole["counts"]["members"]
        seen += 1
    assert seen


# --- the scan: every page and API answer of every role ------------------------------------------------------------


PATH_VALUES = {"{username}": "demo_analyst", "{code}": "en", "{audience_id}": "1", "{campaign_id}": "1",
               "{target}": "mobile_banking", "{version}": "1", "{what}": "disable", "{complaint_id}": "1",
               "{survey_id}": "1", "{member_id}": "1"}


def _answers(web_bank, client, role: str) -> tuple[str, list[str]]:
    """Every GET page and API answer the role may open, for three of the customers it sees."""
    from finecrm.services.access.auth import principal_for
    from finecrm.services.access.users import get_user

    org = web_bank.app.state.finecrm.org()
    branches, grids = org.branches, org.grids
    with web_bank.app.state.finecrm.sessions() as s:
        principal = principal_for(get_user(s, username=client.account.username), branches=branches, grids=grids)
    seen = client.get("/api/customers?page_size=3")
    customers = [r["customer_id"] for r in seen.json()["rows"]] if seen.status_code == 200 else []
    texts = []
    for route in iter_routes(web_bank.app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        action = declared_action(route.endpoint)
        if action == PUBLIC or (action != AUTHENTICATED and not allowed(principal, action)):
            continue
        paths = route.path
        for cid in (customers if "{customer_id}" in paths else [""])[:3]:
            path = paths.replace("{customer_id}", cid)
            for key, value in PATH_VALUES.items():
                path = path.replace(key, value)
            r = client.get(path, follow_redirects=False)
            if r.status_code == 200:
                texts.append(r.text)
    return " ".join(texts), customers


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_page_or_answer_of_any_role_holds_clear_personal_data(role, login, web_bank):
    client = login(role)
    text, customers = _answers(web_bank, client, role)
    assert len(text) > 1000, role
    digits = re.sub(r"[^\dX]", " ", text)
    clear = _clear(web_bank, "SELECT phone, id_number, name, birth_date, customer_id FROM customer_360")
    staff_names = {n for (n,) in duckdb.sql(
        f"SELECT name FROM read_parquet('{web_bank.ws.raw}/staff/data.parquet')").fetchall()}
    for phone, id_number, name, birth, customer_id in clear:
        if phone and len(phone) >= 11:
            assert phone not in digits, (role, "phone", customer_id)
        if id_number and len(id_number) >= 15:
            assert id_number not in text, (role, "id_number", customer_id)
        if name and len(name) >= 3 and name not in staff_names:
            assert name not in text, (role, "name", customer_id)
        if birth and customer_id in customers:
            assert birth.isoformat() not in text, (role, "birth_date", customer_id)
