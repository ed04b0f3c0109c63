"""``generate``: the synthetic county bank, chunk by chunk.

The organisation and products are built once; customers are then processed in chunks of
:data:`CHUNK` customers, each chunk with its own random streams (``SeedSequence(seed)`` keyed by
chunk and stage), so a chunk's output depends only on the arguments, and memory stays bounded.
Every table of the chunk is written as a part file straight away; transactions month by month.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from finecrm.contract.tables import TABLES
from finecrm.contract.tables import table as contract_table
from finecrm.core.errors import FinecrmError
from finecrm.core.progress import SILENT, Progress
from finecrm.synth import (
    balances,
    campaign,
    cases,
    customers,
    holdings,
    loans,
    promises,
    signups,
    transactions,
    truth,
    voice,
)
from finecrm.synth.arrays import dates, take
from finecrm.synth.calendar import Calendar
from finecrm.synth.org import Org, build_org
from finecrm.synth.products import table as products_table
from finecrm.synth.writer import FORMATS, Writer

DEFAULT_AS_OF = dt.date(2026, 9, 30)
CHUNK = 20_000
MAX_MONTHS = 120
#: Top-level random streams (SeedSequence spawn keys).
_ORG_STREAM, _CHUNK_STREAM = 0, 1
#: Tables written in one file; every other contract table is written in parts, one per chunk.
SINGLE_TABLES = ("branches", "staff", "grids", "products")


def _schema(name: str) -> pa.Schema:
    return contract_table(name).arrow_schema()


@dataclass
class _Totals:
    rows: dict[str, int] = field(default_factory=lambda: {t.name: 0 for t in TABLES})
    case_rows: dict[str, list[dict[str, pa.Array]]] = field(
        default_factory=lambda: {"cases": [], "case_transactions": [], "case_parties": [], "deposit_watch": []})
    campaign: dict[str, float] = field(default_factory=dict)
    contact_day: int = 0


def generate(out: Path, *, customers: int, months: int = 12, seed: int = 1, fmt: str = "parquet",
             as_of: dt.date = DEFAULT_AS_OF, progress: Progress = SILENT) -> dict[str, int]:
    """Writes a synthetic bank into ``out``; returns rows written per contract table."""
    _check(customers, months, seed, fmt)
    out = Path(out)
    _clean(out)
    cal = Calendar(as_of, months)
    writer = Writer(out, fmt)
    totals = _Totals()
    org = build_org(_rng(seed, _ORG_STREAM), customers, as_of)
    totals.rows["products"] = writer.single("products", _schema("products"), products_table())
    totals.rows["branches"] = writer.single("branches", _schema("branches"), org.branches_table())
    totals.rows["staff"] = writer.single("staff", _schema("staff"), org.staff_table())
    totals.rows["grids"] = writer.single("grids", _schema("grids"), org.grids_table())

    sizes = [min(CHUNK, customers - s) for s in range(0, customers, CHUNK)]
    per_chunk = cases.split_counts(cases.case_counts(customers), sizes)
    progress.log(f"generating {customers:,} customers, {months} months to {as_of} in {len(sizes)} chunk(s)")
    with progress.task("synthetic bank: customers", total=customers) as task:
        first = 0
        for chunk, size in enumerate(sizes):
            _chunk(writer, org, cal, seed, chunk, first, size, per_chunk[chunk], totals)
            first += size
            task.advance(size)
    _write_truth_tables(writer, totals, customers, cal, seed)
    # The customer's voice (survey answers, complaints) from a stream of its own, read back from what was written.
    voice.generate_voice(out, writer.fmt, seed, as_of)
    return totals.rows


def _check(customers: int, months: int, seed: int, fmt: str) -> None:
    if not isinstance(customers, int) or customers < 100:
        raise FinecrmError(f"customers must be an integer ≥ 100 (got {customers!r})")
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise FinecrmError(f"months must be an integer from 1 to {MAX_MONTHS} (got {months!r})")
    if not isinstance(seed, int) or seed < 0:
        raise FinecrmError(f"seed must be a non-negative integer (got {seed!r})")
    if fmt not in FORMATS:
        raise FinecrmError(f"fmt must be one of {', '.join(FORMATS)} (got {fmt!r})")


def _clean(out: Path) -> None:
    """Remove what an earlier run wrote here (only our own files), so no stale parts survive."""
    out.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        for ext in FORMATS:
            (out / f"{t.name}.{ext}").unlink(missing_ok=True)
        folder = out / t.name
        if folder.is_dir():
            for f in folder.glob("part-*.*"):
                f.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()
    for own in ("_truth", "_voice"):
        if (out / own).is_dir():
            shutil.rmtree(out / own)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _chunk(writer: Writer, org: Org, cal: Calendar, seed: int, chunk: int, first: int, n: int,
           counts: dict[str, int], totals: _Totals) -> None:
    def rng(stage: int) -> np.random.Generator:
        return _rng(seed, _CHUNK_STREAM, chunk, stage)

    cust = customers.generate(rng(0), org, cal, chunk, first, n)
    plan = cases.plan(rng(1), cust, cal, counts, chunk)
    customers.assign_managers(cust, org)
    ln = loans.plan(rng(2), cust, cal)
    loans.arrears(rng(15), ln, cal)  # a stream of its own: every other draw is as before
    acc = holdings.build(rng(3), cust, org, ln, cal)
    sg = signups.generate(rng(4), cust, org, cal)
    cases.prepare_accounts(rng(5), plan, cust, acc, org, sg, cal)
    camp = campaign.run(rng(6), cust, acc, sg, org, cal)
    path = customers.aum_paths(rng(7), cust, cal)
    level = balances.monthly_levels(rng(8), acc, cust, path, ln, cal, camp.carves, plan.fixed)
    bal = balances.build(rng(9), acc, level, cal)
    cust_ids = cust.ids
    acc_ids = acc.ids(chunk)
    cps = transactions.counterparties(rng(10), org, cust, acc, acc_ids)
    cases.inject(rng(11), plan, cust, acc, org, bal, cps, cal)
    balances.finalize(bal, cal)

    # --- the chunk's contract tables ---------------------------------------------------------
    r12 = rng(12)
    holds_risky = np.zeros(n, bool)
    holds_risky[acc.cust[np.isin(holdings.CATEGORY[acc.product], ["wealth", "fund"])]] = True
    tol_null = ~holds_risky & (r12.random(n) < 0.35)
    id_type, id_number, phone_null, phone = customers.identity_columns(r12, cust, org)
    _part(writer, totals, "customers", chunk,
          customers.table(cust, org, tol_null, id_type, id_number, phone_null, phone))
    _part(writer, totals, "accounts", chunk, holdings.table(acc, org, cust_ids, chunk, cal.as_of_day))
    pa_acc, pa_cust, pa_role = holdings.parties(rng(13), cust, acc)
    extra = np.array(plan.party_rows, dtype=np.int64).reshape(-1, 3)
    pa_acc = np.concatenate([pa_acc, extra[:, 0]])
    pa_cust = np.concatenate([pa_cust, extra[:, 1]])
    pa_role = np.concatenate([pa_role, extra[:, 2]])
    _, uniq = np.unique(pa_acc * (1 << 32) + pa_cust, return_index=True)
    uniq = np.sort(uniq)
    _part(writer, totals, "account_parties", chunk, {
        "account_id": acc_ids.take(pa.array(pa_acc[uniq])),
        "customer_id": cust_ids.take(pa.array(pa_cust[uniq])),
        "role": take(holdings.PARTY_ROLES, pa_role[uniq]),
    })
    _part(writer, totals, "account_month", chunk, balances.account_month_table(bal, acc_ids, cal))
    _part(writer, totals, "account_day", chunk, balances.account_day_table(bal, acc, acc_ids, cal))
    _part(writer, totals, "signups", chunk, signups.table(sg, org, cust_ids))
    _part(writer, totals, "loans", chunk, loans.loans_table(ln, cust_ids, acc_ids, chunk))
    _part(writer, totals, "loan_schedule", chunk, loans.schedule_table(ln, chunk))
    _part(writer, totals, "campaign_responses", chunk, campaign.table(camp, cust_ids))

    # --- transactions, month by month ---------------------------------------------------------
    ctx = transactions.context(rng(14), cust, acc, org, cal, bal, ln, sg, cps, plan.silent_until)
    case_txns = transactions.Txns.concat(plan.txns) if plan.txns else transactions.Txns.empty()
    case_month = cal.month_of(np.clip(case_txns.day, cal.window_start, cal.as_of_day))
    seq = 0
    case_ids: list[tuple[int, int, int, int, int]] = []  # (case, seq, account, direction, amount)
    with writer.part("transactions", chunk, _schema("transactions")) as w:
        for m in range(cal.months):
            t = transactions.month(_rng(seed, _CHUNK_STREAM, chunk, 100 + m), ctx, m)
            t = transactions.finish(transactions.Txns.concat([t, case_txns.select(case_month == m)]), cal)
            w.write(transactions.table(t, acc_ids, cps, org, chunk, seq))
            for j in np.flatnonzero(t.case >= 0):
                case_ids.append((int(t.case[j]), seq + int(j), int(t.account[j]), int(t.direction[j]),
                                 int(t.amount[j])))
            seq += t.n
    totals.rows["transactions"] += seq

    # --- truth -----------------------------------------------------------------------------------
    # promises to pay on late loans and whether the repayment followed (a stream of its own, after the schedule)
    pr = promises.generate(rng(16), ln, cal)
    _truth_parts(writer, cust, acc, bal, ln, sg, plan, camp, cal, org, chunk, cust_ids, acc_ids, case_ids, totals, pr)


def _part(writer: Writer, totals: _Totals, name: str, chunk: int, cols: dict[str, pa.Array]) -> None:
    with writer.part(name, chunk, _schema(name)) as w:
        totals.rows[name] += w.write(cols)


def _truth_parts(writer: Writer, cust: customers.Customers, acc: holdings.Accounts, bal: balances.Balances,
                 ln: loans.Loans, sg: signups.Signups, plan: cases.Plan, camp: campaign.Campaign, cal: Calendar,
                 org: Org, chunk: int, cust_ids: pa.Array, acc_ids: pa.Array,
                 case_txns: list[tuple[int, int, int, int, int]], totals: _Totals,
                 pr: dict[str, np.ndarray]) -> None:
    tw = Writer(writer.out / "_truth", writer.fmt)
    n = cust.n
    aum = balances.customer_aum(bal, acc, n)
    dep = np.zeros_like(aum)
    dep_rows = np.isin(holdings.CATEGORY[acc.product], ["deposit", "time_deposit", "debit_card"])
    np.add.at(dep, acc.cust[dep_rows], bal.avg[dep_rows] / 100.0)
    raw, hyst = truth.tiers(aum, dep, cust.corporate)
    in_case = np.zeros(n, bool)
    for who in plan.actors.values():
        in_case[who] = True
    mstart, _ = sg.window(signups.MOBILE, n)
    online_start, _ = sg.window(signups.ONLINE, n)
    hazard = signups.mobile_hazard(np.where(cust.corporate, 40, cust.age).astype(float), cust.urban.astype(float),
                                   online_start < cal.window_start, cust.activity, cust.aum)
    hazard = np.where((mstart < cal.window_start) | cust.corporate | cust.reserved
                      | np.isin(cust.pattern, [customers.DORMANT, customers.LOST]), 0.0, hazard)
    with tw.part("customers", chunk, truth.SCHEMAS["customers"]) as w:
        w.write({
            "customer_id": cust_ids,
            "kind": take(["individual", "corporate"], cust.corporate.astype(np.int64)),
            "aum_tier": pa.array(truth.tier_names(hyst, cust.corporate), pa.string()),
            "aum_tier_raw": pa.array(truth.tier_names(raw, cust.corporate), pa.string()),
            "aum_avg_last_month": truth.money_col(aum[:, -1]),
            "deposit_avg_last_month": truth.money_col(dep[:, -1]),
            "lifecycle": take(customers.PATTERNS, cust.pattern),
            "behaviour": pa.array(truth.behaviour(cust, acc, bal), pa.string()),
            "mobile_hazard": pa.array(np.round(hazard, 6), pa.float64()),
            "in_case": pa.array(in_case, pa.bool_()),
        })
    unpaid = (ln.s_paid_day < 0) & (ln.s_due <= cal.as_of_day)
    first_unpaid = np.full(ln.n, np.iinfo(np.int64).max)
    np.minimum.at(first_unpaid, ln.s_loan[unpaid], ln.s_due[unpaid])
    none = first_unpaid == np.iinfo(np.int64).max
    with tw.part("loans", chunk, truth.SCHEMAS["loans"]) as w:
        w.write({
            "loan_id": loans.loan_ids(ln, chunk),
            "customer_id": cust_ids.take(pa.array(ln.cust)),
            "delinquency": take(loans.DELINQUENCY, ln.pattern),
            "dpd_as_of": pa.array(ln.dpd, pa.int64()),
            "first_unpaid_due": dates(np.where(none, 0, first_unpaid), null=none),
            "p_bad_latent": pa.array(np.round(ln.p_bad, 6), pa.float64()),
            "prior_late": pa.array(ln.prior_late, pa.int64()),
        })
    with tw.part("collection_promises", chunk, truth.SCHEMAS["collection_promises"]) as w:
        w.write({
            "loan_id": loans.loan_ids(ln, chunk).take(pa.array(pr["loan"], pa.int64())),
            "customer_id": cust_ids.take(pa.array(ln.cust[pr["loan"]], pa.int64())),
            "made_on": dates(pr["made_day"]),
            "promised_on": dates(pr["promised_day"]),
            "amount": truth.money_col(pr["amount"] / 100.0),
            "paid_in_window": truth.money_col(pr["paid"] / 100.0),
            "outcome": take(list(promises.OUTCOMES), pr["outcome"]),
        })

    # cases (small: kept in memory and written once at the end)
    acc_list = acc_ids.to_pylist()
    cid_list = cust_ids.to_pylist()
    branch_of_outlet = [org.branch_id[r] for r in org.outlet_row]
    per_case = np.zeros(len(plan.cases), dtype=np.int64)
    for c, *_ in case_txns:
        per_case[c] += 1
    rows_cases = []
    for i, case in enumerate(plan.cases):
        main_acc = next((a for _, _, a, _ in case.parties if a >= 0), -1)
        rows_cases.append((case.case_id, case.typology, cases.TYPOLOGIES[case.typology][1],
                           cases.TYPOLOGIES[case.typology][0], cid_list[case.customer],
                           acc_list[main_acc] if main_acc >= 0 else None, case.start, case.end, int(per_case[i]),
                           ";".join(f"{k}={v}" for k, v in case.params.items()), case.description))
    if rows_cases:
        cols = list(zip(*rows_cases, strict=True))
        totals.case_rows["cases"].append({
            "case_id": pa.array(cols[0], pa.string()), "typology": pa.array(cols[1], pa.string()),
            "typology_zh": pa.array(cols[2], pa.string()), "area": pa.array(cols[3], pa.string()),
            "customer_id": pa.array(cols[4], pa.string()), "account_id": pa.array(cols[5], pa.string()),
            "start_date": dates(np.array(cols[6])), "end_date": dates(np.array(cols[7])),
            "n_txns": pa.array(cols[8], pa.int64()), "params": pa.array(cols[9], pa.string()),
            "description": pa.array(cols[10], pa.string()),
        })
    if case_txns:
        ct = np.array(case_txns, dtype=np.int64)
        totals.case_rows["case_transactions"].append({
            "case_id": pa.array([plan.cases[c].case_id for c in ct[:, 0]], pa.string()),
            "txn_id": transactions.txn_ids_at(chunk, ct[:, 1]),
            "account_id": acc_ids.take(pa.array(ct[:, 2])),
            "direction": take(["in", "out"], ct[:, 3]),
            "amount": truth.money_col(ct[:, 4] / 100.0),
        })
    party_rows = []
    for case in plan.cases:
        for role, c, a, st in case.parties:
            branch = (org.branch_id[org.staff_branch[st]] if st >= 0 and c < 0 else
                      branch_of_outlet[cust.outlet[c]] if c >= 0 else None)
            party_rows.append((case.case_id, role, cid_list[c] if c >= 0 else None,
                               acc_list[a] if a >= 0 else None,
                               org.staff_id[st].as_py() if st >= 0 else None, branch))
    if party_rows:
        cols = list(zip(*party_rows, strict=True))
        totals.case_rows["case_parties"].append({k: pa.array(v, pa.string()) for k, v in zip(
            ["case_id", "role", "customer_id", "account_id", "staff_id", "branch_id"], cols, strict=True)})

    watch, avg_dep, drop, drop_day, avg30, low = truth.deposit_watch(bal, acc, cust, cal)
    outflow_case = {plan.cases[i].customer: plan.cases[i].case_id for i in range(len(plan.cases))
                    if plan.cases[i].typology == "abnormal_outflow"}
    case_of = [outflow_case.get(int(c)) for c in watch]
    totals.case_rows["deposit_watch"].append({
        "customer_id": cust_ids.take(pa.array(watch, pa.int64())),
        "kind": take(["individual", "corporate"], cust.corporate[watch].astype(np.int64)),
        "avg_deposits": truth.money_col(avg_dep),
        "max_drop_7d": pa.array(np.round(drop, 4), pa.float64()),
        "drop_date": dates(np.maximum(drop_day, 0)),
        "avg30_before": truth.money_col(avg30),
        "min_balance_7d": truth.money_col(low),
        "is_abnormal": pa.array([c is not None for c in case_of], pa.bool_()),
        "case_id": pa.array(case_of, pa.string()),
    })
    s = camp.summary()
    for k, v in s.items():
        if k == "expected_base_rate":
            prev_n = totals.campaign.get("n_treatment", 0) + totals.campaign.get("n_control", 0)
            here = s["n_treatment"] + s["n_control"]
            totals.campaign[k] = (totals.campaign.get(k, 0.0) * prev_n + v * here) / max(prev_n + here, 1)
        else:
            totals.campaign[k] = totals.campaign.get(k, 0.0) + v
    totals.contact_day = camp.contact_day


def _write_truth_tables(writer: Writer, totals: _Totals, n_customers: int, cal: Calendar, seed: int) -> None:
    tw = Writer(writer.out / "_truth", writer.fmt)
    for name, parts in totals.case_rows.items():
        schema = truth.SCHEMAS[name]
        if parts:
            cols = {k: pa.concat_arrays([p[k] for p in parts]) for k in schema.names}
        else:
            cols = {f.name: pa.array([], f.type) for f in schema}
        tw.single(name, schema, cols)
    c = totals.campaign
    nt, nc = int(c.get("n_treatment", 0)), int(c.get("n_control", 0))
    rt = c.get("responders_treatment", 0) / max(nt, 1)
    rc = c.get("responders_control", 0) / max(nc, 1)
    tw.single("campaign", truth.SCHEMAS["campaign"], {
        "campaign_id": pa.array([campaign.CAMPAIGN_ID]), "product_code": pa.array([campaign.PRODUCT]),
        "contact_date": dates(np.array([totals.contact_day])),
        "true_uplift": pa.array([campaign.TRUE_UPLIFT]), "control_share": pa.array([campaign.CONTROL_SHARE]),
        "n_treatment": pa.array([nt]), "n_control": pa.array([nc]),
        "responders_treatment": pa.array([int(c.get("responders_treatment", 0))]),
        "responders_control": pa.array([int(c.get("responders_control", 0))]),
        "response_rate_treatment": pa.array([round(rt, 6)]), "response_rate_control": pa.array([round(rc, 6)]),
        "observed_uplift": pa.array([round(rt - rc, 6)]),
        "expected_base_rate": pa.array([round(c.get("expected_base_rate", 0.0), 6)]),
    })
    (writer.out / "_truth" / "README.md").write_text(
        truth.README.format(fmt=writer.fmt, as_of=cal.as_of.isoformat(), months=cal.months,
                            customers=f"{n_customers:,}", seed=seed), encoding="utf-8")
