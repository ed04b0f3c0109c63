"""The typologies read from one account's own flows over a window of days (rules in docs/aml.md).

``fan_in_fan_out`` (分散转入集中转出), ``concentrated_in_fan_out`` (集中转入分散转出), ``pass_through``
(快进快出), ``cash_structuring`` (化整为零) and ``dormant_reactivation`` (长期闲置账户突然启用). Each works on
per-account daily sums, rolls them over a range of calendar days, and raises one alert on the first day
of each episode (a day the rule holds after ``window_days`` in which it did not), with the evidence of the
transactions in the window.
"""

from __future__ import annotations

from typing import Any

import ibis

from finecrm.engine.marts.aml._common import evidence, finish, ratio_score, txt
from finecrm.engine.model import BuildContext

OWNER = ("customer_id", "branch_id")


def _daily(t: ibis.Table, by: tuple[str, ...] = ()) -> ibis.Table:
    """Per account (and ``by``) and day: transfers/transactions in and out, counted and summed."""
    is_in, is_out = t.direction == "in", t.direction == "out"
    return t.group_by(["account_id", *OWNER, *by, "dn"]).agg(
        n_in=is_in.count(where=is_in), amount_in=t.amount.sum(where=is_in).fill_null(0.0),
        n_out=is_out.count(where=is_out), amount_out=t.amount.sum(where=is_out).fill_null(0.0))


def _rolled(d: ibis.Table, days: int, by: tuple[str, ...] = ()) -> ibis.Table:
    """The daily sums over the ``days`` calendar days ending on each day (suffix ``_w``)."""
    w = ibis.range_window(group_by=["account_id", *by], order_by="dn", preceding=days - 1, following=0)
    return d.mutate(n_in_w=d.n_in.sum().over(w), amount_in_w=d.amount_in.sum().over(w),
                    n_out_w=d.n_out.sum().over(w), amount_out_w=d.amount_out.sum().over(w))


def _starts(d: ibis.Table, hit: Any, days: int, by: tuple[str, ...] = ()) -> ibis.Table:
    """Days the rule holds after ``days - 1`` days in which it did not: one alert per episode."""
    d = d.mutate(hit_n=ibis.ifelse(hit.fill_null(False), 1, 0))
    w = ibis.range_window(group_by=["account_id", *by], order_by="dn", preceding=days - 1, following=0)
    d = d.mutate(hits_w=d.hit_n.sum().over(w))
    return d.filter((d.hit_n == 1) & (d.hits_w == 1))


def _spans(starts: ibis.Table, before: int, after: int = 0) -> ibis.Table:
    return starts.select("account_id", *OWNER, alert_dn=starts.dn, from_dn=starts.dn - before,
                         to_dn=starts.dn + after)


def _with_date(e: ibis.Table, t: ibis.Table) -> ibis.Table:
    """The alert day as a date (the day of the evidence transaction on ``alert_dn``)."""
    days = t.select(dn2=t.dn, alert_date=t.day).distinct()
    return e.join(days, e.alert_dn == days.dn2).drop("dn2")


def transfers(t: ibis.Table) -> ibis.Table:
    return t.filter((t.kind == "transfer") & t.customer_initiated)


def fan_in_fan_out(t: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.fan_in_fan_out
    x = transfers(t)
    d = _rolled(_daily(x), p.window_days)
    hit = ((d.n_in_w >= p.min_in) & (d.amount_in_w >= p.min_in_total) & (d.amount_in_w <= p.max_avg_in * d.n_in_w)
           & (d.n_out_w >= 1) & (d.n_out_w <= p.max_out) & (d.amount_out_w >= p.min_out_share * d.amount_in_w)
           & (d.amount_out_w <= p.max_out_share * d.amount_in_w))
    e = _with_date(evidence(_spans(_starts(d, hit, p.window_days), p.window_days - 1), x), x)
    share = (e.amount_out / e.amount_in * 100).round(0).cast("int64").cast("string")
    zh = (txt(e.n_in) + " 笔转入共 " + txt(e.amount_in) + " 元，随后 " + txt(e.n_out) + " 笔转出共 "
          + txt(e.amount_out) + " 元（转出占转入 " + share + "%），" + e.first_date.cast("string") + " 至 "
          + e.last_date.cast("string"))
    en = (txt(e.n_in) + " transfers in totalling " + txt(e.amount_in) + ", then " + txt(e.n_out)
          + " out totalling " + txt(e.amount_out) + " (" + share + "% of the inflow), " + e.first_date.cast("string")
          + " to " + e.last_date.cast("string"))
    return finish("fan_in_fan_out", p, e, ratio_score(e.n_in, p.min_in), zh, en)


def concentrated_in_fan_out(t: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.concentrated_in_fan_out
    x = transfers(t)
    d = _rolled(_daily(x), p.window_days)
    hit = ((d.n_in_w >= 1) & (d.n_in_w <= p.max_in) & (d.amount_in_w >= p.min_in_total)
           & (d.n_out_w >= p.min_out) & (d.amount_out_w >= p.min_out_share * d.amount_in_w)
           & (d.amount_out_w <= p.max_out_share * d.amount_in_w))
    e = _with_date(evidence(_spans(_starts(d, hit, p.window_days), p.window_days - 1), x), x)
    zh = (txt(e.n_in) + " 笔转入共 " + txt(e.amount_in) + " 元，随后分 " + txt(e.n_out) + " 笔转出共 "
          + txt(e.amount_out) + " 元，" + e.first_date.cast("string") + " 至 " + e.last_date.cast("string"))
    en = (txt(e.n_in) + " transfers in totalling " + txt(e.amount_in) + ", then spread over " + txt(e.n_out)
          + " transfers out totalling " + txt(e.amount_out) + ", " + e.first_date.cast("string") + " to "
          + e.last_date.cast("string"))
    return finish("concentrated_in_fan_out", p, e, ratio_score(e.n_out, p.min_out), zh, en)


def pass_through(t: ibis.Table, months: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.pass_through
    x = transfers(t)
    d = _rolled(_daily(x), p.window_days)
    # the account's usual level: its average daily balance the month before (none: a new account, level 0)
    level = months.select("account_id", level_month=months.month, level=months.avg_daily_balance)
    d = d.mutate(level_month=(ibis.date(1970, 1, 1) + d.dn.as_interval("D")).truncate("M") - ibis.interval(months=1))
    d = d.left_join(level, ["account_id", "level_month"]).drop("account_id_right", "level_month_right")
    hit = ((d.amount_in_w >= p.min_in_total) & (d.amount_out_w >= (1 - p.max_left_share) * d.amount_in_w)
           & (d.amount_out_w <= (1 + p.max_left_share) * d.amount_in_w)
           & (d.amount_in_w >= p.min_flow_to_balance * d.level.fill_null(0.0)))
    eps = _starts(d, hit, p.window_days)
    w = ibis.range_window(group_by="account_id", order_by="dn", preceding=p.episodes_within_days - 1, following=0)
    eps = eps.mutate(n_eps=eps.hit_n.sum().over(w))
    eps = eps.mutate(due=ibis.ifelse(eps.n_eps >= p.min_episodes, 1, 0))
    eps = eps.mutate(dues_w=eps.due.sum().over(w), first_ep=eps.dn.min().over(w))
    first = eps.filter((eps.due == 1) & (eps.dues_w == 1))
    spans = first.select("account_id", *OWNER, "n_eps", alert_dn=first.dn,
                         from_dn=first.first_ep - (p.window_days - 1), to_dn=first.dn)
    e = _with_date(evidence(spans, x), x)
    share = ((1 - e.amount_out / e.amount_in) * 100).round(1)
    # a little more out than in rounds to -0.0, which DuckDB writes as "-0.0" and Spark as "0.0": say 0.0
    left = ibis.ifelse(share == 0, 0.0, share).cast("string")
    zh = (txt(e.n_eps) + " 次快进快出：转入 " + txt(e.n_in) + " 笔共 " + txt(e.amount_in) + " 元，转出 "
          + txt(e.n_out) + " 笔共 " + txt(e.amount_out) + " 元，留存 " + left + "%，" + e.first_date.cast("string")
          + " 至 " + e.last_date.cast("string"))
    en = (txt(e.n_eps) + " pass-throughs: " + txt(e.n_in) + " transfers in totalling " + txt(e.amount_in) + ", "
          + txt(e.n_out) + " out totalling " + txt(e.amount_out) + ", " + left + "% left, "
          + e.first_date.cast("string") + " to " + e.last_date.cast("string"))
    return finish("pass_through", p, e, ratio_score(e.n_eps, p.min_episodes), zh, en)


def cash_structuring(t: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.cash_structuring
    low = p.just_below * (1 - p.band_share)
    x = t.filter((t.kind == "cash") & (t.amount >= low) & (t.amount < p.just_below))
    d = _daily(x, ("direction",))
    d = d.mutate(n=d.n_in + d.n_out)
    w = ibis.range_window(group_by=["account_id", "direction"], order_by="dn", preceding=p.window_days - 1,
                          following=0)
    d = d.mutate(n_w=d.n.sum().over(w))
    s = _starts(d, d.n_w >= p.min_count, p.window_days, ("direction",))
    spans = s.select("account_id", *OWNER, "direction", alert_dn=s.dn, from_dn=s.dn - (p.window_days - 1),
                     to_dn=s.dn)
    # one direction's cash only: the evidence of a structured deposit run is its deposits
    sides = [evidence(spans.filter(spans.direction == side).drop("direction"), x.filter(x.direction == side))
             for side in ("in", "out")]
    e = _with_date(sides[0].union(sides[1]), x)
    n = e.n_in + e.n_out
    amount = e.amount_in + e.amount_out
    zh = ("现金" + ibis.ifelse(e.n_in > 0, "存入", "支取") + " " + txt(n) + " 笔，每笔 " + txt(ibis.literal(low))
          + " 至 " + txt(ibis.literal(p.just_below)) + " 元之间（低于大额标准），共 " + txt(amount) + " 元，"
          + e.first_date.cast("string") + " 至 " + e.last_date.cast("string"))
    en = (txt(n) + " cash " + ibis.ifelse(e.n_in > 0, "deposits", "withdrawals") + " each between " + txt(
        ibis.literal(low)) + " and " + txt(ibis.literal(p.just_below)) + " (just below the report threshold), "
          + "totalling " + txt(amount) + ", " + e.first_date.cast("string") + " to " + e.last_date.cast("string"))
    return finish("cash_structuring", p, e, ratio_score(n, p.min_count), zh, en)


def dormant_reactivation(t: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.dormant_reactivation
    x = t.filter(t.customer_initiated)
    data_start = t.dn.min().as_scalar()  # the first day the bank's transaction data show
    d = x.group_by(["account_id", *OWNER, "dn", "open_dn"]).agg(amount=x.amount.sum())
    d = d.mutate(prev_dn=d.dn.lag().over(ibis.window(group_by="account_id", order_by="dn")))
    fwd = ibis.range_window(group_by="account_id", order_by="dn", preceding=0, following=p.window_days - 1)
    d = d.mutate(moved=d.amount.sum().over(fwd))
    # Silent for dormant_days since the last customer-initiated transaction; with none in the data, opened
    # dormant_days ago and silent for at least min_visible_days of data (a short data window cannot show more).
    silent = ibis.ifelse(
        d.prev_dn.notnull(), d.dn - d.prev_dn >= p.dormant_days,
        (d.dn - d.open_dn >= p.dormant_days) & (d.dn - ibis.greatest(d.open_dn, data_start) >= p.min_visible_days))
    s = d.filter(silent & (d.moved >= p.min_amount))
    s = s.mutate(silent_days=s.dn - ibis.coalesce(s.prev_dn, ibis.greatest(s.open_dn, data_start)),
                 known=s.prev_dn.notnull())
    spans = s.select("account_id", *OWNER, "silent_days", "known", alert_dn=s.dn, from_dn=s.dn,
                     to_dn=s.dn + (p.window_days - 1))
    e = _with_date(evidence(spans, x), x)
    since_zh = ibis.ifelse(e.known, "", "至少")
    since_en = ibis.ifelse(e.known, "", "at least ")
    zh = ("账户" + since_zh + txt(e.silent_days) + " 天无客户主动交易，" + e.first_date.cast("string") + " 起 "
          + txt(e.n_in + e.n_out) + " 笔交易：转入 " + txt(e.amount_in) + " 元，转出 " + txt(e.amount_out) + " 元")
    en = ("no customer-initiated transaction for " + since_en + txt(e.silent_days) + " days, then "
          + txt(e.n_in + e.n_out) + " transactions from " + e.first_date.cast("string") + ": in " + txt(e.amount_in)
          + ", out " + txt(e.amount_out))
    return finish("dormant_reactivation", p, e, ratio_score(e.amount_in + e.amount_out, p.min_amount), zh, en)
