"""Month-end and daily-average balances (account_month) and daily balances (account_day).

Each account's latent month-end level is its share of the customer's AUM path (time deposits stay
flat, loans follow their schedule). Months that overlap the ``account_day`` window are computed
from a daily series (linear between month ends plus small noise), so ``end_balance`` equals the
last day's balance and ``avg_daily_balance`` the mean of the days; cases (abnormal outflows, the
insider case) edit the daily series before those months are derived.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import dates, money
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DECLINING, LOST, Customers
from finecrm.synth.holdings import Accounts
from finecrm.synth.loans import Loans, outstanding_at
from finecrm.synth.products import AUM_CATEGORIES, BALANCE_CATEGORIES, DEPOSIT_CATEGORIES, PRODUCTS

_CAT_BAL = np.array([p.category in BALANCE_CATEGORIES for p in PRODUCTS])
_CAT_DEP = np.array([p.category in DEPOSIT_CATEGORIES for p in PRODUCTS])
_CAT_AUM = np.array([p.category in AUM_CATEGORIES for p in PRODUCTS])
_CAT = np.array([p.category for p in PRODUCTS])


@dataclass
class Carve:
    """Money moved from one account to a new one from ``day`` on (e.g. a campaign's wealth purchase)."""

    src: int
    dst: int
    frac: float
    day: int


@dataclass
class Balances:
    level: np.ndarray  # accounts × months, yuan
    dep_rows: np.ndarray  # accounts with a daily series
    dep_pos: np.ndarray  # account → row in ``daily`` (-1: none)
    days: np.ndarray  # day numbers of the series
    daily: np.ndarray  # dep_rows × days, yuan
    end: np.ndarray  # accounts × months, fen
    avg: np.ndarray  # accounts × months, fen
    present: np.ndarray  # accounts × months: the account_month row exists

    def shift(self, account: int, day: int, amount: float) -> None:
        """Add ``amount`` yuan to an account's daily balance from ``day`` on (a flow the cases inject)."""
        r = self.dep_pos[account]
        if r < 0:
            raise ValueError("account has no daily series")
        self.daily[r, self.days >= day] += amount

    def balance_on(self, account: int, day: int) -> float:
        r = self.dep_pos[account]
        return float(self.daily[r, np.searchsorted(self.days, day)])


def monthly_levels(rng: np.random.Generator, acc: Accounts, cust: Customers, path: np.ndarray, loans: Loans,
                   cal: Calendar, carves: list[Carve], fixed: dict[int, float]) -> np.ndarray:
    m = cal.months
    cat = _CAT[acc.product]
    P = path[acc.cust]
    level = acc.share[:, None] * P
    # time deposits do not move with the customer's path unless the customer is running money down
    td = (cat == "time_deposit") & ~np.isin(cust.pattern[acc.cust], [DECLINING, LOST])
    ref = np.clip(cal.month_of(np.clip(acc.open_day, cal.window_start, cal.as_of_day)), 0, m - 1)
    level[td] = (acc.share[td] * P[td, ref[td]])[:, None]
    demand = cat == "deposit"
    # month-to-month noise of settlement accounts; big balances move less (relative to their size)
    sigma = np.where(cust.aum[acc.cust[demand]] >= 300_000, 0.015, 0.045)[:, None]
    level[demand] *= np.exp(rng.normal(0, 1, size=(int(demand.sum()), m)) * sigma)
    market = np.isin(cat, ["wealth", "fund"])
    drift = np.cumsum(rng.normal(0, np.where(cat[market] == "fund", 0.03, 0.006)[:, None],
                                 size=(int(market.sum()), m)), axis=1)
    level[market] *= np.exp(drift - drift[:, -1:])
    for c in carves:
        months = cal.month_end >= c.day
        level[c.dst, months] = c.frac * level[c.src, months]
        level[c.src, months] *= 1 - c.frac
    for a, amount in fixed.items():
        level[a, :] = amount
    is_loan = acc.loan >= 0
    if is_loan.any():
        level[is_loan] = outstanding_at(loans, cal.month_end)[acc.loan[is_loan]] / 100.0
    level[~_CAT_BAL[acc.product]] = 0.0
    return np.maximum(level, 0.0)


def build(rng: np.random.Generator, acc: Accounts, level: np.ndarray, cal: Calendar) -> Balances:
    """Monthly end/avg for all months plus the daily series of deposit accounts (not yet final)."""
    ms, me = cal.month_start, cal.month_end
    open_d = acc.open_day[:, None]
    close_d = np.where(acc.close_day >= 0, acc.close_day, np.iinfo(np.int64).max // 4)[:, None]
    present = (open_d <= me[None, :]) & (close_d >= ms[None, :]) & _CAT_BAL[acc.product][:, None]
    open_at_end = present & (close_d > me[None, :])
    end = np.where(open_at_end, level, 0.0)
    full_days = (me - ms + 1)[None, :]
    first = np.maximum(ms[None, :], open_d)
    last = np.minimum(me[None, :], close_d - 1)
    frac = np.clip((last - first + 1) / full_days, 0, 1)
    prev = np.concatenate([level[:, :1], end[:, :-1]], axis=1)
    prev = np.where(open_d < ms[None, :], prev, level)
    closing = present & ~open_at_end
    demand = (_CAT[acc.product] == "deposit")[:, None]
    noise = np.where(demand, 1 + rng.normal(0, 0.03, size=level.shape), 1.0)
    avg = np.where(closing, prev * frac, (prev + level) / 2 * frac * noise)
    flat = (_CAT[acc.product] == "time_deposit")[:, None] & ~closing
    avg = np.where(flat, level * frac, avg)

    # daily series for deposit accounts alive in the window
    s0 = cal.series_start
    days = np.arange(s0, cal.as_of_day + 1)
    dep = np.flatnonzero(_CAT_DEP[acc.product] & (close_d[:, 0] >= s0) & (acc.open_day <= cal.as_of_day))
    dep_pos = np.full(acc.n, -1, dtype=np.int64)
    dep_pos[dep] = np.arange(dep.size)
    mi = cal.month_of(days)
    # position within the month as a fraction of the full calendar month
    full_len = np.array([_month_length(int(x)) for x in ms])
    pos = (days - ms[mi] + 1) / full_len[mi]
    prev_end = np.concatenate([level[dep, :1], end[dep, :-1]], axis=1)
    start_v = prev_end[:, mi]
    target = level[dep][:, mi]
    series = start_v + (target - start_v) * pos[None, :]
    is_demand = _CAT[acc.product[dep]] != "time_deposit"
    ar = _ar_noise(rng, int(is_demand.sum()), days.size, sigma=0.004, phi=0.85)
    series[is_demand] *= 1 + ar
    alive = (days[None, :] >= acc.open_day[dep, None]) & (days[None, :] < close_d[dep])
    series = np.where(alive, np.maximum(series, 0.0), 0.0)
    return Balances(level=level, dep_rows=dep, dep_pos=dep_pos, days=days, daily=series,
                    end=_fen(end), avg=_fen(avg), present=present)


def finalize(bal: Balances, cal: Calendar) -> None:
    """Derive the months that overlap the daily window from the (possibly edited) daily series."""
    bal.daily = np.maximum(np.round(bal.daily, 2), 0.0)
    first = cal.daily_first_month
    mi = cal.month_of(bal.days)
    for m in range(first, cal.months):
        cols = np.flatnonzero(mi == m)
        if not cols.size:
            continue
        bal.end[bal.dep_rows, m] = _fen(bal.daily[:, cols[-1]])
        bal.avg[bal.dep_rows, m] = _fen(bal.daily[:, cols].sum(axis=1) / cols.size)


def _month_length(first_day: int) -> int:
    d = np.datetime64(first_day, "D").astype("datetime64[M]")
    return int(((d + 1).astype("datetime64[D]") - d.astype("datetime64[D]")).astype(np.int64))


def _ar_noise(rng: np.random.Generator, rows: int, cols: int, sigma: float, phi: float) -> np.ndarray:
    eps = rng.normal(0, sigma, size=(rows, cols))
    out = np.empty_like(eps)
    acc = np.zeros(rows)
    for j in range(cols):
        acc = phi * acc + eps[:, j]
        out[:, j] = acc
    return out


def _fen(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x) * 100).astype(np.int64)


def customer_aum(bal: Balances, acc: Accounts, n_customers: int) -> np.ndarray:
    """Average daily AUM per customer and month (yuan): the sum over AUM accounts of avg_daily_balance."""
    out = np.zeros((n_customers, bal.avg.shape[1]))
    rows = _CAT_AUM[acc.product]
    np.add.at(out, acc.cust[rows], bal.avg[rows] / 100.0)
    return out


def account_month_table(bal: Balances, account_ids: pa.Array, cal: Calendar) -> dict[str, pa.Array]:
    a, m = np.nonzero(bal.present)
    return {
        "account_id": account_ids.take(pa.array(a)),
        "month": dates(cal.month_start[m]),
        "end_balance": money(bal.end[a, m]),
        "avg_daily_balance": money(bal.avg[a, m]),
    }


def account_day_table(bal: Balances, acc: Accounts, account_ids: pa.Array, cal: Calendar) -> dict[str, pa.Array]:
    dep = bal.dep_rows
    close = np.where(acc.close_day[dep] >= 0, acc.close_day[dep], np.iinfo(np.int64).max // 4)
    keep = (bal.days[None, :] >= max(cal.daily_start, cal.window_start)) & \
           (bal.days[None, :] >= acc.open_day[dep, None]) & (bal.days[None, :] <= close[:, None])
    r, d = np.nonzero(keep)
    return {
        "account_id": account_ids.take(pa.array(dep[r])),
        "date": dates(bal.days[d]),
        "balance": money(_fen(bal.daily[r, d])),
    }
