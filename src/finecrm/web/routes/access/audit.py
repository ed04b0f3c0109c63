"""审计日志 / browsing the audit log (compliance and administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.access import audit_log
from finecrm.services.access.outputs import AuditPage
from finecrm.web.deps import XLSX_RESPONSES, Ctx, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Text = Annotated[str | None, Query(max_length=100)]
Sort = Annotated[str, Query(max_length=20, pattern=r"^-?[a-z_]*$",
                            description="排序 / sort: at, actor, action, target; '-' first for descending")]


def _filters(actor: str | None, action: str | None, target: str | None, since: date | None,
             until: date | None) -> dict[str, Any]:
    return {"actor": actor or None, "action": action or None, "target": target or None, "since": since,
            "until": until}


@router.get("/audit", include_in_schema=False)
@declare("view_audit")
def audit_page(ctx: C, actor: Text = None, action: Text = None, target: Text = None, since: date | None = None,
               until: date | None = None, page: PageNo = 1, sort: Sort = "-at") -> Response:
    f = _filters(actor, action, target, since, until)
    result = audit_log.browse(ctx.db, ctx.me(), page=page, sort=sort or None, **f)
    query = urlencode({k: str(v) for k, v in f.items() if v})
    return ctx.render("access/audit/index.html", result=result, filters=f, actions=audit_log.actions_seen(ctx.db),
                      sort=sort or "-at", query=query)


def _form_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise audit_log.AuditQueryError(f"日期须如 2026-12-31 / a date such as 2026-12-31 is expected, got "
                                        f"{text[:20]!r}") from None


@router.post("/audit/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, actor: Annotated[str, Form(max_length=100)] = "",
                action: Annotated[str, Form(max_length=100)] = "", target: Annotated[str, Form(max_length=100)] = "",
                since: Annotated[str, Form(max_length=20)] = "", until: Annotated[str, Form(max_length=20)] = "",
                sort: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The log as the page filters and sorts it (every page) as an Excel file; the export is audited."""
    f = _filters(actor, action, target, _form_day(since), _form_day(until))
    content, _ = audit_log.export(ctx.db, ctx.me(), sort=sort or None, ip=ctx.ip, **f)
    return xlsx_download(ctx, content, "audit-log")


@router.get("/api/audit", tags=["audit"])
@declare("view_audit")
def audit_api(ctx: C, actor: Text = None, action: Text = None, target: Text = None, since: date | None = None,
              until: date | None = None, page: PageNo = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = audit_log.PAGE_SIZE, sort: Sort = "-at") -> AuditPage:
    """Audit events, newest first (or by `sort`), filtered by actor, action, target and date range."""
    f = _filters(actor, action, target, since, until)
    return audit_log.browse(ctx.db, ctx.me(), page=page, page_size=page_size, sort=sort or None, **f).to_dict()


@router.post("/api/audit/export", tags=["audit"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, actor: Text = None, action: Text = None, target: Text = None, since: date | None = None,
               until: date | None = None, sort: Sort = "-at") -> Response:
    """The events of the filter (as GET /api/audit, every page) as .xlsx; needs view_audit and export_list; the
    export is itself audited. CSRF token in X-CSRF-Token."""
    f = _filters(actor, action, target, since, until)
    content, _ = audit_log.export(ctx.db, ctx.me(), sort=sort or None, ip=ctx.ip, **f)
    return xlsx_download(ctx, content, "audit-log")
