"""Ground truth written beside the data in ``out/_truth/``: what the generator intended, so that
tiers, lifecycle stages, delinquency, campaign evaluation, AML rules and deposit alerts can be
scored. The schemas here are the documentation's source (see ``README`` below and
docs/synthetic-bank.md).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import MONEY, money
from finecrm.synth.balances import Balances
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DORMANT, GROWING, LOST, Customers
from finecrm.synth.holdings import Accounts
from finecrm.synth.products import DEPOSIT_CATEGORIES, PRODUCTS

S, D, B, INT, F = pa.string(), pa.date32(), pa.bool_(), pa.int64(), pa.float64()

RETAIL_TIERS = [("private_banking", 6_000_000), ("wealth", 500_000), ("vip", 50_000), ("mass", 0)]
CORPORATE_TIERS = [("corp_strategic", 10_000_000), ("corp_core", 5_000_000), ("corp_growth", 1_000_000),
                   ("corp_basic", 0)]
#: Customers whose mean total deposits over the account_day window reach this are "large depositors".
LARGE_DEPOSITOR = 500_000.0
WATCH_DAYS_BEFORE = 30
WATCH_DAYS_AFTER = 7

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema([
        ("customer_id", S), ("kind", S), ("aum_tier", S), ("aum_tier_raw", S), ("aum_avg_last_month", MONEY),
        ("deposit_avg_last_month", MONEY), ("lifecycle", S), ("behaviour", S), ("mobile_hazard", F),
        ("in_case", B),
    ]),
    "loans": pa.schema([
        ("loan_id", S), ("customer_id", S), ("delinquency", S), ("dpd_as_of", INT), ("first_unpaid_due", D),
        ("p_bad_latent", F), ("prior_late", INT),
    ]),
    "collection_promises": pa.schema([
        ("loan_id", S), ("customer_id", S), ("made_on", D), ("promised_on", D), ("amount", MONEY),
        ("paid_in_window", MONEY), ("outcome", S),
    ]),
    "cases": pa.schema([
        ("case_id", S), ("typology", S), ("typology_zh", S), ("area", S), ("customer_id", S), ("account_id", S),
        ("start_date", D), ("end_date", D), ("n_txns", INT), ("params", S), ("description", S),
    ]),
    "case_transactions": pa.schema([
        ("case_id", S), ("txn_id", S), ("account_id", S), ("direction", S), ("amount", MONEY),
    ]),
    "case_parties": pa.schema([
        ("case_id", S), ("role", S), ("customer_id", S), ("account_id", S), ("staff_id", S), ("branch_id", S),
    ]),
    "deposit_watch": pa.schema([
        ("customer_id", S), ("kind", S), ("avg_deposits", MONEY), ("max_drop_7d", F), ("drop_date", D),
        ("avg30_before", MONEY), ("min_balance_7d", MONEY), ("is_abnormal", B), ("case_id", S),
    ]),
    "campaign": pa.schema([
        ("campaign_id", S), ("product_code", S), ("contact_date", D), ("true_uplift", F), ("control_share", F),
        ("n_treatment", INT), ("n_control", INT), ("responders_treatment", INT), ("responders_control", INT),
        ("response_rate_treatment", F), ("response_rate_control", F), ("observed_uplift", F),
        ("expected_base_rate", F),
    ]),
}

_CAT = np.array([p.category for p in PRODUCTS])


def tiers(aum: np.ndarray, deposits: np.ndarray, corporate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tier index per customer and month (0 = top), raw and with hysteresis (upgrade at once,
    downgrade after three consecutive months below, to the best tier of those three months)."""
    value = np.where(corporate[:, None], deposits, aum)
    bounds_r = np.array([b for _, b in RETAIL_TIERS[:-1]], dtype=float)
    bounds_c = np.array([b for _, b in CORPORATE_TIERS[:-1]], dtype=float)
    raw_r = (value[:, :, None] < bounds_r[None, None, :]).sum(axis=2)
    raw_c = (value[:, :, None] < bounds_c[None, None, :]).sum(axis=2)
    raw = np.where(corporate[:, None], raw_c, raw_r)
    cur = raw[:, 0].copy()
    below = np.zeros_like(cur)
    for m in range(1, raw.shape[1]):
        r = raw[:, m]
        up = r < cur
        cur = np.where(up, r, cur)
        below = np.where(r > cur, below + 1, 0)
        down = below >= 3
        best3 = raw[:, max(m - 2, 0): m + 1].min(axis=1)
        cur = np.where(down, best3, cur)
        below = np.where(down, 0, below)
    return raw[:, -1], cur


def tier_names(idx: np.ndarray, corporate: np.ndarray) -> list[str]:
    r = [n for n, _ in RETAIL_TIERS]
    c = [n for n, _ in CORPORATE_TIERS]
    return [c[i] if corp else r[i] for i, corp in zip(idx.tolist(), corporate.tolist(), strict=True)]


def behaviour(cust: Customers, acc: Accounts, bal: Balances) -> list[str]:
    """A coarse behaviour label in the spirit of the requirement documents (稳妥型/高增长型/消费型)."""
    n = cust.n
    td = np.zeros(n)
    total = np.zeros(n)
    aum_rows = np.isin(_CAT[acc.product], ["deposit", "time_deposit", "debit_card", "wealth", "fund", "insurance"])
    np.add.at(total, acc.cust[aum_rows], bal.avg[aum_rows, -1])
    tdr = _CAT[acc.product] == "time_deposit"
    np.add.at(td, acc.cust[tdr], bal.avg[tdr, -1])
    td_share = td / np.maximum(total, 1)
    out = np.full(n, "balanced", dtype=object)
    out[(cust.activity >= 1.3) & (cust.aum < 50_000)] = "consumption"
    out[(td_share >= 0.5) | ((cust.age >= 55) & (cust.activity < 0.8))] = "conservative"
    out[cust.pattern == GROWING] = "growth"
    out[np.isin(cust.pattern, [DORMANT, LOST])] = "inactive"
    out[cust.corporate] = "corporate"
    return out.tolist()


def deposit_watch(bal: Balances, acc: Accounts, cust: Customers, cal: Calendar
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Large depositors and the largest 7-day drop of their total deposits against the 30-day average
    before it: ``drop(d) = 1 - min(balance[d .. d+6]) / mean(balance[d-30 .. d-1])`` over the days
    written to account_day. Returns (customers, avg deposits, max drop, drop day, avg30, min7)."""
    keep_days = bal.days >= max(cal.daily_start, cal.window_start)
    days = bal.days[keep_days]
    dep = bal.dep_rows
    dep = dep[np.isin(_CAT[acc.product[dep]], list(DEPOSIT_CATEGORIES))]
    total = np.zeros((cust.n, days.size))
    np.add.at(total, acc.cust[dep], bal.daily[bal.dep_pos[dep]][:, keep_days])
    mean = total.mean(axis=1)
    who = np.flatnonzero(mean >= LARGE_DEPOSITOR)
    x = total[who]
    nd = days.size
    best = np.full(who.size, -np.inf)
    best_day = np.full(who.size, -1, dtype=np.int64)
    best_avg = np.zeros(who.size)
    best_min = np.zeros(who.size)
    csum = np.concatenate([np.zeros((who.size, 1)), np.cumsum(x, axis=1)], axis=1)
    for d in range(WATCH_DAYS_BEFORE, nd):
        avg30 = (csum[:, d] - csum[:, d - WATCH_DAYS_BEFORE]) / WATCH_DAYS_BEFORE
        low = x[:, d: min(d + WATCH_DAYS_AFTER, nd)].min(axis=1)
        # only days with a full 30-day history of a held balance (new customers are not "dropping")
        held = x[:, d - WATCH_DAYS_BEFORE: d].min(axis=1) > 0
        drop = np.where(held, 1 - low / np.maximum(avg30, 1e-9), -np.inf)
        better = drop > best
        best = np.where(better, drop, best)
        best_day = np.where(better, days[d], best_day)
        best_avg = np.where(better, avg30, best_avg)
        best_min = np.where(better, low, best_min)
    return who, mean[who], np.maximum(best, 0.0), best_day, best_avg, best_min


def money_col(yuan: np.ndarray) -> pa.Array:
    return money(np.round(np.asarray(yuan) * 100).astype(np.int64))


README = """# _truth — what the synthetic bank was generated to contain

Written by `finecrm.synth.generate` beside the contract tables. Nothing here is part of the data
contract: it is the answer key for evaluating tiers, lifecycle stages, delinquency, campaign
uplift, AML rules, the insider case and deposit alerts. Files follow the data's format
({fmt}); chunked ones are folders of `part-NNNNN` files. See docs/synthetic-bank.md for the
generator itself.

As of {as_of}; {months} months of data; {customers} customers; seed {seed}.

## customers/ (one row per customer)
| column | meaning |
|---|---|
| customer_id | customers.customer_id |
| kind | individual / corporate |
| aum_tier | tier as of the last month with the default rules: individuals by the month's average daily AUM (AUM = deposit, time_deposit, debit_card, wealth, fund, insurance; avg_daily_balance summed) — private_banking ≥ 6,000,000, wealth ≥ 500,000, vip ≥ 50,000, mass below; corporates by average daily deposits — corp_strategic ≥ 10,000,000, corp_core ≥ 5,000,000, corp_growth ≥ 1,000,000, corp_basic below. Hysteresis: upgrade at once, downgrade after 3 consecutive months below, to the best tier of those 3 months |
| aum_tier_raw | the same without hysteresis (last month alone) |
| aum_avg_last_month | average daily AUM of the last month, yuan (exactly the sum of account_month.avg_daily_balance over AUM accounts) |
| deposit_avg_last_month | average daily deposits (deposit, time_deposit, debit_card) of the last month, yuan |
| lifecycle | generated pattern: new (first account within 6 months of as_of), growing (AUM +3–7 % a month), stable, declining (AUM falls to 40–62 % over the last 3 months), dormant (no customer-initiated transaction in the window, opened > 400 days ago), lost (every account closed inside the window) |
| behaviour | coarse label: conservative (≥ 50 % in time deposits or older and inactive), growth, consumption (active, AUM < 50,000), balanced, inactive (dormant/lost), corporate |
| mobile_hazard | the latent monthly probability of signing up for mobile banking inside the window (0 when the customer already had it at the window start or cannot sign up): a logistic function of age, urban/rural, online banking, activity and AUM |
| in_case | the customer is an actor of an injected case (its history was shaped for the case; `lifecycle` is its pattern before the case — a dormant_reactivation actor is `dormant` although the case wakes it up) |

## loans/ (one row per loan)
| column | meaning |
|---|---|
| loan_id, customer_id | loans keys |
| delinquency | on_time (every instalment paid on its due date), cured (one or two instalments paid 3–25 days after the later one fell due, then on time), rolled_90 (stopped paying: 91–360 days past due at as_of), rolled_360 (more than 360 days past due), in_arrears (an on-time loan that stopped paying 1–90 days before as_of, with probability min(0.6 × p_bad_latent, 0.15): the early arrears of the collection queue) |
| dpd_as_of | days past due at as_of = as_of − earliest instalment due on or before as_of and not paid in full |
| first_unpaid_due | that instalment's due date (empty when none) |
| p_bad_latent | the loan's latent probability of going bad (rolling past 90 days), below |
| prior_late | late payments on the borrower's earlier credit (a credit-bureau record the contract does not carry), an input of p_bad_latent |

Credit risk: each loan has a latent probability of going bad (rolling past 90 days),
`p_bad_latent = 1 / (1 + exp(−logit))`. For individuals
`logit = −5.0 + 0.06 × max(30 − age, 0) + 0.05 × max(age − 55, 0) + occupation − 0.5 × ln(monthly income / 5,000) [salary or pension only] − 0.45 × clip(ln(latent deposits / principal), −3, 3) + 1.0 × [lifecycle declining] + 0.9 × prior_late`,
with occupation 农民 +0.5, 个体工商户 +0.6, 公务员 −1.2, 教师 −1.0, 工人 +0.2, 企业职员 −0.3, 医生 −1.0, 退休 −0.3, 学生 +0.9, 自由职业 +0.8, 无业 +1.3; for companies
`logit = −5.1 − 0.45 × clip(ln(latent deposits / principal), −3, 3) + 1.0 × [declining] + 0.9 × prior_late`.
`prior_late` = late payments on the borrower's earlier credit (a credit-bureau record, Poisson with mean 0.35, at most 4; not a contract table). A loan goes bad with probability p_bad_latent (a third of those past 360 days), else it is cured with probability min(2 × p_bad_latent, 0.4), else on time; a bad or cured draw on a loan too young to show it becomes the next milder pattern (rolled_360 → rolled_90 → cured → on_time), so `delinquency` is what the data shows. The mean latent probability is about 5 % (individuals) and 3 % (companies); about 3–4 % of loans have rolled past 90 days at as_of.

## collection_promises/ (one row per promise to pay on a late loan)
Promises live in finecrm's operational database, not in the bank's exports: these are what the bank's collectors
would have recorded, with whether the repayment followed (src/finecrm/synth/promises.py). Each loan ever late gets
one with probability 0.6. A cured loan's promise is made k days (uniform 1–10) before its cure payment, for a day
L days (uniform 3–14) later, for 50–100 % of what was paid that day: kept exactly when k ≤ L. A loan still unpaid
at as_of (rolled or in early arrears) gets one made 1 to dpd − 1 days after its first unpaid instalment fell due,
for that instalment's amount, L days later: broken when that day is before as_of, else pending.

| column | meaning |
|---|---|
| loan_id, customer_id | the loan and its borrower |
| made_on, promised_on | the day the promise was made and the day promised |
| amount | the amount promised (yuan) |
| paid_in_window | instalments paid in full from made_on to promised_on (and by as_of), as the schedule shows |
| outcome | kept (paid_in_window ≥ amount), broken (promised_on before as_of, not kept), pending |

## cases (one row per injected case)
| column | meaning |
|---|---|
| case_id | e.g. FIO-0000-001 (typology, chunk, number) |
| typology | fan_in_fan_out 分散转入集中转出, concentrated_in_fan_out 集中转入分散转出, pass_through 快进快出, cash_structuring 化整为零, dormant_reactivation 长期闲置账户突然启用, cycle 关联账户循环转账, insider_ebanking 员工冒名开立电子银行及借记卡并转移定期存款, abnormal_outflow 大额存款异常流出 |
| typology_zh, area | Chinese name; aml / insider / deposit |
| customer_id, account_id | the main customer and account |
| start_date, end_date | first and last day of the case's transactions |
| n_txns | transactions in case_transactions |
| params | `key=value;…` — counts, totals and thresholds of the case (e.g. n_in, in_total, out_total, threshold) |
| description | Chinese description |

Typology details: fan-in/out: 15–40 inbound transfers of 1,500–9,900 from distinct people over 2–6 days, then 1–2 outbound transfers of 90–98 % of the total within 0–1 day. Concentrated-in/fan-out: 1–2 inbound of 200,000–1,000,000 from a company, then 12–30 outbound to distinct people within 1–4 days. Pass-through: 2–4 episodes of 50,000–300,000 in and 97–99.9 % out within 0–2 days on an account holding 3,000–40,000. Cash structuring: 4–8 counter cash deposits (or withdrawals) of 45,000–49,900 within 2–5 days, at several outlets. Dormant reactivation: an account with no customer-initiated transaction since long before the window (opened ≥ 3 years ago, only interest postings) is woken up at the counter within the last 25 days before as_of and moves 100,000–500,000 several times within 5 days; `params.silent_months_visible` says how many silent months the data window shows (with `months` < 13 the full 12-month silence is not visible: detect it from the account's open_date, the all-silent months available and its constant balances). Cycle: three related accounts (one controller is an authorised party, account_parties role authorised, on all three) pass 100,000–800,000 A→B→C→A two or three rounds, keeping 97–99.5 % each hop.

Insider case (insider_ebanking): an operations manager (营业经理) of an outlet that is not the customer's registers mobile banking in an elderly customer's name (signups.operator_id = that staff, signups.branch_id = the staff's outlet), opens a debit card for the customer (accounts.operator_id = that staff), the next day moves the customer's whole time deposit to the card through mobile banking (the time deposit is closed) and drains the card at ATMs (≤ 20,000 a day) over the following days. params name the staff's and the customer's branch.

Abnormal outflow (abnormal_outflow): a large depositor moves 38–75 % of its deposits out in 1–3 transfers within 3 days; the daily balances in account_day show it. It needs 30 days of daily balances before the drop, so a one-month window (months = 1) has none.

## case_transactions (one row per transaction of a case)
case_id, txn_id (transactions.txn_id), account_id, direction, amount.

## case_parties (who is involved)
case_id, role (account_holder, ring_member, controller, victim, victim_time_deposit, card_opened_by_staff, staff, depositor), customer_id, account_id, staff_id, branch_id (the staff's branch for staff rows, else the customer's).

## deposit_watch (one row per large depositor)
Every customer whose mean total deposits over the account_day window are ≥ 500,000, with the largest
7-day drop of total deposits against the 30-day average before it:
`drop(d) = 1 − min(balance[d … d+6]) / mean(balance[d−30 … d−1])`, over the days in account_day.
| column | meaning |
|---|---|
| customer_id, kind | the customer |
| avg_deposits | mean total deposits over the window |
| max_drop_7d, drop_date | the largest drop and the day d it starts |
| avg30_before, min_balance_7d | the two sides of the ratio |
| is_abnormal | true for injected abnormal outflows (their drop is ≥ 30 %); the others are large depositors with normal fluctuation (their drop stays below 20 %) |
| case_id | the abnormal_outflow case, empty otherwise |

## campaign (one row)
The past campaign in campaign_responses (a 90-day R2 wealth product, WM05, offered about six months
before as_of; responders acquire it: a WM05 account opens on responded_on).
| column | meaning |
|---|---|
| campaign_id, product_code | campaign_responses.campaign_id / product_code |
| contact_date | first contact day of the treatment arm |
| true_uplift | what treatment adds to every treated customer's response probability (0.04) |
| control_share | probability of being held out as control |
| n_treatment, n_control | arm sizes |
| responders_treatment, responders_control | responders per arm |
| response_rate_treatment, response_rate_control, observed_uplift | realised rates and their difference |
| expected_base_rate | mean of the customers' untreated response probabilities |
"""
