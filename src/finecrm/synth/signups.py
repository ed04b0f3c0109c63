"""E-banking and service signups (电子银行签约).

Adoption of mobile banking is a clear function of age, urban/rural, having online banking, activity
and AUM — both the stock at the start of the window and the monthly hazard inside it — so that a
propensity model fitted on features as of a cut-off date can rank who signs up next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import dates, take
from finecrm.synth.calendar import Calendar, to_days
from finecrm.synth.customers import DORMANT, LOST, Customers
from finecrm.synth.org import Org

SERVICES = ["online", "mobile", "phone", "sms", "wechat", "payroll", "utility"]
ONLINE, MOBILE, PHONE, SMS, WECHAT, PAYROLL, UTILITY = range(7)
NEVER = np.iinfo(np.int64).max // 4
#: When each e-banking service was launched at the bank (no signup before it).
LAUNCH = {ONLINE: to_days(dt.date(2009, 6, 1)), MOBILE: to_days(dt.date(2014, 3, 1)),
          WECHAT: to_days(dt.date(2016, 9, 1))}


@dataclass
class Signups:
    cust: np.ndarray
    service: np.ndarray
    signed: np.ndarray
    cancelled: np.ndarray  # -1: still signed
    outlet: np.ndarray  # -1: self-service (no branch)
    operator: np.ndarray  # -1: none

    def add(self, cust: np.ndarray, service: np.ndarray, signed: np.ndarray, cancelled: np.ndarray,
            outlet: np.ndarray, operator: np.ndarray) -> None:
        for name, new in (("cust", cust), ("service", service), ("signed", signed), ("cancelled", cancelled),
                          ("outlet", outlet), ("operator", operator)):
            setattr(self, name, np.concatenate([getattr(self, name), np.asarray(new, dtype=np.int64)]))

    def window(self, service: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per customer: first day the service is usable and the day it stops (NEVER when open)."""
        start = np.full(n, NEVER, dtype=np.int64)
        end = np.full(n, NEVER, dtype=np.int64)
        sel = self.service == service
        np.minimum.at(start, self.cust[sel], self.signed[sel])
        cancel = np.where(self.cancelled[sel] >= 0, self.cancelled[sel], NEVER)
        np.minimum.at(end, self.cust[sel], cancel)
        return start, end


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def mobile_hazard(age: np.ndarray, urban: np.ndarray, online: np.ndarray, activity: np.ndarray,
                  aum: np.ndarray) -> np.ndarray:
    """Monthly probability that a customer without mobile banking signs up (documented in the truth README)."""
    return _sig(-2.3 - 0.11 * (age - 40) + 1.5 * urban + 1.6 * online
                + 1.1 * np.log(np.maximum(activity, 0.05)) + 0.6 * np.log10(np.maximum(aum, 100) / 20_000))


def generate(rng: np.random.Generator, cust: Customers, org: Org, cal: Calendar) -> Signups:
    n = cust.n
    ind = ~cust.corporate
    age = np.where(ind, cust.age, 40).astype(float)
    lg = np.log10(np.maximum(cust.aum, 100) / 20_000)
    act = np.log(np.maximum(cust.activity, 0.05))
    urban = cust.urban.astype(float)
    ws = cal.window_start
    as_of = cal.as_of_day
    alive = (cust.pattern != DORMANT) & (cust.pattern != LOST)

    rows: list[tuple[np.ndarray, int, np.ndarray]] = []  # (customers, service, day)

    def before_window(mask: np.ndarray, launch: int) -> np.ndarray:
        lo = np.maximum(cust.open_day, launch)
        hi = np.maximum(np.minimum(ws - 1, as_of), lo)
        day = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
        # customers opened inside the window sign on their first day
        return np.where(cust.open_day >= ws, cust.open_day, np.minimum(day, hi))

    online0 = rng.random(n) < np.where(ind, _sig(-0.6 - 0.05 * (age - 40) + 0.7 * urban + 0.5 * lg + 0.3 * act), 0.85)
    online_day = before_window(online0, LAUNCH[ONLINE])
    rows.append((np.flatnonzero(online0), ONLINE, online_day[online0]))

    p_mob0 = _sig(0.6 - 0.085 * (age - 40) + 0.9 * urban + 0.9 * online0 + 0.3 * lg + 0.5 * act)
    p_mob0 = np.where(ind, p_mob0, 0.55)
    mobile0 = rng.random(n) < p_mob0
    mobile_day = before_window(mobile0, LAUNCH[MOBILE])
    # monthly hazard inside the window for everybody else
    h = mobile_hazard(age, urban, online0, cust.activity, cust.aum)
    h = np.where(ind, h, 0.02) * alive * ~cust.reserved
    first_month = np.full(n, -1)
    for m in range(cal.months):
        eligible = ~mobile0 & (first_month < 0) & (cust.open_day <= cal.month_end[m])
        hit = eligible & (rng.random(n) < h)
        first_month[hit] = m
    late = first_month >= 0
    lo = np.maximum(cal.month_start[np.maximum(first_month, 0)], cust.open_day + 1)
    hi = cal.month_end[np.maximum(first_month, 0)]
    late &= lo <= hi
    late_day = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    mob = mobile0 | late
    mday = np.where(mobile0, mobile_day, late_day)
    rows.append((np.flatnonzero(mob), MOBILE, mday[mob]))

    wechat = rng.random(n) < _sig(-1.0 - 0.05 * (age - 40) + 0.5 * urban + 1.4 * mob) * ind
    wday = np.maximum(before_window(wechat, LAUNCH[WECHAT]), np.where(mob, mday, 0))
    wday = np.minimum(wday, as_of)
    rows.append((np.flatnonzero(wechat), WECHAT, wday[wechat]))
    sms = rng.random(n) < np.where(ind, 0.62, 0.8)
    rows.append((np.flatnonzero(sms), SMS, before_window(sms, 0)[sms]))
    phone = rng.random(n) < 0.03
    rows.append((np.flatnonzero(phone), PHONE, before_window(phone, 0)[phone]))
    payroll = (cust.salaried & ind) | (cust.corporate & (rng.random(n) < 0.4))
    rows.append((np.flatnonzero(payroll), PAYROLL, before_window(payroll, 0)[payroll]))
    utility = alive & (rng.random(n) < np.where(cust.urban, 0.3, 0.15))
    rows.append((np.flatnonzero(utility), UTILITY, before_window(utility, 0)[utility]))

    c = np.concatenate([r[0] for r in rows])
    s = np.concatenate([np.full(r[0].size, r[1]) for r in rows])
    d = np.concatenate([r[2] for r in rows]).astype(np.int64)
    k = c.size
    # a few cancellations; lost customers cancel everything when they leave
    cancel = np.full(k, -1, dtype=np.int64)
    cx = (rng.random(k) < 0.04) & np.isin(s, [ONLINE, MOBILE, SMS, WECHAT]) & (d < as_of - 10)
    cancel[cx] = d[cx] + 1 + (rng.random(int(cx.sum())) * (as_of - d[cx] - 1)).astype(np.int64)
    lost = cust.pattern[c] == LOST
    cancel[lost] = np.maximum(cust.close_day[c[lost]], d[lost])

    # where and by whom: older customers sign at the counter with a lobby manager or teller,
    # younger ones mostly register themselves in the app
    ages = age[c]
    counter = rng.random(k) < np.where(s == MOBILE, _sig(-1.5 + 0.06 * (ages - 30)), 0.85)
    counter |= np.isin(s, [PAYROLL, UTILITY, PHONE])
    outlet = np.where(counter, cust.outlet[c], -1)
    # now and then at another outlet of the same sub-branch (a noisy background for insider alerts)
    away = counter & (rng.random(k) < 0.05)
    if away.any():
        sub_of = org.outlet_sub
        for i in np.flatnonzero(away):
            same = np.flatnonzero(sub_of == sub_of[outlet[i]])
            outlet[i] = same[rng.integers(same.size)]
    by_lobby = rng.random(k) < 0.5
    op = np.where(by_lobby, org.outlet_lobby_manager[np.maximum(outlet, 0)],
                  org.outlet_tellers(np.maximum(outlet, 0), rng.random(k)))
    operator = np.where(counter, op, -1)
    return Signups(cust=c, service=s, signed=d, cancelled=cancel, outlet=outlet, operator=operator)


def table(sg: Signups, org: Org, customer_ids: pa.Array) -> dict[str, pa.Array]:
    order = np.lexsort((sg.signed, sg.service, sg.cust))
    nul = sg.cancelled[order] < 0
    return {
        "customer_id": customer_ids.take(pa.array(sg.cust[order])),
        "service": take(SERVICES, sg.service[order]),
        "signed_on": dates(sg.signed[order]),
        "cancelled_on": dates(np.where(nul, 0, sg.cancelled[order]), null=nul),
        "branch_id": take(org.branch_id, np.where(sg.outlet[order] >= 0, org.outlet_row[np.maximum(sg.outlet[order], 0)], -1)),
        "operator_id": take(org.staff_id, sg.operator[order]),
    }
