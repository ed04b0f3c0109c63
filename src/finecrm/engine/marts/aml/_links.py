"""The typologies that link an account to others: ``cycle`` (关联账户循环转账) and ``insider_ebanking``
(员工为他网点客户开通电子银行后定期存款转出). Rules in docs/aml.md."""

from __future__ import annotations

from typing import Any

import ibis

from finecrm.engine.marts.aml._common import day_number, finish, joined, ratio_score, txt
from finecrm.engine.model import BuildContext


def _edges(t: ibis.Table, accounts: ibis.Table, min_amount: float) -> ibis.Table:
    """Transfers out of one account of this bank into another: (src, dst, dn, day, amount, txn)."""
    x = t.filter((t.direction == "out") & (t.kind == "transfer") & (t.amount >= min_amount)
                 & t.counterparty_account.notnull() & (t.counterparty_account != t.account_id))
    ours = accounts.select(dst=accounts.account_id)
    x = x.join(ours, x.counterparty_account == ours.dst)
    return x.select(src=x.account_id, dst=x.dst, dn=x.dn, day=x.day, amount=x.amount, txn=x.txn_id)


def _hop(e: ibis.Table, i: int) -> ibis.Table:
    return e.select(**{f"{c}{i}": e[c] for c in ("src", "dst", "dn", "day", "amount", "txn")})


def _follows(a: ibis.Table, i: int, b: ibis.Table, j: int, window: int, kept: float) -> list[Any]:
    """Hop j takes (most of) what hop i brought, within ``window`` days."""
    return [b[f"src{j}"] == a[f"dst{i}"], b[f"dn{j}"] >= a[f"dn{i}"], b[f"dn{j}"] <= a[f"dn{i}"] + window,
            b[f"amount{j}"] <= a[f"amount{i}"], b[f"amount{j}"] >= kept * a[f"amount{i}"]]


def cycle(t: ibis.Table, accounts: ibis.Table, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.cycle
    e = _edges(t, accounts, p.min_amount)
    e1, e2, e3 = _hop(e, 1), _hop(e, 2), _hop(e, 3)
    # one long row per (cycle, hop): the ring's accounts sorted into a key, the hop's transaction
    two = e1.join(e2, [*_follows(e1, 1, e2, 2, p.window_days, p.min_kept_share),
                       e2.dst2 == e1.src1])
    lo2, hi2 = ibis.least(two.src1, two.dst1), ibis.greatest(two.src1, two.dst1)
    two = two.mutate(ring=lo2 + "," + hi2, main=lo2, closed=two.dn2, opened=two.dn1)
    longs = [two.select("ring", "main", "closed", "opened", txn=two[f"txn{i}"], amount=two[f"amount{i}"],
                        dn=two[f"dn{i}"], day=two[f"day{i}"]) for i in (1, 2)]
    if p.max_hops >= 3:
        three = e1.join(e2, [*_follows(e1, 1, e2, 2, p.window_days, p.min_kept_share), e2.dst2 != e1.src1])
        three = three.join(e3, [*_follows(three, 2, e3, 3, p.window_days, p.min_kept_share),
                                e3.dst3 == three.src1])
        a, b, c = three.src1, three.src2, three.src3
        lo, hi = ibis.least(a, b, c), ibis.greatest(a, b, c)
        mid = ibis.cases(((a != lo) & (a != hi), a), ((b != lo) & (b != hi), b), else_=c)
        three = three.mutate(ring=lo + "," + mid + "," + hi, main=lo, closed=three.dn3, opened=three.dn1)
        longs += [three.select("ring", "main", "closed", "opened", txn=three[f"txn{i}"],
                               amount=three[f"amount{i}"], dn=three[f"dn{i}"], day=three[f"day{i}"])
                  for i in (1, 2, 3)]
    hops = ibis.union(*longs, distinct=False)
    cycles = hops.group_by(["ring", "main"]).agg(
        n_cycles=(hops.opened.cast("string") + ":" + hops.closed.cast("string")).nunique(),
        alert_dn=hops.closed.min())
    txns = hops.select("ring", "txn", "amount", "day").distinct()
    ev = txns.group_by("ring").agg(n_out=txns.txn.count(), amount_out=txns.amount.sum().round(2),
                                   first_date=txns.day.min(), last_date=txns.day.max(), txn_ids=joined(txns.txn),
                                   top=txns.amount.max())
    days = t.select(alert_dn=t.dn, alert_date=t.day).distinct()
    owners = accounts.select(main=accounts.account_id, customer_id=accounts.customer_id)
    a = cycles.join(ev, "ring").join(days, "alert_dn").join(owners, "main")
    a = a.mutate(account_id=a.main, n_in=ibis.literal(0), amount_in=ibis.literal(0.0),
                 n_accounts=a.ring.length() - a.ring.replace(",", "").length() + 1)
    a = a.join(t.select("customer_id", "branch_id").distinct(), "customer_id", how="left")
    zh = (txt(a.n_accounts) + " 个本行账户之间资金循环 " + txt(a.n_cycles) + " 圈（" + a.ring + "），转账 "
          + txt(a.n_out) + " 笔共 " + txt(a.amount_out) + " 元，单笔最大 " + txt(a.top) + " 元，"
          + a.first_date.cast("string") + " 至 " + a.last_date.cast("string"))
    en = ("money went round " + txt(a.n_accounts) + " accounts of this bank " + txt(a.n_cycles) + " times (" + a.ring
          + "): " + txt(a.n_out) + " transfers totalling " + txt(a.amount_out) + ", the largest " + txt(a.top) + ", "
          + a.first_date.cast("string") + " to " + a.last_date.cast("string"))
    return finish("cycle", p, a, a.n_cycles.cast("float64"), zh, en, parties=a.ring)


#: Signup services as the evidence names them (中文, English); a code not listed is shown as it is.
_SERVICES = {"online": ("网上银行", "online banking"), "mobile": ("手机银行", "mobile banking"),
             "wechat": ("微信银行", "WeChat banking"), "phone": ("电话银行", "phone banking"),
             "sms": ("短信通知", "SMS alerts"), "payroll": ("代发工资", "payroll"), "utility": ("代缴费", "utility payments")}


def _service_name(code: ibis.Value, lang: int) -> ibis.Value:
    return ibis.cases(*[(code == c, names[lang]) for c, names in _SERVICES.items()], else_=code)


def insider_ebanking(t: ibis.Table, src: Any, ctx: BuildContext) -> ibis.Table:
    p = ctx.settings.aml.insider_ebanking
    s = src["stg_signups"]
    s = s.filter(s.service.isin(p.services) & s.operator_id.notnull())
    staff = src["stg_staff"].select(operator_id=ibis._.staff_id, staff_branch=ibis._.branch_id, staff_role=ibis._.role)
    cust = src["stg_customers"].select("customer_id", home_branch=ibis._.branch_id)
    s = s.join(staff, "operator_id").join(cust, "customer_id")
    # registered by someone who does not work where the customer belongs
    s = s.filter(s.staff_branch != s.home_branch)
    # the services by name in each language, for the evidence sentences
    s = s.mutate(service_zh=_service_name(s.service, 0), service_en=_service_name(s.service, 1))
    s = s.group_by(["customer_id", "operator_id", "staff_branch", "staff_role", "home_branch", "signed_on"]).agg(
        services=joined(s.service_zh), services_en=joined(s.service_en))
    s = s.mutate(signed_dn=day_number(s.signed_on))
    acc = src["int_accounts_enriched"]
    td = acc.filter(acc.category == "time_deposit").select("account_id")
    outs = t.filter(t.direction == "out").join(td, "account_id")
    j = s.join(outs, (outs.customer_id == s.customer_id) & (outs.dn >= s.signed_dn)
               & (outs.dn <= s.signed_dn + p.within_days)).drop("customer_id_right")
    g = j.group_by(["customer_id", "account_id", "branch_id", "operator_id", "staff_branch", "staff_role",
                    "home_branch", "signed_on", "services", "services_en"]).agg(
        n_out=j.txn_id.count(), amount_out=j.amount.sum().round(2), first_date=j.day.min(), last_date=j.day.max(),
        txn_ids=joined(j.txn_id), counterparts=joined(j.counterparty_account))
    g = g.filter(g.amount_out >= p.min_amount)
    # the accounts the same staff member opened for the customer are part of the evidence
    opened = acc.filter(acc.operator_id.notnull()).select(
        customer_id=acc.customer_id, operator_id=acc.operator_id, opened_account=acc.account_id)
    opened = opened.group_by(["customer_id", "operator_id"]).agg(opened_accounts=joined(opened.opened_account))
    g = g.left_join(opened, ["customer_id", "operator_id"]).drop("customer_id_right", "operator_id_right")
    # and so are the customer's other deposit accounts: where else the same hands may reach
    held = acc.filter(acc.is_deposit)
    held = held.group_by(held.customer_id).agg(held_accounts=joined(held.account_id))
    g = g.left_join(held, "customer_id").drop("customer_id_right")
    others = (ibis.coalesce(g.counterparts, "") + "," + ibis.coalesce(g.opened_accounts, "") + ","
              + ibis.coalesce(g.held_accounts, ""))
    g = g.mutate(alert_date=g.first_date, n_in=ibis.literal(0), amount_in=ibis.literal(0.0),
                 parties=g.account_id + "," + others)
    lag = (day_number(g.first_date) - day_number(g.signed_on)).cast("string")
    opened_zh = ibis.ifelse(g.opened_accounts.isnull(), "", "，并为其开立账户 " + g.opened_accounts)
    opened_en = ibis.ifelse(g.opened_accounts.isnull(), "", " and opened account(s) " + g.opened_accounts)
    zh = ("员工 " + g.operator_id + "（机构 " + g.staff_branch + "）于 " + g.signed_on.cast("string")
          + " 为归属机构 " + g.home_branch + " 的客户开通电子银行（" + g.services + "）" + opened_zh + "；" + lag
          + " 天后定期存款转出 " + txt(g.n_out) + " 笔共 " + txt(g.amount_out) + " 元")
    en = ("staff " + g.operator_id + " (branch " + g.staff_branch + ") registered e-banking (" + g.services_en
          + ") on " + g.signed_on.cast("string") + " for a customer of branch " + g.home_branch + opened_en + "; "
          + lag + " days later " + txt(g.n_out) + " transfers totalling " + txt(g.amount_out)
          + " left the time deposit")
    return finish("insider_ebanking", p, g, ratio_score(g.amount_out, p.min_amount), zh, en,
                  parties=g.parties, staff=g.operator_id)
