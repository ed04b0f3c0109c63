"""Customers of one chunk: who they are (demographics, ids, region, grid) and the latent state the
rest of the generator follows (AUM level, lifecycle pattern, activity).

Individuals are ~95 %; their AUM is lognormal with a Pareto-like upper tail so that the top 20 %
hold roughly 80 % of it. Lifecycle patterns decide the monthly AUM path (:func:`aum_paths`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from finecrm.synth import names
from finecrm.synth.arrays import dates, ids, take
from finecrm.synth.calendar import Calendar
from finecrm.synth.identity import mobiles, resident_ids, uscc, yyyymmdd
from finecrm.synth.org import COUNTY_CODES, GRID_KIND, Org

OCCUPATIONS = ["农民", "个体工商户", "公务员", "教师", "工人", "企业职员", "医生", "退休", "学生", "自由职业", "无业"]
OCC = {name: i for i, name in enumerate(OCCUPATIONS)}
#: Occupations paid a salary through payroll (代发工资).
SALARIED = np.array([OCC[o] for o in ("公务员", "教师", "工人", "企业职员", "医生")])
#: Employer's industry shown for individuals, by occupation (None: not shown).
OCC_INDUSTRY: dict[str, str | None] = {
    "农民": "农、林、牧、渔业", "个体工商户": "批发和零售业", "公务员": "公共管理、社会保障和社会组织",
    "教师": "教育", "工人": "制造业", "企业职员": "批发和零售业", "医生": "卫生和社会工作",
    "退休": None, "学生": None, "自由职业": "居民服务、修理和其他服务业", "无业": None,
}
#: Effect of the occupation on log AUM (个体工商户 and civil servants save more, students little).
OCC_AUM = np.array([-0.15, 0.55, 0.45, 0.3, -0.1, 0.15, 0.5, 0.35, -1.6, 0.0, -0.6])
#: Monthly take-home pay in yuan (low, high) for salaried occupations.
OCC_INCOME = {"公务员": (5_500, 9_500), "教师": (4_800, 8_000), "工人": (3_200, 6_000),
              "企业职员": (3_500, 8_500), "医生": (6_500, 12_000)}

PATTERNS = ["new", "growing", "stable", "declining", "dormant", "lost"]
NEW, GROWING, STABLE, DECLINING, DORMANT, LOST = range(6)
PATTERN_P_IND = [0.05, 0.12, 0.58, 0.08, 0.13, 0.04]
PATTERN_P_CORP = [0.05, 0.15, 0.61, 0.10, 0.05, 0.04]
KYC_CODES = ["low", "medium", "high"]
#: Lost customers close everything; keep big depositors out of it so their exits are cases, not noise.
LOST_MAX_AUM = 300_000.0


@dataclass
class Customers:
    """One chunk of customers as parallel numpy arrays (index ``i`` = one customer)."""

    chunk: int
    first: int  # global index of the first customer
    n: int
    corporate: np.ndarray
    outlet: np.ndarray
    sub: np.ndarray
    urban: np.ndarray
    age: np.ndarray  # years at as_of; -1 for corporates
    male: np.ndarray
    birth_day: np.ndarray
    occupation: np.ndarray  # index into OCCUPATIONS, -1 for corporates
    industry: list[str | None]
    salaried: np.ndarray
    retired: np.ndarray
    income: np.ndarray  # monthly salary / pension / turnover scale, yuan
    grid: np.ndarray  # -1: none
    open_day: np.ndarray
    aum: np.ndarray  # latent AUM level (corporates: deposit level), yuan
    pattern: np.ndarray
    activity: np.ndarray  # transaction-rate multiplier (0 for dormant)
    kyc: np.ndarray
    risk_tolerance: np.ndarray  # 1..5
    close_day: np.ndarray  # lost customers: day every account closes; others: huge
    growth: np.ndarray
    decline_to: np.ndarray
    name: list[str]
    region: list[str]
    manager: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Set by cases / campaign: customers whose state must not be changed again.
    reserved: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def ids(self) -> pa.Array:
        return customer_ids(self.first + np.arange(self.n))


def customer_ids(global_index: np.ndarray) -> pa.Array:
    return ids("C", global_index + 1, 9)


_AGES = np.arange(18, 91)


def _age_p(shift: float) -> np.ndarray:
    # Working-age bulk with a long older tail; rural counties are older (young people migrate out).
    p = np.exp(-0.5 * ((_AGES - 44 - shift) / 16.5) ** 2) + 0.25 * np.exp(-0.5 * ((_AGES - 68 - shift) / 8) ** 2)
    return p / p.sum()


def generate(rng: np.random.Generator, org: Org, cal: Calendar, chunk: int, first: int, n: int) -> Customers:
    as_of = cal.as_of_day
    corporate = rng.random(n) < 0.05
    outlet = rng.choice(org.n_outlets, size=n, p=org.outlet_weight)
    sub = org.outlet_sub[outlet]
    urban = org.sub_urban[sub]
    ind = ~corporate

    age = np.where(urban, rng.choice(_AGES, size=n, p=_age_p(-3)), rng.choice(_AGES, size=n, p=_age_p(4)))
    age = np.where(ind, age, -1)
    male = rng.random(n) < 0.51
    birth_day = np.where(ind, as_of - age * 365 - rng.integers(0, 365, size=n) - age // 4, 0)

    occupation = _occupations(rng, age, urban, ind)
    salaried = np.isin(occupation, SALARIED) & (rng.random(n) < 0.8)
    retired = (occupation == OCC["退休"]) | ((occupation == OCC["农民"]) & (age >= 60))
    income = np.zeros(n)
    for occ, (lo, hi) in OCC_INCOME.items():
        m = occupation == OCC[occ]
        income[m] = rng.uniform(lo, hi, size=m.sum())
    pens_urban = occupation == OCC["退休"]
    income[pens_urban] = rng.uniform(2_400, 5_500, size=pens_urban.sum())
    pens_rural = (occupation == OCC["农民"]) & (age >= 60)
    income[pens_rural] = rng.uniform(160, 320, size=pens_rural.sum())  # 城乡居民基础养老金

    industry_idx = np.where(corporate, rng.choice(len(names.INDUSTRY_NAMES), size=n, p=names.INDUSTRY_P), -1)
    industry: list[str | None] = [
        names.INDUSTRY_NAMES[industry_idx[i]] if corporate[i] else OCC_INDUSTRY[OCCUPATIONS[occupation[i]]]
        for i in range(n)
    ]

    # --- AUM level: lognormal body, Pareto tail -----------------------------------------------
    mu = np.log(11_000) + 0.018 * np.clip(np.where(ind, age, 45) - 40, -20, 25) + 0.3 * urban
    mu = mu + np.where(ind, OCC_AUM[np.maximum(occupation, 0)], 0.0)
    aum = np.exp(mu + 1.55 * rng.standard_normal(n))
    tail = rng.random(n) < 0.01  # a thin Pareto tail: business owners, land compensation, …
    aum = np.where(tail & ind, aum * (1 + rng.pareto(1.3, size=n) * 8), aum)
    corp_dep = np.exp(np.log(260_000) + 1.85 * rng.standard_normal(n))
    aum = np.where(corporate, corp_dep, aum)
    aum = np.clip(aum, 50, 300_000_000)
    # Always a few private-banking (私行) customers, also in small banks.
    _ensure_top(rng, aum, ind, floor=6_500_000, top=30_000_000, k=max(1, round(n * 0.0004)))
    _ensure_top(rng, aum, corporate, floor=11_000_000, top=60_000_000, k=max(1, round(n * 0.0005)))

    # --- lifecycle ------------------------------------------------------------------------------
    pattern = np.where(
        corporate,
        rng.choice(6, size=n, p=PATTERN_P_CORP),
        rng.choice(6, size=n, p=PATTERN_P_IND),
    )
    tenure_years = rng.exponential(9.0, size=n)
    max_years = np.where(ind, np.maximum(age - 17, 0.6), 30)
    tenure_years = np.minimum(tenure_years, max_years) + rng.random(n) * 0.5
    open_day = as_of - (tenure_years * 365.25).astype(np.int64) - 183
    new = pattern == NEW
    open_day[new] = as_of - rng.integers(5, 182, size=new.sum())
    min_open = np.where(ind, birth_day + 16 * 365 + 5, as_of - 40 * 365)
    open_day = np.clip(np.maximum(open_day, min_open), None, as_of - 1)
    # Patterns that need history fall back to stable when the history is not there.
    pattern[(pattern == DORMANT) & (open_day > as_of - 400)] = STABLE
    pattern[(pattern == DECLINING) & ((cal.months < 4) | (open_day > cal.month_start[-4 if cal.months >= 4 else 0]))] = STABLE
    pattern[(pattern == LOST) & (aum > LOST_MAX_AUM)] = STABLE
    close_day = np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    lost = pattern == LOST
    leave_from = np.maximum(cal.window_start + 20, open_day + 60)
    ok = lost & (leave_from < as_of - 10)
    pattern[lost & ~ok] = STABLE
    close_day[ok] = leave_from[ok] + (rng.random(ok.sum()) * (as_of - 10 - leave_from[ok])).astype(np.int64)
    pattern[(pattern != NEW) & (open_day >= as_of - 182)] = NEW

    growth = np.where(pattern == GROWING, rng.uniform(0.03, 0.07, size=n), 0.0)
    decline_to = np.where(pattern == DECLINING, rng.uniform(0.4, 0.62, size=n), 1.0)
    # large depositors run their money down gradually (≥ 30 % over three months, never a sudden drop)
    big = (pattern == DECLINING) & (aum >= LOST_MAX_AUM)
    decline_to[big] = rng.uniform(0.62, 0.69, size=big.sum())
    dormant = pattern == DORMANT
    aum[dormant] = np.minimum(aum[dormant], rng.lognormal(np.log(3_000), 1.2, size=dormant.sum()))

    activity = rng.lognormal(0.0, 0.75, size=n) * np.where(ind, 1.0 + 0.012 * (50 - np.clip(age, 18, 90)), 1.0)
    activity *= np.where(urban, 1.15, 0.9)
    activity = np.where(dormant, 0.0, np.maximum(activity, 0.05))

    kyc_score = rng.random(n) + 0.08 * (occupation == OCC["个体工商户"]) + 0.06 * (aum > 1e6) + 0.1 * corporate
    kyc = np.digitize(kyc_score, [0.85, 0.985])
    tol = 3.2 - 0.035 * (np.where(ind, age, 45) - 40) + 0.25 * np.log10(aum / 20_000) + rng.normal(0, 0.8, size=n)
    risk_tolerance = np.clip(np.round(tol), 1, 5).astype(np.int64)

    grid = _grids(rng, org, sub, urban, corporate)
    name = _names(rng, org, male, corporate, industry_idx)
    region = _regions(rng, org, sub, urban, grid)

    return Customers(
        chunk=chunk, first=first, n=n, corporate=corporate, outlet=outlet, sub=sub, urban=urban, age=age,
        male=male, birth_day=birth_day, occupation=occupation, industry=industry, salaried=salaried,
        retired=retired, income=income, grid=grid, open_day=open_day, aum=aum, pattern=pattern,
        activity=activity, kyc=kyc, risk_tolerance=risk_tolerance, close_day=close_day, growth=growth,
        decline_to=decline_to, name=name, region=region, reserved=np.zeros(n, dtype=bool),
    )


def _ensure_top(rng: np.random.Generator, aum: np.ndarray, mask: np.ndarray, floor: float, top: float,
                k: int) -> None:
    have = int((aum[mask] >= floor).sum())
    if have >= k or not mask.any():
        return
    cand = np.flatnonzero(mask)
    pick = cand[np.argsort(-aum[cand], kind="stable")[: k - have]]
    aum[pick] = np.exp(rng.uniform(np.log(floor), np.log(top), size=pick.size))


def _occupations(rng: np.random.Generator, age: np.ndarray, urban: np.ndarray, ind: np.ndarray) -> np.ndarray:
    n = age.size
    work_urban = np.array([0.05, 0.18, 0.08, 0.06, 0.2, 0.29, 0.03, 0, 0, 0.08, 0.03])
    work_rural = np.array([0.45, 0.15, 0.03, 0.04, 0.2, 0.07, 0.01, 0, 0, 0.04, 0.01])
    occ = np.where(urban, rng.choice(11, size=n, p=work_urban / work_urban.sum()),
                   rng.choice(11, size=n, p=work_rural / work_rural.sum()))
    u = rng.random(n)
    student = (age < 23) & (u < np.where(age < 21, 0.75, 0.45))
    occ = np.where(student, OCC["学生"], occ)
    old_urban = (age >= 60) & urban
    occ = np.where(old_urban, np.where(u < 0.82, OCC["退休"], OCC["个体工商户"]), occ)
    old_rural = (age >= 60) & ~urban
    occ = np.where(old_rural, np.where(u < 0.62, OCC["农民"], np.where(u < 0.9, OCC["退休"], OCC["个体工商户"])), occ)
    return np.where(ind, occ, -1)


def _grids(rng: np.random.Generator, org: Org, sub: np.ndarray, urban: np.ndarray,
           corporate: np.ndarray) -> np.ndarray:
    """Most rural individuals belong to a village grid; fewer urban ones to a community grid."""
    n = sub.size
    grid = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    member = np.where(corporate, u < 0.5, np.where(urban, u < 0.45, u < 0.85))
    for k in np.unique(sub):
        in_sub = np.flatnonzero((sub == k) & member)
        cells = np.flatnonzero(org.grid_sub == k)
        if not cells.size or not in_sub.size:
            continue
        kinds = org.grid_kind[cells]
        people = cells[(kinds == GRID_KIND["village"]) | (kinds == GRID_KIND["community"])]
        firms = cells[(kinds == GRID_KIND["market"]) | (kinds == GRID_KIND["industrial_park"])]
        w_people = org.grid_households[people].astype(float) if people.size else None
        corp_here = corporate[in_sub]
        if people.size and w_people is not None:
            # some individuals are traders registered in the market grid
            pick = rng.choice(people, size=in_sub.size, p=w_people / w_people.sum())
            if firms.size:
                market_people = rng.random(in_sub.size) < 0.04
                pick = np.where(market_people, rng.choice(firms, size=in_sub.size), pick)
            grid[in_sub] = pick
        if firms.size:
            grid[in_sub[corp_here]] = rng.choice(firms, size=int(corp_here.sum()))
        elif people.size:
            grid[in_sub[corp_here]] = -1
    return grid


def _names(rng: np.random.Generator, org: Org, male: np.ndarray, corporate: np.ndarray,
           industry_idx: np.ndarray) -> list[str]:
    people = names.person_names(rng, male)
    firms = names.company_names(rng, org.county, industry_idx[corporate])
    it = iter(firms)
    return [next(it) if c else p for p, c in zip(people, corporate, strict=True)]


def _regions(rng: np.random.Generator, org: Org, sub: np.ndarray, urban: np.ndarray, grid: np.ndarray) -> list[str]:
    villages = names.village_names(rng, 64)
    streets = names.STREETS
    out = []
    r = rng.integers(0, 1 << 30, size=sub.size)
    for i in range(sub.size):
        town = org.towns[sub[i]]
        if grid[i] >= 0 and org.grid_kind[grid[i]] in (GRID_KIND["village"], GRID_KIND["community"]):
            place = org.grid_name[grid[i]]
            out.append(f"{org.county}{place}" if not urban[i] else f"{org.county}城区{place}")
        elif urban[i]:
            out.append(f"{org.county}城区{streets[r[i] % len(streets)]}")
        else:
            out.append(f"{org.county}{town}{villages[r[i] % len(villages)]}")
    return out


def assign_managers(cust: Customers, org: Org) -> None:
    """Customer managers take the most valuable customers first: per sub-branch the top 60 % by AUM
    (corporates count double) get one; grid members get their grid's manager."""
    n = cust.n
    manager = np.full(n, -1, dtype=np.int64)
    value = cust.aum * np.where(cust.corporate, 2.0, 1.0) * np.where(cust.pattern == LOST, 0.01, 1.0)
    for k in np.unique(cust.sub):
        members = np.flatnonzero(cust.sub == k)
        order = members[np.argsort(-value[members], kind="stable")]
        chosen = order[: int(np.ceil(order.size * 0.6))]
        cms = org.cm_idx[org.cm_ptr[k]: org.cm_ptr[k + 1]]
        manager[chosen] = cms[np.arange(chosen.size) % cms.size]
        in_grid = chosen[cust.grid[chosen] >= 0]
        manager[in_grid] = org.grid_manager[cust.grid[in_grid]]
    cust.manager = manager


def aum_paths(rng: np.random.Generator, cust: Customers, cal: Calendar) -> np.ndarray:
    """Latent month-end AUM level per customer and month (``n × months``), before accounts open/close."""
    m = cal.months
    t = np.arange(m) - (m - 1)  # 0 at the as_of month
    noise = np.cumsum(rng.normal(0, 0.025, size=(cust.n, m)), axis=1)
    noise -= noise[:, -1:]  # the level at as_of is the drawn level
    path = cust.aum[:, None] * np.exp(noise)
    grow = cust.pattern == GROWING
    path[grow] *= np.exp(cust.growth[grow, None] * t[None, :])
    dec = cust.pattern == DECLINING
    if dec.any() and m >= 4:
        # flat, then down to decline_to of the level over the last three months
        frac = np.clip((np.arange(m) - (m - 4)) / 3.0, 0, 1)
        level = cust.aum[dec, None] * np.exp(noise[dec] * 0.3)
        path[dec] = level * (1 - frac[None, :] * (1 - cust.decline_to[dec, None]))
    dorm = cust.pattern == DORMANT
    path[dorm] = cust.aum[dorm, None]
    return path


def table(cust: Customers, org: Org, risk_tolerance_null: np.ndarray, id_type: list[str],
          id_number: pa.Array, phone_null: np.ndarray, phone: pa.Array) -> dict[str, pa.Array]:
    ind = ~cust.corporate
    occ = np.where(ind, cust.occupation, -1)
    return {
        "customer_id": cust.ids,
        "kind": take(["individual", "corporate"], cust.corporate.astype(np.int64)),
        "name": pa.array(cust.name, pa.string()),
        "id_type": pa.array(id_type, pa.string()),
        "id_number": id_number,
        "phone": pa.array(phone.to_numpy(zero_copy_only=False), pa.string(), mask=phone_null),
        "gender": take(["F", "M"], np.where(ind, cust.male.astype(np.int64), -1)),
        "birth_date": dates(cust.birth_day, null=cust.corporate),
        "occupation": take(OCCUPATIONS, occ),
        "industry": pa.array(cust.industry, pa.string()),
        "region": pa.array(cust.region, pa.string()),
        "open_date": dates(cust.open_day),
        "branch_id": take(org.branch_id, org.outlet_row[cust.outlet]),
        "grid_id": take(org.grid_id, cust.grid),
        "manager_id": take(org.staff_id, cust.manager),
        "kyc_risk_level": take(KYC_CODES, cust.kyc),
        "risk_tolerance": pa.array(cust.risk_tolerance, pa.int64(), mask=risk_tolerance_null | cust.corporate),
    }


def identity_columns(rng: np.random.Generator, cust: Customers, org: Org) -> tuple[list[str], pa.Array,
                                                                                  np.ndarray, pa.Array]:
    """id_type, id_number (resident IDs with valid check digits; USCC for companies) and phones."""
    n = cust.n
    other_county = rng.random(n) < 0.1
    region_codes = np.where(other_county, rng.choice(COUNTY_CODES, size=n), org.region_code)
    seq = rng.integers(0, 500, size=n)
    rid = resident_ids(region_codes, yyyymmdd(cust.birth_day), seq, cust.male).to_pylist()
    corp_codes = iter(uscc(org.region_code, rng, int(cust.corporate.sum())))
    u = rng.random(n)
    id_type: list[str] = []
    id_number: list[str] = []
    for i in range(n):
        if cust.corporate[i]:
            id_type.append("uscc")
            id_number.append(next(corp_codes))
        elif u[i] < 0.002:
            id_type.append("hk_macau_permit")
            id_number.append(f"H{cust.first + i:08d}"[-9:])
        elif u[i] < 0.003:
            id_type.append("passport")
            id_number.append(f"E{cust.first + i:08d}"[-9:])
        else:
            id_type.append("resident_id")
            id_number.append(rid[i])
    phone_null = rng.random(n) < np.where(cust.corporate, 0.15, np.where(cust.age >= 75, 0.2, 0.03))
    phone = mobiles(rng, n)
    return id_type, pa.array(id_number, pa.string()), phone_null, phone
