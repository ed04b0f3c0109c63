"""customer_reminders of a generated bank against an independent query of the generated files: the maturities
(accounts.maturity_date, written by the generator) and the birthdays (customers.birth_date) within the configured
days of the build date, written out here in DuckDB SQL and Python; the other kinds against the marts they read."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import duckdb

from finecrm.core.settings import Settings

from ...conftest import mart


def _files(bank_dir, name: str) -> str:
    return f"read_parquet('{bank_dir / name}/*.parquet')"


def _live(ws, build_id: str) -> set[str]:
    """Customers not lost (some account open): read from the raw accounts, not from the 360."""
    return {r[0] for r in mart(ws, build_id, "customer_360").filter("lifecycle <> 'lost'")
            .select("customer_id").fetchall()}


def test_maturities_are_the_accounts_maturing_within_the_window(engine_build, bank_dir):
    ws, manifest = engine_build
    as_of = date.fromisoformat(manifest["as_of"])
    within = Settings().workbench.reminders.maturity_within_days
    live = _live(ws, manifest["build_id"])
    want = {(cid, aid): d for cid, aid, d in duckdb.sql(
        f"SELECT customer_id, account_id, maturity_date FROM {_files(bank_dir, 'accounts')} "
        f"WHERE maturity_date BETWEEN DATE '{as_of}' AND DATE '{as_of + timedelta(days=within)}' "
        f"AND open_date <= DATE '{as_of}' AND (close_date IS NULL OR close_date > DATE '{as_of}')").fetchall()
        if cid in live}
    rows = mart(ws, manifest["build_id"], "customer_reminders").filter("kind = 'maturity'").to_arrow_table().to_pylist()
    got = {(r["customer_id"], r["account_id"]): r["reminder_date"] for r in rows}
    assert got == want
    assert len(want) >= 5  # the bank has maturities to remind of
    for r in rows:
        assert r["ref"] == r["account_id"] and r["days_left"] == (r["reminder_date"] - as_of).days
        assert r["reminder_date"].isoformat() in r["reason_zh"] and r["reminder_date"].isoformat() in r["reason_en"]


def test_birthdays_are_the_individuals_born_on_the_days_ahead(engine_build, bank_dir):
    ws, manifest = engine_build
    as_of = date.fromisoformat(manifest["as_of"])
    within = Settings().workbench.reminders.birthday_within_days
    live = _live(ws, manifest["build_id"])

    def on(year: int, born: date) -> date:
        day = 28 if (born.month, born.day) == (2, 29) and not calendar.isleap(year) else born.day
        return date(year, born.month, day)

    want = {}
    for cid, born in duckdb.sql(f"SELECT customer_id, birth_date FROM {_files(bank_dir, 'customers')} "
                                "WHERE kind = 'individual' AND birth_date IS NOT NULL").fetchall():
        nxt = on(as_of.year, born)
        if nxt < as_of:
            nxt = on(as_of.year + 1, born)
        if (nxt - as_of).days <= within and cid in live:
            want[cid] = nxt
    rows = mart(ws, manifest["build_id"], "customer_reminders").filter("kind = 'birthday'").to_arrow_table().to_pylist()
    assert {r["customer_id"]: r["reminder_date"] for r in rows} == want
    assert want  # someone has a birthday this week
    for r in rows:
        age = r["reminder_date"].year - duckdb.sql(
            f"SELECT birth_date FROM {_files(bank_dir, 'customers')} WHERE customer_id = '{r['customer_id']}'"
        ).fetchall()[0][0].year
        assert f"满 {age} 岁" in r["reason_zh"] and f"turns {age}" in r["reason_en"]


def test_outflows_dormant_risk_and_tier_drops_follow_their_marts(engine_build):
    ws, manifest = engine_build
    bid = manifest["build_id"]
    as_of = date.fromisoformat(manifest["as_of"])
    s = Settings().workbench.reminders
    live = _live(ws, bid)
    rows = mart(ws, bid, "customer_reminders").to_arrow_table().to_pylist()
    by = {k: {(r["customer_id"], r["ref"]) for r in rows if r["kind"] == k}
          for k in ("outflow", "dormant_risk", "tier_drop")}
    alerts = mart(ws, bid, "deposit_alerts").filter(f"alert_date >= DATE '{as_of - timedelta(days=s.outflow_within_days)}'")
    assert by["outflow"] == {(c, d.isoformat()) for c, d in alerts.select("customer_id, alert_date").fetchall()
                             if c in live}
    c360 = mart(ws, bid, "customer_360").select(
        "customer_id, lifecycle, inactive_months, tier_watch").to_arrow_table().to_pylist()
    quiet = {(c["customer_id"], "inactive") for c in c360 if c["lifecycle"] not in ("dormant", "potential", "lost")
             and c["inactive_months"] >= s.inactive_months}
    falling = {(c["customer_id"], "declining") for c in c360 if c["lifecycle"] == "declining"}
    assert by["dormant_risk"] == quiet | falling
    assert by["tier_drop"] == {(c["customer_id"], "") for c in c360 if c["tier_watch"] and c["lifecycle"] != "lost"}
    assert by["tier_drop"] and by["dormant_risk"]
