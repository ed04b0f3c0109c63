"""审计日志 / browsing the audit log (compliance and administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.access import audit_log
from finecrm.services.access.outputs import AuditPage
from finecrm.web.deps import Ctx, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Text = Annotated[str | None, Query(max_length=100)]


def _filters(actor: str | None, action: str | None, target: str | None, since: date | None,
             until: date | None) -> dict[str, Any]:
    return {"actor": actor or None, "action": action or None, "target": target or None, "since": since,
            "until": until}


@router.get("/audit", include_in_schema=False)
@declare("view_audit")
def audit_page(ctx: C, actor: Text = None, action: Text = None, target: Text = None, since: date | None = None,
               until: date | None = None, page: PageNo = 1) -> Response:
    f = _filters(actor, action, target, since, until)
    result = audit_log.browse(ctx.db, ctx.me(), page=page, **f)
    return ctx.render("access/audit/index.html", result=result, filters=f, actions=audit_log.actions_seen(ctx.db))


@router.get("/api/audit", tags=["audit"])
@declare("view_audit")
def audit_api(ctx: C, actor: Text = None, action: Text = None, target: Text = None, since: date | None = None,
              until: date | None = None, page: PageNo = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = audit_log.PAGE_SIZE) -> AuditPage:
    """Audit events, newest first, filtered by actor, action, target and date range."""
    f = _filters(actor, action, target, since, until)
    return audit_log.browse(ctx.db, ctx.me(), page=page, page_size=page_size, **f).to_dict()
