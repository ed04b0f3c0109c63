"""What a branch head sees of the managers' work, and the campaign work lists as Excel files.

**Progress per manager** (``manager_progress``): for one campaign or every campaign, each assigned manager by
name with the members assigned, contacted (an outcome other than unreachable), interested, converted (found in
the data, as the evaluation counts), due and overdue (``repositories.task_conditions``). Counted in SQL over the
members of the viewer's branches (the members' branch when drawn, as every campaign count): a branch head sees
the managers of their branch only; an analyst sees all.

**Exports** (``export_tasks``, ``export_members``): the rows of the list's own filter (all pages), names not
codes (campaign, branch, manager, product by name), customers' names and phones masked inside the query, at
most ``exports.MAX_EXPORT_ROWS``, audited (``export_list``) before the file is made.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core import formats
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.services.exports import MAX_EXPORT_ROWS, list_workbook
from finecrm.services.marketing.campaigns import (
    CHANNELS,
    CampaignError,
    customer_labels,
    day_of,
    filtered_members,
    load_campaign,
    member_row,
    require_any,
    talking_points_of,
)
from finecrm.services.marketing.members import sees_every_member
from finecrm.services.marketing.outputs import ManagerProgress
from finecrm.services.marketing.tasks import OUTCOMES, task_filters, task_state
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving


class ListTooLarge(FinecrmError):
    """A list longer than one export may hold."""


_STATES = {"due": "今日应办 due", "upcoming": "未到期 upcoming", "done": "已完成 done"}


def _branches(principal: Principal) -> frozenset[str] | None:
    """The branches whose members the principal sees; None: every branch."""
    if sees_every_member(principal):
        return None
    return principal.branch_scope or frozenset()


def manager_progress(session: Session, serving: Serving, principal: Principal, *, campaign_id: int | None = None,
                     today: date | None = None) -> list[ManagerProgress]:
    """Each assigned manager's progress in the principal's scope, by name, most overdue first."""
    require_any(principal, "manage_campaigns", "assign_customers")
    if campaign_id is not None:
        load_campaign(session, campaign_id)
    names = load_names(serving.ws)
    rows = repositories.manager_progress(session, campaign_id=campaign_id, today=today or formats.today(serving.ws.settings.bank.timezone),
                                         branch_ids=_branches(principal))
    out: list[ManagerProgress] = [{
        "staff_id": str(r["staff_id"]), "name": names.of("staff", r["staff_id"]), "assigned": int(r["assigned"]),
        "contacted": int(r["contacted"]), "interested": int(r["interested"]), "converted": int(r["converted"]),
        "due": int(r["due"]), "overdue": int(r["overdue"])} for r in rows]
    return sorted(out, key=lambda p: (-p["overdue"], -p["due"], p["staff_id"]))


def _too_many(n: int) -> None:
    if n > MAX_EXPORT_ROWS:
        raise ListTooLarge(f"一次最多导出 {MAX_EXPORT_ROWS:,} 行，当前 {n:,} 行，请缩小范围 / at most {MAX_EXPORT_ROWS:,} "
                           f"rows per export; this list has {n:,}: narrow it")


TASK_COLUMNS = ("活动 campaign", "客户号 customer id", "姓名 name", "手机号 phone", "机构 branch", "客户经理 manager",
                "产品 product", "渠道 channel", "活动开始 start", "活动结束 end", "状态 state", "应办日期 due on",
                "结果 outcome", "跟进日期 follow-up on")


def export_tasks(session: Session, serving: Serving, principal: Principal, *, campaign_id: int | None = None,
                 status: str | None = None, due_by: date | None = None, sort: str | None = None,
                 today: date | None = None, ip: str | None = None) -> tuple[bytes, int]:
    """The principal's tasks of the list's filter (every page) as a workbook: masked, named, audited."""
    require(principal, "view_own_tasks")
    require(principal, "export_list")
    filters, key = task_filters(status, sort)
    day = today or formats.today(serving.ws.settings.bank.timezone)
    if principal.staff_id is None:
        rows: list[Any] = []
    else:
        rows, n = repositories.list_tasks(session, staff_id=principal.staff_id, campaign_id=campaign_id,
                                          due_by=due_by, today=day, sort=key, limit=MAX_EXPORT_ROWS + 1,
                                          **filters)
        _too_many(n)
    labels = customer_labels(serving, principal, [m.customer_id for m, _ in rows])
    names = load_names(serving.ws)
    out = []
    for m, c in rows:
        state, due_on = task_state(m, c, day)
        label = labels.get(m.customer_id) or {}
        product = talking_points_of(m).get("product_name")
        out.append(dict(zip(TASK_COLUMNS, (
            c.name, m.customer_id, label.get("name"), label.get("phone"), names.of("branch", m.branch_id) or m.branch_id,
            names.of("staff", m.assigned_to) or m.assigned_to, product, " ".join(CHANNELS.get(c.channel, (c.channel,))),
            day_of(c.start_date), day_of(c.end_date), _STATES[state], due_on,
            " ".join(OUTCOMES[m.outcome]) if m.outcome in OUTCOMES else None, m.follow_up_on), strict=True)))
    filters_audited = {"campaign_id": campaign_id, "status": status or None, "due_by": due_by.isoformat()
                       if due_by else None, "sort": key}
    repositories.record_audit(session, actor=principal.username, action="export_list", target="tasks",
                              details={**filters_audited, "rows": len(out), "columns": list(TASK_COLUMNS),
                                       "masked": True, "ip": ip, "snapshot": serving.build_id})
    content = list_workbook("我的任务 tasks", TASK_COLUMNS, out, build_id=serving.build_id,
                            exported_by=principal.username,
                            about=[["筛选 filter", str({k: v for k, v in filters_audited.items() if v})]])
    return content, len(out)


MEMBER_COLUMNS = ("活动 campaign", "客户号 customer id", "姓名 name", "手机号 phone", "组别 arm", "层级 tier",
                  "机构 branch", "管户经理 customer's manager", "倾向分 score", "十分位 decile",
                  "负责客户经理 assigned to", "结果 outcome", "跟进日期 follow-up on", "成交日期 converted on")


def export_members(session: Session, serving: Serving, principal: Principal, campaign_id: int, *,
                   arm: str | None = None, assigned_to: str | None = None, outcome: str | None = None,
                   sort: str | None = None, ip: str | None = None) -> tuple[bytes, int]:
    """A campaign's members of the list's filter (every page, in the principal's scope) as a workbook."""
    require(principal, "export_list")
    c = load_campaign(session, campaign_id)
    members = filtered_members(session, principal, campaign_id, arm=arm, assigned_to=assigned_to, outcome=outcome,
                               sort=sort)
    _too_many(len(members))
    labels = customer_labels(serving, principal, [m.customer_id for m in members])
    rows = [member_row(m, labels.get(m.customer_id)) for m in members]
    names = load_names(serving.ws)
    arms = {"treatment": "营销组 treatment", "control": "对照组 control"}
    out = [dict(zip(MEMBER_COLUMNS, (
        c.name, r["customer_id"], r["name"], r["phone"], arms.get(r["arm"], r["arm"]), r["stratum"],
        names.of("branch", r["branch_id"]) or r["branch_id"], names.of("staff", r["manager_id"]) or r["manager_id"],
        r["score"], r["decile"], names.of("staff", r["assigned_to"]) or r["assigned_to"],
        " ".join(OUTCOMES[r["outcome"]]) if r["outcome"] in OUTCOMES else None, r.get("follow_up_on"),
        r["converted_on"]), strict=True)) for r in rows]
    details = {"campaign_id": c.id, "arm": arm, "assigned_to": assigned_to, "outcome": outcome, "sort": sort}
    repositories.record_audit(session, actor=principal.username, action="export_list", target=f"campaign:{c.id}:members",
                              details={**details, "rows": len(out), "columns": list(MEMBER_COLUMNS), "masked": True,
                                       "ip": ip, "snapshot": serving.build_id})
    content = list_workbook("活动客户 members", MEMBER_COLUMNS, out, build_id=serving.build_id,
                            exported_by=principal.username,
                            about=[["营销活动 campaign", c.name],
                                   ["筛选 filter", str({k: v for k, v in details.items() if v and k != "campaign_id"})]])
    return content, len(out)


__all__ = ["CampaignError", "ListTooLarge", "export_members", "export_tasks", "manager_progress"]
