"""customer_reminders — one row per reason to contact a customer now (客户提醒), each with the reason in words.

Counted from the build date (``workbench.reminders`` in finecrm.yaml):

- ``maturity`` 到期: an open time deposit or wealth product whose ``maturity_date`` (contract, optional) falls
  within ``maturity_within_days`` — one row per account (``ref`` = the account);
- ``birthday`` 生日: an individual's birthday within ``birthday_within_days`` (29 February is kept on the 28th
  in a common year);
- ``outflow`` 资金流出: a large-depositor alert (``deposit_alerts``) of the last ``outflow_within_days`` (``ref``
  = the alert's date);
- ``dormant_risk`` 沉睡风险: a customer not yet dormant with ``inactive_months`` or more without a
  customer-initiated transaction (``ref`` = ``inactive``), or one whose AUM is falling (lifecycle
  ``declining``, ``ref`` = ``declining``);
- ``tier_drop`` 层级将下调: below the tier this month (``tier_watch``), the downgrade pending.

Customers whose accounts are all closed are left out. ``days_left`` is from the build date to
``reminder_date`` (negative for an outflow already seen; 0 for the standing states).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import timedelta

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model
from finecrm.engine.tiers import tier_threshold

KINDS = ("maturity", "birthday", "outflow", "dormant_risk", "tier_drop")
COLUMNS = ("customer_id", "kind", "ref", "reminder_date", "days_left", "account_id", "product_name", "amount",
           "reason_zh", "reason_en")


def days_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Whole days from ``earlier`` to ``later`` (dates), BIGINT on every backend."""
    return later.delta(earlier, unit="day").cast("float64").cast("int64")


def _yuan(x: ibis.Value) -> ibis.Value:
    return x.round(0).cast("int64").cast("string")


def _text(x: ibis.Value) -> ibis.Value:
    return x.cast("string")


def _shape(t: ibis.Table, **values: ibis.Value) -> ibis.Table:
    """The common columns, typed alike on every backend so the parts can be unioned."""
    types = {"customer_id": "string", "kind": "string", "ref": "string", "reminder_date": "date",
             "days_left": "int64", "account_id": "string", "product_name": "string", "amount": "float64",
             "reason_zh": "string", "reason_en": "string"}
    return t.select(**{c: (values[c] if c in values else t[c]).cast(types[c]) for c in COLUMNS})


def _birthday(year: int, month: ibis.Value, day: ibis.Value) -> ibis.Value:
    feb29 = (month == 2) & (day == 29)
    return ibis.date(ibis.literal(year), month, ibis.ifelse(feb29, 28, day) if not calendar.isleap(year) else day)


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    r = ctx.settings.workbench.reminders
    as_of = ibis.literal(ctx.as_of, type="date")
    c = src["customer_360"]
    live = c.filter(c.lifecycle != "lost")
    parts = []

    a = src["customer_accounts"]
    a = a.filter(a.is_open & a.maturity_date.notnull() & (a.maturity_date >= as_of)
                 & (a.maturity_date <= ibis.literal(ctx.as_of + timedelta(days=r.maturity_within_days), type="date")))
    m = a.join(live.select("customer_id"), "customer_id")
    day = _text(m.maturity_date)
    parts.append(_shape(
        m, kind=ibis.literal("maturity"), ref=m.account_id, reminder_date=m.maturity_date,
        days_left=days_between(m.maturity_date, as_of), amount=m.balance_end,
        reason_zh=m.product_name + " 将于 " + day + " 到期，余额 " + _yuan(m.balance_end) + " 元",
        reason_en=m.product_name + " matures on " + day + ", balance " + _yuan(m.balance_end)))

    born = live.filter((live.kind == "individual") & live.birth_date.notnull())
    bm, bd = born.birth_date.month(), born.birth_date.day()
    this = _birthday(ctx.as_of.year, bm, bd)
    nxt = ibis.ifelse(this >= as_of, this, _birthday(ctx.as_of.year + 1, bm, bd))
    born = born.mutate(next_birthday=nxt)
    born = born.mutate(days_left=days_between(born.next_birthday, as_of))
    born = born.filter(born.days_left <= r.birthday_within_days)
    age = _text((born.next_birthday.year() - born.birth_date.year()).cast("int64"))
    md = _text(born.next_birthday).substr(5, 5)
    parts.append(_shape(
        born, kind=ibis.literal("birthday"), ref=ibis.literal(""), reminder_date=born.next_birthday,
        account_id=ibis.null("string"), product_name=ibis.null("string"), amount=ibis.null("float64"),
        reason_zh="生日 " + md + "（满 " + age + " 岁）", reason_en="birthday on " + md + " (turns " + age + ")"))

    al = src["deposit_alerts"]
    al = al.filter(al.alert_date >= ibis.literal(ctx.as_of - timedelta(days=r.outflow_within_days), type="date"))
    al = al.join(live.select("customer_id"), "customer_id")
    pct = _text((al.drop_share * 100).round(0).cast("int64"))
    parts.append(_shape(
        al, kind=ibis.literal("outflow"), ref=_text(al.alert_date), reminder_date=al.alert_date,
        days_left=days_between(al.alert_date, as_of), account_id=ibis.null("string"),
        product_name=ibis.null("string"), amount=al.balance,
        reason_zh=_text(al.alert_date) + " 存款余额较基准下降 " + pct + "%（余额 " + _yuan(al.balance) + " 元，基准 "
        + _yuan(al.baseline) + " 元）",
        reason_en="deposits fell " + pct + "% below their baseline on " + _text(al.alert_date) + " (balance "
        + _yuan(al.balance) + ", baseline " + _yuan(al.baseline) + ")"))

    quiet = live.filter(~live.lifecycle.isin(["dormant", "potential"]) & (live.inactive_months >= r.inactive_months))
    months = _text(quiet.inactive_months)
    dormant = str(ctx.settings.lifecycle.dormant_months)
    parts.append(_shape(
        quiet, kind=ibis.literal("dormant_risk"), ref=ibis.literal("inactive"), reminder_date=as_of,
        days_left=ibis.literal(0), account_id=ibis.null("string"), product_name=ibis.null("string"),
        amount=ibis.null("float64"),
        reason_zh="已连续 " + months + " 个月无主动交易（满 " + dormant + " 个月即为沉睡客户）",
        reason_en=months + " months without a customer-initiated transaction (dormant at " + dormant + ")"))
    falling = live.filter(live.lifecycle == "declining")
    drop = _text((-falling.aum_change_3m * 100).round(0).cast("int64"))
    trend = str(ctx.settings.lifecycle.trend_months)
    parts.append(_shape(
        falling, kind=ibis.literal("dormant_risk"), ref=ibis.literal("declining"), reminder_date=as_of,
        days_left=ibis.literal(0), account_id=ibis.null("string"), product_name=ibis.null("string"),
        amount=falling.aum_avg,
        reason_zh="金融资产较 " + trend + " 个月前下降 " + drop + "%（月日均 " + _yuan(falling.aum_avg) + " 元）",
        reason_en="AUM down " + drop + "% against " + trend + " months earlier (average " + _yuan(falling.aum_avg)
        + ")"))

    w = live.filter(live.tier_watch.fill_null(False))
    floor = tier_threshold(w.kind, w.tier, ctx.settings.tiers)
    measure = ibis.ifelse(w.kind == "corporate", w.deposits_avg, w.aum_avg)
    below, hold = _text(w.months_below), str(ctx.settings.tiers.downgrade_after_months)
    parts.append(_shape(
        w, kind=ibis.literal("tier_drop"), ref=ibis.literal(""), reminder_date=as_of, days_left=ibis.literal(0),
        account_id=ibis.null("string"), product_name=ibis.null("string"), amount=measure,
        reason_zh=w.tier + " 层级将下调：月日均 " + _yuan(measure) + " 元低于门槛 " + _yuan(floor) + " 元，已连续 " + below
        + " 个月（满 " + hold + " 个月降级）",
        reason_en="tier " + w.tier + " about to drop: average " + _yuan(measure) + " below " + _yuan(floor) + " for "
        + below + " month(s) (drops after " + hold + ")"))

    u = ibis.union(*parts)
    who = live.select("customer_id", "manager_id", "branch_id", "grid_id", customer_kind=live.kind)
    j = u.join(who, "customer_id")
    return j.select(*COLUMNS, "customer_kind", "manager_id", "branch_id", "grid_id",
                    as_of_date=as_of)


MODEL = Model(
    "customer_reminders", "mart", ("customer_360", "customer_accounts", "deposit_alerts"), build,
    "One row per reason to contact a customer now: maturities, birthdays, outflows, dormant risk, tier drops.",
    grain="customer × reason", key=("customer_id", "kind", "ref"),
    not_null=("kind", "reminder_date", "days_left", "reason_zh", "reason_en", "branch_id"),
    invariants=(Invariant("known_kind", lambda t: t.kind.isin(list(KINDS)), "a reminder is of a known kind"),),
)
