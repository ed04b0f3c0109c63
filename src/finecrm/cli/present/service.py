"""Terminal output of the service-quality commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finecrm.cli.common import out


def print_escalation(run: Mapping[str, Any]) -> None:
    raised = run["escalated"]
    out.print(f"逾期待答复投诉 {run['checked']} 件，本次升级 {len(raised)} 件 / {run['checked']} overdue complaints "
              f"still to answer, {len(raised)} escalated now")
    for r in raised:
        who = "支行行长 branch head" if r["level"] == 1 else "总行 head office"
        out.print(f"  #{r['complaint_id']} → {who}")


def print_imported(n: int, overdue: int) -> None:
    out.print(f"导入投诉 {n} 件，其中已逾期 {overdue} 件 / {n} complaints imported, {overdue} already overdue")


def print_survey(row: Mapping[str, Any]) -> None:
    out.print(f"调查 #{row['id']}：样本 {row['sample_size']} 人，作答 {row['responded']} 人 / survey #{row['id']}: "
              f"{row['sample_size']} asked, {row['responded']} answered")
