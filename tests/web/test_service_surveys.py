"""Satisfaction surveys on the generated bank: the generator's answers imported give scores and intervals equal to
an independent computation and recover the true per-branch rates; a drawn sample is recorded and stratified; the
customer's page shows nothing about the customer, takes one answer per token, refuses reused and forged tokens and
is rate-limited; staff entry; the results page in both languages."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from scipy.stats import binomtest

from finecrm.authz import make_principal
from finecrm.db.session import make_engine, session_factory
from finecrm.services.service import surveys as sv
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import known_branches
from tests.web.conftest import web_client

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
DIMENSIONS = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def imported(web_bank) -> dict[str, Any]:
    """The generator's survey file imported by the head office's analyst: the results, the files and the truth."""
    bank = web_bank.home.parent / "bank"
    sample = [r["customer_id"] for r in _rows(bank / "_voice" / "survey_sample.csv")]
    answers = _rows(bank / "_voice" / "survey_answers.csv")
    analyst = make_principal("tests-analyst", "analyst", branches=known_branches(web_bank.ws) or {})
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            row = sv.import_answers(s, Serving(web_bank.ws), analyst, name="generated survey", sample=sample,
                                    answers=answers, now=NOW)
        with session_factory(engine)() as s:
            results = sv.results(s, analyst, row["id"])
    finally:
        engine.dispose()
    truth = {(r["branch_id"], r["dimension"]): (float(r["p_satisfied"]), float(r["response_rate"]))
             for r in _rows(bank / "_truth" / "survey_rates.csv")}
    return {"bank": bank, "sample": sample, "answers": answers, "results": results, "truth": truth}


def _independent(bank: Path, raw: Path) -> dict[tuple[str, str], tuple[int, int, float]]:
    """(branch or '*', dimension) → (satisfied, respondents, mean score) from the files, in SQL."""
    con = duckdb.connect()
    rows = con.execute(f"""
        WITH a AS (SELECT customer_id, question, TRY_CAST(score AS INTEGER) AS score
                   FROM read_csv('{bank}/_voice/survey_answers.csv', all_varchar = true) WHERE score <> ''),
             d AS (SELECT customer_id, CASE left(question, 3) WHEN 'rel' THEN 'reliability' WHEN 'res' THEN
                          'responsiveness' WHEN 'ass' THEN 'assurance' WHEN 'emp' THEN 'empathy' ELSE 'tangibles' END
                          AS dimension, avg(score) AS m FROM a GROUP BY ALL),
             c AS (SELECT customer_id, branch_id FROM read_parquet('{raw}/customers/*.parquet'))
        SELECT coalesce(branch_id, '*'), dimension, count(*) FILTER (WHERE m >= 4), count(*), avg(m)
        FROM d JOIN c USING (customer_id) GROUP BY GROUPING SETS ((branch_id, dimension), (dimension))""").fetchall()
    return {(b, dim): (int(k), int(n), float(mean)) for b, dim, k, n, mean in rows}


def test_scores_and_intervals_equal_an_independent_computation(imported, web_bank):
    res, expected = imported["results"], _independent(imported["bank"], web_bank.ws.raw)
    assert [d["dimension"] for d in res["dimensions"]] == list(DIMENSIONS)
    checked = 0
    for d in res["dimensions"]:
        cells = {"*": d["all"], **d["by_branch"]}
        for branch, cell in cells.items():
            k, n, mean = expected[(branch, d["dimension"])]
            assert (cell["satisfied"], cell["n"]) == (k, n), (branch, d["dimension"])
            ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            assert cell["share_low"] == pytest.approx(ci.low, abs=1e-9)
            assert cell["share_high"] == pytest.approx(ci.high, abs=1e-9)
            assert cell["mean"] == pytest.approx(mean, abs=1e-9)
            checked += 1
    assert checked == 5 * (1 + len(res["branches"]))
    responders = {a["customer_id"] for a in imported["answers"]}
    assert (res["sample"], res["responded"]) == (len(set(imported["sample"])), len(responders))


def test_the_intervals_recover_the_true_per_branch_rates(imported):
    res, truth = imported["results"], imported["truth"]
    covered = total = 0
    for d in res["dimensions"]:
        for branch, cell in d["by_branch"].items():
            p, _rate = truth[(branch, d["dimension"])]
            assert cell["n"] >= 20, (branch, cell["n"])  # enough answers for the interval to mean something
            covered += cell["share_low"] <= p <= cell["share_high"]
            total += 1
    # 95% intervals: about 19 of 20 cover; fewer than 80% would happen by chance with probability < 0.3%.
    assert total == 5 * len(res["branches"]) and covered >= 0.8 * total, (covered, total)
    rates = [(res["response_by_branch"][b], truth[(b, "reliability")][1]) for b in res["branches"]]
    assert sum(r["low"] <= true <= r["high"] for r, true in rates) >= len(rates) - 1


def test_a_drawn_sample_is_recorded_and_stratified_by_branch(login, web_bank):
    analyst = login("analyst")
    r = analyst.post("/api/service/surveys", headers={"X-CSRF-Token": analyst.csrf},
                     json={"name": "分层抽样检查", "size": 120, "strata": "branch", "seed": 7})
    assert r.status_code == 200, r.text
    drawn = r.json()
    sid = drawn["survey"]["id"]
    ids = [link["customer_id"] for link in drawn["links"]]
    assert len(ids) == len(set(ids)) == 120
    # Proportional allocation: each branch's share of the sample is its share of individual customers, to one.
    pop = dict(duckdb.sql(f"SELECT branch_id, count(*) FROM read_parquet('{web_bank.ws.raw}/customers/*.parquet') "
                          "WHERE kind = 'individual' GROUP BY 1").fetchall())
    got: dict[str, int] = defaultdict(int)
    for m in analyst.get(f"/api/service/surveys/{sid}/results").json()["response_by_branch"].items():
        got[m[0]] = m[1]["sample"]
    total = sum(pop.values())
    for branch, n in pop.items():
        assert abs(got[branch] - 120 * n / total) < 1, (branch, got[branch], 120 * n / total)
    # The same seed draws the same customers (the sample is reproducible from what was recorded).
    again = analyst.post("/api/service/surveys", headers={"X-CSRF-Token": analyst.csrf},
                         json={"name": "分层抽样检查 2", "size": 120, "strata": "branch", "seed": 7}).json()
    assert sorted(link["customer_id"] for link in again["links"]) == sorted(ids)
    # Tokens are not stored: only their hashes.
    engine = make_engine(web_bank.ws.database_url)
    with engine.connect() as c:
        stored = {row[0] for row in c.exec_driver_sql(
            f"SELECT token_hash FROM service_survey_members WHERE survey_id = {sid}")}
    engine.dispose()
    assert drawn["links"][0]["token"] not in stored and sv.token_hash(drawn["links"][0]["token"]) in stored


def test_the_customer_page_takes_one_answer_shows_nothing_and_refuses_forgeries(login, web_bank):
    analyst = login("analyst")
    drawn = analyst.post("/api/service/surveys", headers={"X-CSRF-Token": analyst.csrf},
                         json={"name": "链接检查", "size": 3, "strata": "none", "seed": 11}).json()
    link = drawn["links"][0]
    customer = Serving(web_bank.ws).sql("SELECT customer_id, name, phone FROM customer_360 WHERE customer_id = ?",
                                        [link["customer_id"]])
    public = web_client(web_bank.app)
    page = public.get(f"/s/{link['token']}")
    assert page.status_code == 200 and 'data-testid="public-survey"' in page.text
    for secret in (link["customer_id"], *(str(v) for v in customer[0].values() if v)):
        assert secret not in page.text  # nothing about the customer
    assert "logout" not in page.text
    answers = {f"q_{q}": "4" for q in ("rel_1", "rel_2", "res_1", "res_2", "ass_1", "ass_2", "emp_1", "emp_2",
                                       "tan_1", "tan_2")}
    r = public.post(f"/s/{link['token']}", data={**answers, "q_comment": "服务很好"})
    assert r.status_code == 200 and 'data-testid="survey-thanks"' in r.text
    assert public.post(f"/s/{link['token']}", data=answers).status_code == 404  # used
    assert public.get(f"/s/{link['token']}").status_code == 404
    forged = link["token"][:-2] + ("AA" if not link["token"].endswith("AA") else "BB")
    assert public.get(f"/s/{forged}").status_code == 404
    res = analyst.get(f"/api/service/surveys/{drawn['survey']['id']}/results").json()
    assert res["responded"] == 1 and all(d["all"]["n"] == 1 and d["all"]["satisfied"] == 1 for d in res["dimensions"])
    # An address that keeps guessing is stopped, even for a valid link.
    guesser = web_client(web_bank.app)
    codes = [guesser.get(f"/s/forged-token-{i:04d}").status_code for i in range(sv.LINK_REFUSALS)]
    assert codes == [404] * sv.LINK_REFUSALS
    assert guesser.get(f"/s/{drawn['links'][1]['token']}").status_code == 429
    assert guesser.post(f"/api/s/{drawn['links'][1]['token']}", json={"answers": {"rel_1": 5}}).status_code == 429
    # … while another address answers with that link.
    r = web_client(web_bank.app).post(f"/api/s/{drawn['links'][1]['token']}", json={"answers": {"rel_1": 5}})
    assert r.status_code == 200 and r.json() == {"answers": 1}


def test_staff_entry_and_the_results_page(login, web_bank):
    analyst = login("analyst")
    drawn = analyst.post("/api/service/surveys", headers={"X-CSRF-Token": analyst.csrf},
                         json={"name": "电话回访", "size": 2, "strata": "none", "seed": 3}).json()
    sid = drawn["survey"]["id"]
    page = analyst.get(f"/service/surveys/{sid}")
    member = int(re.search(r'data-testid="enter-(\d+)"', page.text).group(1))
    form = analyst.get(f"/service/surveys/{sid}/members/{member}")
    assert form.status_code == 200 and 'data-testid="dimension-tangibles"' in form.text
    r = analyst.post(f"/service/surveys/{sid}/members/{member}", follow_redirects=False,
                     data={"csrf_token": analyst.csrf, "q_rel_1": "2", "q_tan_1": "5"})
    assert r.status_code == 303
    r = analyst.post(f"/api/service/surveys/{sid}/members/{member}/answers", headers={"X-CSRF-Token": analyst.csrf},
                     json={"answers": {"rel_1": 3}})
    assert r.status_code == 400  # answered already
    zh = analyst.get(f"/service/surveys/{sid}").text
    for word in ("可靠性", "响应性", "保证性", "同情性", "有形性", "回收率"):
        assert word in zh
    en = analyst.get(f"/service/surveys/{sid}?lang=en").text
    for word in ("reliability", "responsiveness", "assurance", "empathy", "tangibles", "Response rate"):
        assert word in en
    # A branch head sees the whole bank's survey with only their own branches in it; a lobby manager none at all.
    assert login("lobby_manager").get("/service/surveys").status_code == 403
    head = login("branch_head")
    seen = head.get(f"/api/service/surveys/{sid}/results").json()
    own = {r[0] for r in duckdb.sql(f"SELECT branch_id FROM read_parquet('{web_bank.ws.raw}/branches/*.parquet') "
                                    f"WHERE branch_id = '{head.account.branch_id}' OR parent_id = "
                                    f"'{head.account.branch_id}'").fetchall()}
    assert set(seen["branches"]) <= own
    # A branch's own survey is not another branch's.
    mine = head.post("/api/service/surveys", headers={"X-CSRF-Token": head.csrf},
                     json={"name": "本行抽样", "size": 2, "strata": "none", "seed": 5}).json()["survey"]
    assert mine["branch_id"] == head.account.branch_id
    outsider = make_principal("other-head", "branch_head", branches=known_branches(web_bank.ws) or {},
                              branch_id=sorted(b for b in (known_branches(web_bank.ws) or {})
                                               if b not in own and b != head.account.branch_id)[-1])
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s, pytest.raises(sv.NotFound):
            sv.results(s, outsider, mine["id"])
    finally:
        engine.dispose()
