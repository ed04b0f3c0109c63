"""A tiny clean bank in the contract's CSV format, for ingest tests to corrupt."""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADERS = {
    "branches": ["branch_id", "name", "parent_id", "level", "region"],
    "products": ["product_code", "name", "category", "risk_level"],
    "customers": ["customer_id", "kind", "name", "gender", "birth_date", "open_date", "branch_id", "risk_tolerance"],
    "accounts": ["account_id", "customer_id", "product_code", "open_date", "close_date", "status", "branch_id",
                 "currency"],
    "account_month": ["account_id", "month", "end_balance", "avg_daily_balance"],
}


def clean_bank(n_customers: int = 8, months: tuple[str, ...] = ("2026-07", "2026-08")) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {
        "branches": [
            {"branch_id": "HO", "name": "总行", "parent_id": "", "level": "head_office", "region": "城关镇"},
            {"branch_id": "B1", "name": "城关支行", "parent_id": "HO", "level": "sub_branch", "region": "城关镇"},
            {"branch_id": "B2", "name": "河西支行", "parent_id": "HO", "level": "sub_branch", "region": "河西乡"},
        ],
        "products": [
            {"product_code": "DD", "name": "活期储蓄", "category": "deposit", "risk_level": ""},
            {"product_code": "W1", "name": "稳利理财", "category": "wealth", "risk_level": "2"},
        ],
        "customers": [],
        "accounts": [],
        "account_month": [],
    }
    for i in range(n_customers):
        cid = f"C{i:04d}"
        rows["customers"].append(
            {"customer_id": cid, "kind": "individual", "name": f"客户{i}", "gender": "MF"[i % 2],
             "birth_date": f"19{60 + i % 40}-0{1 + i % 9}-1{i % 10}", "open_date": "2020-03-0" + str(1 + i % 9),
             "branch_id": "B1" if i % 2 else "B2", "risk_tolerance": str(1 + i % 5)}
        )
        for p in ("DD", "W1") if i % 3 == 0 else ("DD",):
            aid = f"A{i:04d}{p}"
            rows["accounts"].append(
                {"account_id": aid, "customer_id": cid, "product_code": p, "open_date": "2021-01-15",
                 "close_date": "", "status": "active", "branch_id": "B1", "currency": "CNY"}
            )
            for k, m in enumerate(months):
                rows["account_month"].append(
                    {"account_id": aid, "month": m, "end_balance": f"{1000 * (i + 1) + k}.25",
                     "avg_daily_balance": f"{900 * (i + 1) + k}.50"}
                )
    return rows


def to_csv(rows: list[dict[str, str]], header: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_bank(folder: Path, bank: dict[str, list[dict[str, str]]], encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in bank.items():
        (folder / f"{name}.csv").write_bytes(to_csv(rows, HEADERS[name]).encode(encoding))
