"""The collections area's commands: assign the queue to collectors by the rules, list one's queue, show a loan."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from finecrm.cli.common import Home, Json, command_context, emit, out, requires

#: The strategy steps and channels as a CLI table shows them (both languages: the shell has no language setting).
STEPS = {"sms": "短信 SMS", "phone": "电话 phone", "letter_visit": "信函/上门 letter/visit", "legal": "诉讼/委外 legal",
         "letter": "信函 letter", "visit": "上门 visit"}

collections_app = typer.Typer(help="贷款催收 / collections: assign overdue loans to collectors, list the queue, show "
                                   "a loan's card.", no_args_is_help=True)


@collections_app.command("assign")
@requires("assign_collections")
def assign(home: Home = None, as_json: Json = False) -> None:
    """按规则分案 / Give the published queue's unassigned loans to collectors by the rules (collections.assignment);
    loans that left the queue are released. Also runs after every build (assignment.after_build)."""
    from finecrm.services.collections import assignment

    with command_context(home) as c:
        result = assignment.assign(c.session, c.serving, c.ws, actor=c.actor)
    if as_json:
        emit(True, result)
        return
    out.print(f"分案 assigned {result['assigned']} · 释放 released {result['ended']} · 未分配 unassigned "
              f"{result['unassigned']} · 催收员 collectors {result['collectors']}")


@collections_app.command("queue")
@requires("work_collections")
def queue(bucket: Annotated[str | None, typer.Option("--bucket", help="分段 / M1, M2, M3, M4+")] = None,
          page: Annotated[int, typer.Option("--page", min=1, max=100_000)] = 1,
          home: Home = None, as_json: Json = False) -> None:
    """我的催收队列 / The loans assigned to you (FINECRM_CLI_USER), by priority."""
    from finecrm.services.collections import queue as service

    with command_context(home) as c:
        result = service.list_queue(c.session, c.serving, c.ws, c.principal, bucket=bucket, page=page)
    if as_json:
        emit(True, result.to_dict())
        return
    table = Table("优先 #", "贷款 loan", "借款人 borrower", "逾期天数 dpd", "分段 bucket", "逾期金额 overdue",
                  "预期损失 expected loss", "下一步 next")
    for r in result.rows:
        table.add_row(str(r["priority_rank"]), r["loan_id"], r.get("name") or "", str(r["dpd"]), r["bucket"],
                      f"¥{r['overdue_amount']:,.2f}", f"¥{r['expected_loss']:,.2f}",
                      STEPS.get(r["next_action"], r["next_action"]))
    out.print(table)
    out.print(f"{result.total} 笔 loans")


@collections_app.command("loan")
@requires("work_collections")
def loan(loan_id: Annotated[str, typer.Argument(help="贷款编号 / the loan id")], home: Home = None,
         as_json: Json = False) -> None:
    """催收档案 / One loan of your queue: position, priority, contacts and promises (not yours: not found)."""
    from finecrm.services.collections import queue as service

    with command_context(home) as c:
        card = service.loan_card(c.session, c.serving, c.ws, c.principal, loan_id)
    if as_json:
        emit(True, card)
        return
    row = card["loan"]
    out.print(f"{row['loan_id']} · {row.get('name') or ''} · {row['bucket']} · 逾期 {row['dpd']} 天 days · "
              f"¥{row['overdue_amount']:,.2f}")
    out.print(row["priority_reason"])
    out.print(f"联系 contacts {len(card['contacts'])} · 承诺 promises {len(card['promises'])}")
