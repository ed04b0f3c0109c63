"""Fixtures for the access-control tests: a small bank (branch tree, grids, customers, loans) in DuckDB."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from finecrm.authz import Principal, make_principal

# 总行 → 两家分行 → 各两家网点.  Head office → 2 branches → 2 outlets each.
BRANCHES: dict[str, str | None] = {
    "HO": None,
    "BR1": "HO",
    "BR2": "HO",
    "OUT11": "BR1",
    "OUT12": "BR1",
    "OUT21": "BR2",
    "OUT22": "BR2",
}

# grid_id → grid manager (staff_id)
GRIDS: dict[str, str | None] = {"G1": "S1", "G2": "S2", "G3": None}

# customer_id, kind, name, id_number, phone, branch_id, manager_id, grid_id
CUSTOMERS = [
    ("C01", "individual", "张三", "110101199001011234", "13812345678", "OUT11", "S1", "G1"),
    ("C02", "individual", "欧阳娜娜", "110101199202022345", "13900001111", "OUT11", "S1", None),
    ("C03", "corporate", "北京某某科技有限公司", "91110000MA01234567", "01088886666", "OUT11", "S2", "G1"),
    ("C04", "individual", "李四", "320102198503033456", "13700002222", "OUT12", "S2", "G2"),
    ("C05", "individual", "王五", "440301197704044567", "13600003333", "OUT12", None, "G1"),
    ("C06", "individual", "赵六", "510104196605055678", "13500004444", "BR1", "S3", None),
    ("C07", "corporate", "农家乐合作社", "93510000MA6789012X", "02866667777", "BR1", None, None),
    ("C08", "individual", "钱七", "330106199906066789", "13400005555", "OUT21", "S4", "G3"),
    ("C09", "individual", "孙八", None, None, "OUT21", "S4", None),
    ("C10", "individual", "周九", "350203200107077890", "13300006666", "OUT22", "S1", None),
    ("C11", "corporate", "某某", "91350200", "5551234", "BR2", None, "G2"),
    ("C12", "individual", "吴十", "120101198808088901", "13200007777", "HO", "S5", None),
    ("C13", "individual", "郑", "", "", None, None, None),
]
COLUMNS = ["customer_id", "kind", "name", "id_number", "phone", "branch_id", "manager_id", "grid_id"]

# loan_id → (customer_id); the loans table also carries the customer's branch and manager.
LOANS = {"L1": "C01", "L2": "C05", "L3": "C08", "L4": "C05", "L5": "C12"}


def customer_rows() -> list[dict[str, str | None]]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in CUSTOMERS]


def loan_rows() -> list[dict[str, str | None]]:
    by_id = {c["customer_id"]: c for c in customer_rows()}
    return [
        {
            "loan_id": loan,
            "customer_id": cust,
            "branch_id": by_id[cust]["branch_id"],
            "manager_id": by_id[cust]["manager_id"],
            "grid_id": by_id[cust]["grid_id"],
        }
        for loan, cust in LOANS.items()
    ]


def arrow(rows: list[dict[str, str | None]], columns: list[str]) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows], type=pa.string()) for c in columns})


@pytest.fixture(scope="session")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="session")
def customers(con):
    return con.create_table("authz_customers", arrow(customer_rows(), COLUMNS))


@pytest.fixture(scope="session")
def loans(con):
    rows = loan_rows()
    return con.create_table("authz_loans", arrow(rows, list(rows[0])))


def principals() -> dict[str, Principal]:
    """One principal per interesting case, built the way the service layer will build them."""

    def p(username: str, role: str, **kw) -> Principal:
        return make_principal(username, role, branches=BRANCHES, grids=GRIDS, **kw)

    return {
        "analyst": p("ana", "analyst"),
        "compliance": p("aml", "compliance_officer"),
        "admin": p("root", "admin"),
        "head_BR1": p("head1", "branch_head", branch_id="BR1", staff_id="S9"),
        "head_OUT21": p("head21", "branch_head", branch_id="OUT21"),
        "lobby_BR1": p("lobby1", "lobby_manager", branch_id="BR1"),
        "risk_HO": p("risk0", "risk_officer"),
        "risk_BR2": p("risk2", "risk_officer", branch_id="BR2"),
        "risk_given_OUT11": p("risk11", "risk_officer", branch_id="BR2", given_branches=["OUT11"]),
        "cm_S1": p("cm1", "customer_manager", branch_id="OUT11", staff_id="S1"),
        "cm_S3": p("cm3", "customer_manager", branch_id="BR1", staff_id="S3"),
        "cm_nostaff": p("cm0", "customer_manager", branch_id="BR1"),
        "collector": p(
            "col1", "collector", branch_id="BR1", staff_id="S7",
            assigned_loans={k: LOANS[k] for k in ("L1", "L2")},
        ),
    }


# Hand-computed from the tables above: which customers each principal may see.
EXPECTED_CUSTOMERS = {
    "analyst": {c[0] for c in CUSTOMERS},
    "compliance": {c[0] for c in CUSTOMERS},
    "admin": {c[0] for c in CUSTOMERS},
    "head_BR1": {"C01", "C02", "C03", "C04", "C05", "C06", "C07"},
    "head_OUT21": {"C08", "C09"},
    "lobby_BR1": {"C06", "C07"},  # own branch only, not the outlets below it
    "risk_HO": {c[0] for c in CUSTOMERS},
    "risk_BR2": {"C08", "C09", "C10", "C11"},
    "risk_given_OUT11": {"C01", "C02", "C03"},
    "cm_S1": {"C01", "C02", "C10", "C03", "C05"},  # managed by S1, plus grid G1 (C03, C05)
    "cm_S3": {"C06"},
    "cm_nostaff": set(),
    "collector": {"C01", "C05"},  # borrowers of L1 and L2
}

EXPECTED_LOANS = {
    "analyst": set(LOANS),
    "head_BR1": {"L1", "L2", "L4"},
    "cm_S1": {"L1", "L2", "L4"},  # C01 (own), C05 (grid G1)
    "lobby_BR1": set(),
    "risk_BR2": {"L3"},
    "collector": {"L1", "L2"},  # L4 is C05's too, but not assigned to this collector
}
