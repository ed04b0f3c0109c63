"""The AML marts on the generated bank: every injected typology case is alerted, few others are, and the
large-value reports equal a recomputation over the bank's own transaction files (DuckDB and Spark)."""

from __future__ import annotations

import duckdb

from finecrm.core.settings import Settings
from finecrm.engine.labels import AML_RULES

from .conftest import N_CUSTOMERS, mart
from .test_build import truth

#: The typologies aml_alerts implements, each under the rule of the same code.
TYPOLOGIES = list(AML_RULES)
#: Alerts per 10,000 customers a rule may raise on customers outside every injected case (at default
#: parameters on the generated bank: the rules were tuned to stay well under it, see docs/aml.md).
MAX_OUTSIDE_PER_10K = 50


def _mart(engine_build, name: str):
    ws, manifest = engine_build
    return mart(ws, manifest["build_id"], name)


def test_every_injected_case_is_alerted_by_its_typology(engine_build, bank_dir):
    alerts = _mart(engine_build, "aml_alerts")  # noqa: F841 (used in SQL)
    parties = _mart(engine_build, "aml_alert_parties")  # noqa: F841
    cases = truth(bank_dir, "cases")  # noqa: F841
    case_parties = truth(bank_dir, "case_parties")  # noqa: F841
    # a case is found when an alert of its typology has every account of the case among its parties
    found = duckdb.sql("""
        WITH want AS (SELECT c.case_id, c.typology, cp.account_id FROM cases c JOIN case_parties cp USING (case_id)
                      WHERE cp.account_id IS NOT NULL AND c.area IN ('aml', 'insider')),
             got AS (SELECT a.alert_id, a.rule, p.account_id FROM alerts a JOIN parties p USING (alert_id)),
             per_alert AS (SELECT w.case_id, w.typology, g.alert_id, count(DISTINCT w.account_id) AS n
                           FROM want w JOIN got g ON g.rule = w.typology AND g.account_id = w.account_id
                           GROUP BY ALL)
        SELECT c.typology, count(DISTINCT c.case_id),
               count(DISTINCT c.case_id) FILTER (WHERE pa.n = (SELECT count(DISTINCT account_id) FROM want w
                                                               WHERE w.case_id = c.case_id))
        FROM cases c LEFT JOIN per_alert pa USING (case_id)
        WHERE c.area IN ('aml', 'insider') GROUP BY 1 ORDER BY 1""").fetchall()
    recall = {typ: hit / n for typ, n, hit in found}
    for typ, n, hit in found:
        print(f"{typ}: {hit}/{n} injected cases alerted, recall {hit / n:.2f}")
    assert set(recall) == set(TYPOLOGIES), "the generator and the rules name the same typologies"
    assert all(r == 1.0 for r in recall.values()), recall


def test_few_alerts_outside_the_injected_cases(engine_build, bank_dir):
    alerts = _mart(engine_build, "aml_alerts")  # noqa: F841 (used in SQL)
    case_parties = truth(bank_dir, "case_parties")  # noqa: F841
    rates = dict(duckdb.sql(f"""
        SELECT rule, 10000.0 * count(*) FILTER (WHERE customer_id NOT IN (
                   SELECT customer_id FROM case_parties WHERE customer_id IS NOT NULL)) / {N_CUSTOMERS}
        FROM alerts GROUP BY 1""").fetchall())
    for rule in TYPOLOGIES:
        print(f"{rule}: {rates.get(rule, 0.0):.1f} alerts per 10,000 customers outside the cases")
    assert all(r <= MAX_OUTSIDE_PER_10K for r in rates.values()), rates


def test_alerts_name_rule_parameters_evidence_and_staff(engine_build, bank_dir):
    alerts = _mart(engine_build, "aml_alerts")
    parties = _mart(engine_build, "aml_alert_parties")
    defaults = Settings().aml
    for rule, zh, en, params, ev_zh, ev_en, txn_ids in alerts.project(
            "rule, rule_zh, rule_en, params, evidence_zh, evidence_en, txn_ids").fetchall():
        assert (zh, en) == AML_RULES[rule]
        first_key = next(iter(getattr(defaults, rule).model_dump()))
        assert params.startswith(f"{first_key}="), params
        assert ev_zh and ev_en and txn_ids
    # the insider alert names the staff member the generator made the operator, and lists them as a party
    staff = truth(bank_dir, "case_parties").filter("role = 'staff'").project("staff_id").fetchall()
    named = alerts.filter("rule = 'insider_ebanking'").project("staff_id").fetchall()
    assert staff and set(staff) <= set(named)
    listed = parties.filter("role = 'staff'").project("party_id").fetchall()
    assert set(staff) <= set(listed)


def test_alert_evidence_lists_the_case_transactions(engine_build, bank_dir):
    """The transactions an alert cites are the case's own (at least those of its main account in the window)."""
    alerts = _mart(engine_build, "aml_alerts")  # noqa: F841 (used in SQL)
    cases = truth(bank_dir, "cases")  # noqa: F841
    ct = truth(bank_dir, "case_transactions")  # noqa: F841
    missing = duckdb.sql("""
        SELECT c.case_id FROM cases c WHERE c.typology IN ('fan_in_fan_out', 'concentrated_in_fan_out',
                                                           'cash_structuring', 'cycle')
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.rule = c.typology AND EXISTS (
            SELECT 1 FROM ct WHERE ct.case_id = c.case_id
            AND list_contains(string_split(a.txn_ids, ','), ct.txn_id)))""").fetchall()
    assert not missing


LARGE_VALUE_SQL = """
WITH t AS (
  SELECT t.txn_id, t.amount::DOUBLE AS amount, t.direction, t.kind, coalesce(t.cross_border, false) AS cb,
         CAST(t.ts AS DATE) AS day, a.customer_id, a.currency, c.kind AS ckind
  FROM read_parquet('{bank}/transactions/*.parquet') t
  JOIN read_parquet('{bank}/accounts/*.parquet') a USING (account_id)
  JOIN read_parquet('{bank}/customers/*.parquet') c USING (customer_id)
  WHERE CAST(t.ts AS DATE) <= DATE '{as_of}'),
k AS (
  SELECT *, CASE WHEN kind = 'cash' THEN 'cash'
                 WHEN kind IN ({kinds}) AND (ckind = 'corporate' OR NOT cb) THEN 'transfer'
                 WHEN kind IN ({kinds}) THEN 'cross_border_transfer' END AS rk FROM t),
g AS (
  SELECT customer_id, day, rk, direction, currency, any_value(ckind) AS ckind, sum(amount) AS amount, count(*) AS n
  FROM k WHERE rk IS NOT NULL GROUP BY ALL)
SELECT customer_id, day, rk, direction, currency, round(amount, 2), n FROM g
WHERE currency = 'CNY' AND amount >= CASE WHEN rk = 'cash' THEN {cash} WHEN ckind = 'corporate' THEN {corp}
                                          WHEN rk = 'transfer' THEN {ind} ELSE {cross} END
"""


def test_large_value_reports_equal_a_recomputation(engine_build, bank_dir):
    ws, manifest = engine_build
    p = Settings().aml.large_value
    currencies = duckdb.sql(f"SELECT DISTINCT currency FROM read_parquet('{bank_dir}/accounts/*.parquet')").fetchall()
    assert currencies == [("CNY",)], "the recomputation below covers the generated bank's one currency"
    sql = LARGE_VALUE_SQL.format(
        bank=bank_dir, as_of=manifest["as_of"], kinds=", ".join(f"'{k}'" for k in p.transfer_kinds),
        cash=p.cash, corp=p.corporate_transfer, ind=p.individual_transfer, cross=p.individual_cross_border)
    expected = sorted(duckdb.sql(sql).fetchall())
    got = sorted(mart(ws, manifest["build_id"], "aml_large_value").project(
        "customer_id, report_date, report_kind, direction, currency, amount, n_txns").fetchall())
    assert len(expected) > 50, "the generated bank has large-value days of several kinds"
    assert {r[2] for r in expected} >= {"cash", "transfer"}
    assert [r[:5] for r in got] == [r[:5] for r in expected]
    assert all(abs(a[5] - b[5]) < 0.011 and a[6] == b[6] for a, b in zip(got, expected, strict=True))
