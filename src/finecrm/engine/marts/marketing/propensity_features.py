"""propensity_features — one row per individual customer per month: what was known at that month's end.

The propensity models learn "who takes a product within N days after a cut-off" from these rows, so
every feature of month M uses data up to M's end and nothing later (no leakage): balances and
transactions of M and the months before it, accounts open at M's end (opened on or before it, not
closed by it), signups active at M's end, age at M's end. Customer attributes without a history in
the contract (gender, region, occupation, risk tolerance, KYC level) are taken as they are now.

The last ``marketing.history_months`` months up to the build month are kept (a customer appears from
the month they were opened). The build month's row is as of the build date; it is what the build
scores. Campaign evaluation reads ``txn_ci``, ``txn_amount`` and ``aum_avg`` for before/after
comparisons.

Size: about customers × months rows (12M at 1M customers and 12 months), so columns are numbers,
flags and two short codes; money is rounded to the fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis

from finecrm.contract.tables import SERVICES
from finecrm.core.settings import PropensityTarget
from finecrm.engine.intermediate.int_activity_by_customer_month import CHANNELS
from finecrm.engine.model import BuildContext, Invariant, Model, add_months, month_end, months_between

#: Categories with a held-at-month-end flag (demand deposits: everybody has one; services: signups).
HELD_CATEGORIES = ("time_deposit", "wealth", "fund", "insurance", "loan", "credit_card", "debit_card")
SERVICE_CODES = tuple(code for code, _ in SERVICES)
MONEY = ("aum_avg", "aum_end", "deposit_avg", "time_deposit_avg", "wealth_avg", "fund_avg", "insurance_avg",
         "loan_avg", "deposits_end", "loans_end")
#: Words of a residence address that say "town, not countryside" (城区/市区/街道/社区); the contract has
#: no urban flag, so this is the best the data allows. Null region: unknown.
URBAN_WORDS = ("城区", "市区", "街道", "社区")
KYC_LEVELS = {"low": 1, "medium": 2, "high": 3}


def holds_column(code: str) -> str:
    return f"holds_{code}"


def month_ends(first: date, last: date, as_of: date) -> dict[str, list[date]]:
    """Months from ``first`` to ``last`` with the day their features are as of (the build month: as_of)."""
    months, ends = [], []
    m = first
    while m <= last:
        months.append(m)
        ends.append(min(month_end(m), as_of))
        m = add_months(m, 1)
    return {"month": months, "month_end": ends}


def _int(x: ibis.Value) -> ibis.Value:
    """Counts as INT (lean on disk and in memory), through float64 so DuckDB sums never become HUGEINT."""
    return x.cast("float64").cast("int32")


def _rolling_sum(x: ibis.Value, w: ibis.Window) -> ibis.Value:
    return x.cast("float64").sum().over(w)


def _holdings_at_month_end(src: Mapping[str, ibis.Table], months: ibis.Table,
                           targets: list[PropensityTarget]) -> ibis.Table:
    a = src["int_accounts_enriched"].select("customer_id", "product_code", "category", "open_date", "close_date")
    j = a.join(months, [a.open_date <= months.month_end])
    j = j.filter(j.close_date.isnull() | (j.close_date > j.month_end))
    aggs = {f"has_{c}": (j.category == c).any() for c in HELD_CATEGORIES}
    for t in targets:
        if t.kind == "category":
            aggs[holds_column(t.code)] = (j.category == t.match).any()
        elif t.kind == "product":
            aggs[holds_column(t.code)] = (j.product_code == t.match).any()
    return j.group_by(["customer_id", "month"]).agg(
        accounts_open=j.count().cast("float64").cast("int32"),
        products_held=j.product_code.nunique().cast("float64").cast("int32"),
        **aggs,
    )


def _signups_at_month_end(src: Mapping[str, ibis.Table], months: ibis.Table,
                          targets: list[PropensityTarget]) -> ibis.Table:
    s = src["stg_signups"].select("customer_id", "service", "signed_on", "cancelled_on")
    j = s.join(months, [s.signed_on <= months.month_end])
    j = j.filter(j.cancelled_on.isnull() | (j.cancelled_on > j.month_end))
    aggs = {f"signed_{svc}": (j.service == svc).any() for svc in SERVICE_CODES}
    for t in targets:
        if t.kind == "service":
            aggs[holds_column(t.code)] = (j.service == t.match).any()
    return j.group_by(["customer_id", "month"]).agg(**aggs)


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    mk = ctx.settings.marketing
    targets = mk.targets
    last = ctx.as_of_month
    first = add_months(last, -(mk.history_months - 1))
    months = ibis.memtable(month_ends(first, last, ctx.as_of), schema={"month": "date", "month_end": "date"})

    cm = src["int_customer_months"]
    cm = cm.filter(cm.kind == "individual")
    act = src["int_activity_by_customer_month"]
    channels = act.select("customer_id", "month", *[f"txn_ci_{ch}" for ch in CHANNELS])
    g = cm.left_join(channels, ["customer_id", "month"]).select(cm, *[channels[f"txn_ci_{ch}"] for ch in CHANNELS])
    g = g.mutate(**{f"txn_ci_{ch}": g[f"txn_ci_{ch}"].fill_null(0) for ch in CHANNELS})

    # Windows over the whole history (every month of a customer from the month they were opened is a
    # row of int_customer_months), then keep the last history_months: the first kept month still has
    # its 3 months behind it when the data has them.
    w3 = ibis.window(group_by="customer_id", order_by="month", preceding=2, following=0)
    by_customer = ibis.window(group_by="customer_id", order_by="month")
    rolled = {
        "txn_ci_3m": _rolling_sum(g.txn_ci, w3),
        "txn_off_counter_3m": _rolling_sum(g.txn_off_counter, w3),
        **{f"txn_{ch}_3m": _rolling_sum(g[f"txn_ci_{ch}"], w3) for ch in CHANNELS},
        "amount_in_3m": g.amount_in.sum().over(w3),
        "amount_out_3m": g.amount_out.sum().over(w3),
        "consumption_3m": g.consumption_out.sum().over(w3),
        "aum_avg_3m_before": g.aum_avg.lag(3).over(by_customer),
    }
    g = g.mutate(**rolled)
    g = g.join(months, "month")

    cust = src["stg_customers"].select("customer_id", "birth_date", "gender", "region", "occupation",
                                       "risk_tolerance", "kyc_risk_level")
    g = g.join(cust, "customer_id").select(g, *[cust[c] for c in cust.columns if c != "customer_id"])
    end = g.month_end
    years = end.year() - g.birth_date.year()
    before_birthday = (end.month() < g.birth_date.month()) | (
        (end.month() == g.birth_date.month()) & (end.day() < g.birth_date.day()))
    first_account = ibis.ifelse(g.first_open <= end, g.first_open, ibis.null("date"))
    urban = ibis.or_(*[g.region.contains(w) for w in URBAN_WORDS])
    kyc = ibis.cases(*[(g.kyc_risk_level == k, v) for k, v in KYC_LEVELS.items()], else_=ibis.null("int32"))
    before = g.aum_avg_3m_before
    features = g.select(
        "customer_id", "month",
        age=_int(years - before_birthday.cast("int64")),
        tenure_months=_int(months_between(end, g.open_date)),
        months_since_first_account=_int(months_between(end, first_account)),
        male=ibis.cases((g.gender == "M", 1), (g.gender == "F", 0), else_=ibis.null("int32")).cast("int32"),
        urban=ibis.ifelse(g.region.isnull(), ibis.null("int32"), urban.cast("int32")).cast("int32"),
        risk_tolerance=g.risk_tolerance.cast("int32"),
        kyc_level=kyc.cast("int32"),
        occupation=g.occupation,
        lifecycle=g.lifecycle,
        tier_rank=_int(g.tier_rank),
        inactive_months=_int(g.inactive_months),
        **{c: g[c].round(2) for c in MONEY},
        aum_change_3m=ibis.ifelse(before > 0, (g.aum_avg / before - 1).round(4), ibis.null("float64")),
        txn_ci=_int(g.txn_ci),
        txn_amount=(g.amount_in + g.amount_out).round(2),
        amount_in=g.amount_in.round(2),
        amount_out=g.amount_out.round(2),
        consumption_out=g.consumption_out.round(2),
        **{c: _int(g[c]) for c in ("txn_ci_3m", "txn_off_counter_3m", *[f"txn_{ch}_3m" for ch in CHANNELS])},
        off_counter_share_3m=ibis.ifelse(g.txn_ci_3m > 0, (g.txn_off_counter_3m / g.txn_ci_3m).round(4),
                                         ibis.null("float64")),
        amount_in_3m=g.amount_in_3m.round(2),
        amount_out_3m=g.amount_out_3m.round(2),
        consumption_3m=g.consumption_3m.round(2),
    )

    held = _holdings_at_month_end(src, months, targets)
    signed = _signups_at_month_end(src, months, targets)
    flags = [c for c in held.columns if c not in ("customer_id", "month")]
    f = features.left_join(held, ["customer_id", "month"]).select(features, *[held[c] for c in flags])
    sflags = [c for c in signed.columns if c not in ("customer_id", "month")]
    f = f.left_join(signed, ["customer_id", "month"]).select(f, *[signed[c] for c in sflags])
    f = f.mutate(accounts_open=f.accounts_open.fill_null(0), products_held=f.products_held.fill_null(0),
                 **{c: f[c].fill_null(False) for c in [*flags, *sflags] if c not in ("accounts_open",
                                                                                      "products_held")})
    # 流失 as known at the month's end: every account opened by then is closed. (The monthly lifecycle
    # judges "lost" by the accounts open on the build date, so a customer who left and came back
    # later would look not lost in the months between: a glimpse of the future.)
    f = f.mutate(lifecycle=ibis.ifelse((f.accounts_open == 0) & f.months_since_first_account.notnull(), "lost",
                                       f.lifecycle))
    # Target flags in configuration order at the end.
    holds = [holds_column(t.code) for t in targets]
    return f.select(*[c for c in f.columns if c not in holds], *holds)


MODEL = Model(
    "propensity_features", "mart",
    ("int_customer_months", "int_activity_by_customer_month", "int_accounts_enriched", "stg_signups",
     "stg_customers"),
    build,
    "Per individual customer per month (last marketing.history_months months): features as of the month's end "
    "from data up to it only — age, tenure, balances, 3-month activity by channel, holdings and signups at the "
    "month's end — for propensity models, scoring and before/after comparisons.",
    grain="individual customer per month", key=("customer_id", "month"),
    not_null=("aum_avg", "txn_ci", "txn_amount", "accounts_open"),
    invariants=(
        Invariant("3-month activity nests", lambda t: (t.txn_ci <= t.txn_ci_3m) & (t.txn_off_counter_3m <= t.txn_ci_3m),
                  "the month's customer-initiated transactions ≤ 3 months'; off-counter ≤ all"),
        Invariant("channels add up", lambda t: (t.txn_counter_3m + t.txn_atm_3m + t.txn_pos_3m + t.txn_online_3m
                                                + t.txn_mobile_3m + t.txn_wechat_3m + t.txn_phone_3m)
                  <= t.txn_ci_3m, "customer-initiated transactions by channel sum to at most all of them"),
        Invariant("off-counter share is a fraction", lambda t: t.off_counter_share_3m.isnull()
                  | ((t.off_counter_share_3m >= 0) & (t.off_counter_share_3m <= 1)), "0 ≤ share ≤ 1"),
        Invariant("products within accounts", lambda t: t.products_held <= t.accounts_open,
                  "distinct products held ≤ open accounts"),
    ),
)
