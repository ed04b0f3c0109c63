"""Terminal output of the access commands (users)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table as RichTable

from finecrm.cli.common import out


def print_users(rows: Sequence[Mapping[str, Any]]) -> None:
    table = RichTable("用户 user", "角色 role", "机构 branch", "工号 staff", "状态 status")
    for r in rows:
        table.add_row(r["username"], r["role"], str(r.get("branch_id") or ""), str(r.get("staff_id") or ""),
                      "active" if r.get("active") else "disabled")
    out.print(table)


def print_identity(doc: Mapping[str, Any]) -> None:
    branches = "全行 whole bank" if doc["branches"] is None else str(doc["branches"])
    out.print(f"用户 user: {doc['username']}  角色 role: {doc['role']}  机构 branch: {doc['branch_id'] or '-'}")
    out.print(f"范围 scope: {doc['scope']}  机构数 branches: {branches}  网格 grids: {doc['grids']}  "
              f"贷款 loans: {doc['loans']}")
    out.print("操作 actions: " + ", ".join(doc["actions"]))
