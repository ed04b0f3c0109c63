"""The organisation: head office → sub-branches (支行) → outlets (网点), staff and grid cells.

These are the small dimension tables; they are built once per run (from their own seed stream)
and held in memory while the customer chunks are generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from finecrm.synth import names
from finecrm.synth.arrays import dates, ids, take
from finecrm.synth.calendar import to_days

#: Plausible county administrative codes (first six digits of local resident IDs).
COUNTY_CODES = [360722, 431124, 511623, 350627, 420528, 341822, 361124, 430626, 522327, 450123]
COUNTY_NAMES = ["丰源县", "青川县", "安平县", "永宁县", "石门县", "龙溪县", "桃源县", "宁远县", "金溪县", "清河县"]

ROLE_CODES = [
    "customer_manager", "lobby_manager", "branch_head", "operations_manager", "teller",
    "risk_officer", "collector", "compliance_officer", "analyst", "other",
]
ROLE = {code: i for i, code in enumerate(ROLE_CODES)}

GRID_KIND_CODES = ["village", "community", "market", "industrial_park"]
GRID_KIND = {code: i for i, code in enumerate(GRID_KIND_CODES)}
LEVEL_CODES = ["head_office", "branch", "sub_branch", "outlet"]

#: Customers per customer manager the bank staffs for (1 per ~400).
CUSTOMERS_PER_MANAGER = 400
CUSTOMERS_PER_SUB_BRANCH = 5_000


@dataclass
class Org:
    """Branches, staff and grids, with index arrays the customer generator looks things up in."""

    county: str
    bank_name: str
    region_code: int
    towns: list[str]
    # branches (row order = output order)
    branch_id: list[str]
    branch_name: list[str]
    branch_parent: list[str | None]
    branch_level: list[str]
    branch_region: list[str]
    # sub-branches: row in branches, urban flag, town
    sub_row: np.ndarray
    sub_urban: np.ndarray
    sub_weight: np.ndarray
    # outlets: row in branches, sub-branch index, share of the sub-branch's customers
    outlet_row: np.ndarray
    outlet_sub: np.ndarray
    outlet_weight: np.ndarray
    # staff
    staff_id: pa.Array
    staff_name: list[str]
    staff_branch: np.ndarray  # row in branches
    staff_role: np.ndarray  # index into ROLE_CODES
    staff_active: np.ndarray
    staff_hire_day: np.ndarray
    # lookups: tellers per outlet (flat, CSR), operations/lobby manager per outlet, managers per sub-branch
    teller_ptr: np.ndarray
    teller_idx: np.ndarray
    outlet_ops_manager: np.ndarray
    outlet_lobby_manager: np.ndarray
    cm_ptr: np.ndarray
    cm_idx: np.ndarray
    # grids
    grid_id: list[str]
    grid_name: list[str]
    grid_kind: np.ndarray
    grid_sub: np.ndarray
    grid_households: np.ndarray
    grid_manager: np.ndarray  # staff index

    @property
    def n_outlets(self) -> int:
        return int(self.outlet_row.size)

    def outlet_tellers(self, outlet: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A teller of each given outlet, chosen by the uniform draws ``u``."""
        start = self.teller_ptr[outlet]
        count = self.teller_ptr[outlet + 1] - start
        return self.teller_idx[start + np.minimum((u * count).astype(np.int64), count - 1)]

    def branches_table(self) -> dict[str, pa.Array]:
        return {
            "branch_id": pa.array(self.branch_id, pa.string()),
            "name": pa.array(self.branch_name, pa.string()),
            "parent_id": pa.array(self.branch_parent, pa.string()),
            "level": pa.array(self.branch_level, pa.string()),
            "region": pa.array(self.branch_region, pa.string()),
        }

    def staff_table(self) -> dict[str, pa.Array]:
        return {
            "staff_id": self.staff_id,
            "name": pa.array(self.staff_name, pa.string()),
            "branch_id": take(self.branch_id, self.staff_branch),
            "role": take(ROLE_CODES, self.staff_role),
            "active": pa.array(self.staff_active, pa.bool_()),
            "hire_date": dates(self.staff_hire_day),
        }

    def grids_table(self) -> dict[str, pa.Array]:
        return {
            "grid_id": pa.array(self.grid_id, pa.string()),
            "name": pa.array(self.grid_name, pa.string()),
            "kind": take(GRID_KIND_CODES, self.grid_kind),
            "branch_id": take(self.branch_id, self.sub_row[self.grid_sub]),
            "households": pa.array(self.grid_households, pa.int64()),
            "manager_id": take(self.staff_id, self.grid_manager),
        }


def build_org(rng: np.random.Generator, customers: int, as_of: dt.date) -> Org:
    """An organisation sized for ``customers`` customers."""
    county_i = int(rng.integers(len(COUNTY_NAMES)))
    county = COUNTY_NAMES[county_i]
    bank = f"{county[:-1]}农村商业银行"
    n_sub = max(3, round(customers / CUSTOMERS_PER_SUB_BRANCH))
    n_urban = max(1, round(n_sub * 0.25))
    towns = names.town_names(rng, n_sub - n_urban)
    sub_towns = [names.URBAN_SUB_BRANCHES[i % len(names.URBAN_SUB_BRANCHES)] + ("" if i < 10 else str(i // 10))
                 for i in range(n_urban)] + towns
    sub_urban = np.arange(n_sub) < n_urban
    # Urban sub-branches are bigger; the rest vary around the mean.
    sub_weight = rng.dirichlet(np.full(n_sub, 12.0)) * np.where(sub_urban, 1.6, 1.0)
    sub_weight /= sub_weight.sum()

    branch_id: list[str] = ["800000"]
    branch_name = [f"{bank}总行"]
    branch_parent: list[str | None] = [None]
    branch_level = ["head_office"]
    branch_region = [county]
    sub_row, outlet_row, outlet_sub, outlet_w = [], [], [], []
    for k in range(n_sub):
        sid = f"8{k + 1:03d}00"
        town = sub_towns[k]
        sub_row.append(len(branch_id))
        branch_id.append(sid)
        branch_name.append(f"{bank}{town}支行")
        branch_parent.append("800000")
        branch_level.append("sub_branch")
        branch_region.append(f"{county}{town}" if not sub_urban[k] else f"{county}城区")
        n_out = int(rng.integers(2, 4)) if sub_urban[k] else int(rng.integers(1, 3))
        w = rng.dirichlet(np.full(n_out, 6.0))
        w[0] += 0.3  # the sub-branch's own business hall (营业室) serves the most
        w /= w.sum()
        for j in range(n_out):
            outlet_row.append(len(branch_id))
            outlet_sub.append(k)
            outlet_w.append(sub_weight[k] * w[j])
            branch_id.append(f"8{k + 1:03d}{j + 1:02d}")
            if j == 0:
                branch_name.append(f"{bank}{town}支行营业室")
                branch_region.append(branch_region[sub_row[-1]])
            else:
                place = names.STREETS[int(rng.integers(len(names.STREETS)))] if sub_urban[k] else \
                    names.village_names(rng, 1)[0][:-1]
                branch_name.append(f"{bank}{town}{place}分理处")
                branch_region.append(branch_region[sub_row[-1]])
            branch_parent.append(sid)
            branch_level.append("outlet")

    outlet_row_a = np.array(outlet_row, dtype=np.int64)
    outlet_sub_a = np.array(outlet_sub, dtype=np.int64)
    outlet_weight = np.array(outlet_w)
    outlet_weight /= outlet_weight.sum()
    sub_row_a = np.array(sub_row, dtype=np.int64)

    # --- staff -------------------------------------------------------------------------------
    s_branch: list[int] = []
    s_role: list[int] = []
    s_active: list[bool] = []

    def add(branch_row: int, role: str, n: int = 1, active: bool = True) -> list[int]:
        first = len(s_branch)
        s_branch.extend([branch_row] * n)
        s_role.extend([ROLE[role]] * n)
        s_active.extend([active] * n)
        return list(range(first, first + n))

    for role, n in (("analyst", 3), ("compliance_officer", 3), ("risk_officer", 3),
                    ("collector", max(2, customers // 50_000)), ("other", 2)):
        add(0, role, n)
    cm_lists: list[list[int]] = []
    for k in range(n_sub):
        expected = customers * sub_weight[k]
        add(int(sub_row_a[k]), "branch_head")
        cm_lists.append(add(int(sub_row_a[k]), "customer_manager", max(1, round(expected / CUSTOMERS_PER_MANAGER))))
        if expected > 3_000:
            add(int(sub_row_a[k]), "risk_officer")
        if expected > 8_000:
            add(int(sub_row_a[k]), "collector")
    teller_lists: list[list[int]] = []
    ops, lobby = [], []
    for o in range(outlet_row_a.size):
        expected = customers * outlet_weight[o]
        row = int(outlet_row_a[o])
        ops.extend(add(row, "operations_manager"))
        lobby.extend(add(row, "lobby_manager"))
        teller_lists.append(add(row, "teller", max(2, round(expected / 1_500))))
        if rng.random() < 0.3:
            add(row, "teller", 1, active=False)  # left the bank; kept for history, never assigned
    n_staff = len(s_branch)
    male = rng.random(n_staff) < 0.45
    staff_name = names.person_names(rng, male)
    as_of_day = to_days(as_of)
    hire = as_of_day - rng.integers(180, 365 * 28, size=n_staff)
    staff_id = ids("1", np.arange(1, n_staff + 1), 5)

    teller_ptr = np.zeros(len(teller_lists) + 1, dtype=np.int64)
    teller_ptr[1:] = np.cumsum([len(t) for t in teller_lists])
    cm_ptr = np.zeros(n_sub + 1, dtype=np.int64)
    cm_ptr[1:] = np.cumsum([len(c) for c in cm_lists])

    # --- grids ---------------------------------------------------------------------------------
    g_name: list[str] = []
    g_kind: list[int] = []
    g_sub: list[int] = []
    g_house: list[int] = []
    g_mgr: list[int] = []
    for k in range(n_sub):
        expected = customers * sub_weight[k] * 0.95
        town = sub_towns[k]
        if sub_urban[k]:
            kinds = [("community", max(1, round(expected * 0.45 / 400)))]
            kinds += [("market", 1), ("industrial_park", 1)]
        else:
            kinds = [("village", max(2, round(expected * 0.85 / 300))), ("market", 1)]
            if rng.random() < 0.35:
                kinds.append(("industrial_park", 1))
        for kind, count in kinds:
            if kind == "village":
                labels = names.village_names(rng, count)
            elif kind == "community":
                labels = names.community_names(rng, count)
            elif kind == "market":
                labels = [f"{town}{'农贸市场' if not sub_urban[k] else '小商品市场'}"]
            else:
                labels = [f"{town}工业园区" if not sub_urban[k] else f"{county[:-1]}经济开发区"]
            for label in labels:
                cms = cm_lists[k]
                g_name.append(label if kind != "village" else f"{town}{label}")
                g_kind.append(GRID_KIND[kind])
                g_sub.append(k)
                base = {"village": (350, 1_400), "community": (800, 3_000), "market": (120, 600),
                        "industrial_park": (20, 150)}[kind]
                g_house.append(int(rng.integers(*base)))
                g_mgr.append(cms[len(g_mgr) % len(cms)])
    grid_id = [f"G{s + 1:03d}{i + 1:05d}" for i, s in enumerate(g_sub)]

    return Org(
        county=county,
        bank_name=bank,
        region_code=COUNTY_CODES[county_i],
        towns=sub_towns,
        branch_id=branch_id,
        branch_name=branch_name,
        branch_parent=branch_parent,
        branch_level=branch_level,
        branch_region=branch_region,
        sub_row=sub_row_a,
        sub_urban=sub_urban,
        sub_weight=sub_weight,
        outlet_row=outlet_row_a,
        outlet_sub=outlet_sub_a,
        outlet_weight=outlet_weight,
        staff_id=staff_id,
        staff_name=staff_name,
        staff_branch=np.array(s_branch, dtype=np.int64),
        staff_role=np.array(s_role, dtype=np.int64),
        staff_active=np.array(s_active, dtype=bool),
        staff_hire_day=hire,
        teller_ptr=teller_ptr,
        teller_idx=np.concatenate([np.array(t, dtype=np.int64) for t in teller_lists]),
        outlet_ops_manager=np.array(ops, dtype=np.int64),
        outlet_lobby_manager=np.array(lobby, dtype=np.int64),
        cm_ptr=cm_ptr,
        cm_idx=np.concatenate([np.array(c, dtype=np.int64) for c in cm_lists]),
        grid_id=grid_id,
        grid_name=g_name,
        grid_kind=np.array(g_kind, dtype=np.int64),
        grid_sub=np.array(g_sub, dtype=np.int64),
        grid_households=np.array(g_house, dtype=np.int64),
        grid_manager=np.array(g_mgr, dtype=np.int64),
    )
