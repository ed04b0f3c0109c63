"""A past wealth-product campaign with a random control group and a known true uplift.

About six months before ``as_of`` the bank offered its 90-day wealth product (WM05) to eligible
customers; a random 25 % were held out. The response probability depends on the customer
(AUM, risk tolerance, urban, mobile banking) and treatment adds exactly ``TRUE_UPLIFT``; responders
really buy the product: a WM05 account opens on the response date, funded from the settlement
account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import bools, dates, take
from finecrm.synth.balances import Carve
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DORMANT, LOST, NEW, Customers
from finecrm.synth.holdings import Accounts
from finecrm.synth.org import Org
from finecrm.synth.products import INDEX, PRODUCTS
from finecrm.synth.signups import MOBILE, Signups

CAMPAIGN_ID = "CMP-WM05-01"
PRODUCT = "WM05"
TRUE_UPLIFT = 0.04
CONTROL_SHARE = 0.25
#: Share of the chunk's customers put into the campaign (a few thousand per 100,000 customers).
TARGET_SHARE = 0.05
_CAT = np.array([p.category for p in PRODUCTS])


@dataclass
class Campaign:
    contact_day: int
    cust: np.ndarray
    treated: np.ndarray
    p_base: np.ndarray
    responded: np.ndarray
    contacted_on: np.ndarray  # -1 for control
    responded_on: np.ndarray  # -1 when no response
    carves: list[Carve]

    def summary(self) -> dict[str, float]:
        t, r = self.treated, self.responded
        return {
            "n_treatment": float(t.sum()), "n_control": float((~t).sum()),
            "responders_treatment": float((r & t).sum()), "responders_control": float((r & ~t).sum()),
            "expected_base_rate": float(self.p_base.mean()) if self.p_base.size else 0.0,
        }


def contact_day(cal: Calendar) -> int:
    """About six months before as_of, kept inside the window and at least 60 days before as_of."""
    target = cal.as_of_day - 182
    day = min(max(target, cal.window_start + 5), cal.as_of_day - 60)
    return int(max(day, cal.window_start))  # a one-month window: at its start


def run(rng: np.random.Generator, cust: Customers, acc: Accounts, sg: Signups, org: Org, cal: Calendar) -> Campaign:
    c0 = contact_day(cal)
    n = cust.n
    ind = ~cust.corporate
    has_wealth = np.zeros(n, bool)
    cat = _CAT[acc.product]
    live = (acc.open_day <= c0) & ((acc.close_day < 0) | (acc.close_day > c0))
    has_wealth[acc.cust[(cat == "wealth") & live]] = True
    eligible = ind & (cust.age >= 25) & (cust.age <= 70) & (cust.aum >= 30_000) & (cust.risk_tolerance >= 2)
    eligible &= ~np.isin(cust.pattern, [DORMANT, LOST]) & ~has_wealth & ~cust.reserved
    eligible &= (cust.pattern != NEW) & (cust.open_day < c0 - 30)
    cand = np.flatnonzero(eligible)
    k = min(cand.size, max(8, round(n * TARGET_SHARE)))
    chosen = np.sort(rng.choice(cand, size=k, replace=False)) if k else cand
    treated = rng.random(chosen.size) >= CONTROL_SHARE
    mstart, mend = sg.window(MOBILE, n)
    mobile = (mstart[chosen] <= c0) & (mend[chosen] > c0)
    lg = np.log10(cust.aum[chosen] / 50_000)
    z = -3.0 + 0.7 * lg + 0.3 * (cust.risk_tolerance[chosen] - 3) + 0.3 * cust.urban[chosen] + 0.4 * mobile
    p_base = 1 / (1 + np.exp(-z))
    p = p_base + TRUE_UPLIFT * treated
    responded = rng.random(chosen.size) < p
    contacted = np.where(treated, c0 + rng.integers(0, 7, size=chosen.size), -1)
    lag = rng.integers(1, 46, size=chosen.size)
    resp_day = np.where(treated, contacted + lag, c0 + rng.integers(1, 61, size=chosen.size))
    resp_day = np.minimum(resp_day, cal.as_of_day - 1)
    resp_on = np.where(responded, resp_day, -1)
    cust.reserved[chosen] = True  # campaign members keep their state from here on

    # responders buy the product: a WM05 position funded from the settlement account
    buyers = chosen[responded]
    days = resp_on[responded]
    by_app = mobile[responded] & (rng.random(buyers.size) < 0.5)
    tellers = org.outlet_tellers(cust.outlet[buyers], rng.random(buyers.size))
    rows = acc.add(cust=buyers, product=np.full(buyers.size, INDEX[PRODUCT]), open_day=days,
                   close_day=np.full(buyers.size, -1), status=np.zeros(buyers.size, dtype=np.int64),
                   outlet=cust.outlet[buyers], operator=np.where(by_app, -1, tellers),
                   share=np.zeros(buyers.size), loan=np.full(buyers.size, -1))
    in_daily = days >= cal.series_start
    frac = np.where(in_daily, rng.uniform(0.05, 0.15, buyers.size), rng.uniform(0.15, 0.4, buyers.size))
    carves = [Carve(src=int(acc.primary[b]), dst=int(r), frac=float(f), day=int(d))
              for b, r, f, d in zip(buyers, rows, frac, days, strict=True)]
    return Campaign(contact_day=c0, cust=chosen, treated=treated, p_base=p_base, responded=responded,
                    contacted_on=contacted, responded_on=resp_on, carves=carves)


def table(camp: Campaign, customer_ids: pa.Array) -> dict[str, pa.Array]:
    k = camp.cust.size
    no_contact = camp.contacted_on < 0
    no_resp = camp.responded_on < 0
    return {
        "campaign_id": pa.array(np.full(k, CAMPAIGN_ID), pa.string()),
        "customer_id": customer_ids.take(pa.array(camp.cust)),
        "product_code": pa.array(np.full(k, PRODUCT), pa.string()),
        "arm": take(["control", "treatment"], camp.treated.astype(np.int64)),
        "contacted_on": dates(np.where(no_contact, 0, camp.contacted_on), null=no_contact),
        "responded": bools(camp.responded),
        "responded_on": dates(np.where(no_resp, 0, camp.responded_on), null=no_resp),
    }
