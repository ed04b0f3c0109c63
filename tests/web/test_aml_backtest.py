"""`finecrm aml backtest` on the session's generated bank, run as a compliance officer's script would.

At the bank's own settings the backtest gives the published alerts exactly (per rule and month); with the
generator's injected cases as labels, recall and precision equal an independent count over the published parties; a changed parameter changes only
its rule; bad assignments, rules and files are refused naming what to fix; a role without ``work_case`` is refused;
every run is audited and nothing is published or left behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from finecrm.db.models import AuditEvent
from finecrm.db.session import make_engine, session_factory
from finecrm.engine import snapshots
from finecrm.engine.labels import AML_RULES
from tests.cli.shell import ANALYST, run
from tests.web.test_pages import _mart

COMPLIANCE = {"FINECRM_CLI_ROLE": "compliance_officer"}


def _backtest(web_bank, *args: str, env: dict[str, str] = COMPLIANCE) -> tuple[int, dict]:
    r = run("aml", "backtest", *args, "--home", str(web_bank.home), "--json", env=env)
    return r.returncode, json.loads(r.stdout)


@pytest.fixture(scope="module")
def labels(web_bank, tmp_path_factory) -> Path:
    """The accounts of the generator's injected AML and insider cases, one per row under a header."""
    truth = web_bank.home.parent / "bank" / "_truth"
    ids = [r[0] for r in duckdb.sql(f"""
        SELECT DISTINCT cp.account_id FROM '{truth / 'case_parties.parquet'}' cp
        JOIN '{truth / 'cases.parquet'}' c USING (case_id)
        WHERE c.area IN ('aml', 'insider') AND cp.account_id IS NOT NULL ORDER BY 1""").fetchall()]
    assert ids, "the generator injected cases"
    path = tmp_path_factory.mktemp("labels") / "suspicious.csv"
    path.write_text("account_id\n" + "\n".join(ids) + "\nNO-SUCH-ID\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def defaults(web_bank, labels) -> dict:
    before = snapshots.published(web_bank.ws.snapshots)
    code, doc = _backtest(web_bank, "--labels", str(labels))
    assert code == 0, doc
    assert snapshots.published(web_bank.ws.snapshots) == before  # nothing published
    leftovers = [p.name for p in (web_bank.ws.warehouse / "tmp").iterdir() if p.name.startswith(("trial-", "backtest-"))]
    assert leftovers == []  # nothing left behind
    return doc


def test_at_the_banks_settings_the_backtest_gives_the_published_alerts(web_bank, defaults):
    published = _mart(web_bank, "aml_alerts")
    per_rule = dict(duckdb.sql(f"SELECT rule, count(*) FROM {published} GROUP BY 1").fetchall())
    assert {r["rule"]: r["alerts"] for r in defaults["per_rule"]} == {r: per_rule.get(r, 0) for r in AML_RULES}
    by_month = {(r, m): n for r, m, n in duckdb.sql(
        f"SELECT rule, strftime(alert_date, '%Y-%m'), count(*) FROM {published} GROUP BY 1, 2").fetchall()}
    assert {(m["rule"], m["month"]): m["alerts"] for m in defaults["by_month"]} == by_month
    assert defaults["changed"] == {} and defaults["alerts"] == sum(per_rule.values()) > 0


def test_labels_give_recall_and_precision_as_counted_independently(web_bank, defaults, labels):
    quality = defaults["labels_quality"]
    ids = [x for x in labels.read_text(encoding="utf-8").split()[1:]]
    assert quality["ids"] == len(ids) and quality["unmatched"] == 1 and quality["unmatched_ids"] == ["NO-SUCH-ID"]
    print(f"backtest at the bank's settings: account recall {quality['all_rules']['account']['recall']}, "
          f"customer recall {quality['all_rules']['customer']['recall']}")
    parties = _mart(web_bank, "aml_alert_parties")
    accounts = web_bank.home.parent / "bank" / "accounts"
    bank_accounts = f"read_csv('{accounts}/*.csv', all_varchar=true)" if list(accounts.glob("*.csv")) else \
        f"read_parquet('{accounts}/*.parquet')"
    labelled = set(ids) - {"NO-SUCH-ID"}
    for rule in [*AML_RULES, "*"]:
        where = "" if rule == "*" else f"AND p.rule = '{rule}'"
        found = {r[0] for r in duckdb.sql(f"""
            SELECT DISTINCT p.account_id FROM {parties} p JOIN {bank_accounts} a ON a.account_id = p.account_id
            WHERE p.party_type = 'account' {where}""").fetchall()}
        hit = len(found & labelled)
        got = quality["all_rules"] if rule == "*" else next(r for r in quality["per_rule"] if r["rule"] == rule)
        assert got["account"]["found"] == len(found) and got["account"]["true_found"] == hit, rule
        assert got["account"]["recall"] == round(hit / len(labelled), 4), rule
        assert got["account"]["precision"] == (round(hit / len(found), 4) if found else None), rule
    # every account of every injected case is found by some rule (the engine test's recall of 1.0 per typology,
    # here on another seed)
    assert quality["all_rules"]["account"]["recall"] == 1.0
    assert quality["all_rules"]["customer"]["recall"] == 1.0


def test_a_changed_parameter_changes_only_its_rule(web_bank, defaults):
    code, doc = _backtest(web_bank, "--set", "fan_in_fan_out.min_in=1000", "--rules",
                          "fan_in_fan_out,cash_structuring")
    assert code == 0, doc
    assert doc["changed"] == {"fan_in_fan_out.min_in": 1000}
    got = {r["rule"]: r["alerts"] for r in doc["per_rule"]}
    before = {r["rule"]: r["alerts"] for r in defaults["per_rule"]}
    assert set(got) == {"fan_in_fan_out", "cash_structuring"}
    assert got["fan_in_fan_out"] == 0 < before["fan_in_fan_out"]
    assert got["cash_structuring"] == before["cash_structuring"]
    assert {m["rule"] for m in doc["by_month"]} <= {"cash_structuring"}


@pytest.mark.parametrize(("args", "named"), [
    (("--set", "no_such_rule.x=1"), "no_such_rule"),
    (("--set", "fan_in_fan_out.no_such=1"), "no_such"),
    (("--set", "fan_in_fan_out.min_in=many"), "aml.fan_in_fan_out.min_in"),
    (("--set", "fan_in_fan_out.min_in=1"), "aml.fan_in_fan_out.min_in"),  # below the allowed minimum of 2
    (("--set", "min_in"), "rule.param=value"),
    (("--rules", "fan_in_fan_out,bogus"), "bogus"),
    (("--labels", "/no/such/file.csv"), "/no/such/file.csv"),
])
def test_bad_requests_are_refused_naming_what_to_fix(web_bank, args, named):
    code, doc = _backtest(web_bank, *args)
    assert code == 2 and doc["status"] == "error" and named in doc["error"], doc


def test_only_work_case_with_whole_bank_scope_may_backtest_and_runs_are_audited(web_bank, defaults):
    code, doc = _backtest(web_bank, env=ANALYST)
    assert code == 77, doc
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            runs = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "aml_backtest")))
    finally:
        engine.dispose()
    assert runs and all(e.details and "alerts" in e.details for e in runs)
    recall = defaults["labels_quality"]["all_rules"]["account"]["recall"]
    assert any(e.details.get("recall_accounts") == recall and e.details.get("changed") == {} for e in runs)
