"""规则帮助 / the rule help: every column a segment or audience rule may name, operators, functions, examples."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from finecrm.authz import AUTHENTICATED, declare
from finecrm.services.customers import rule_help
from finecrm.services.customers.outputs import RuleHelp
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


# Any signed-in user: the help holds no customer data, and segment, audience and campaign forms link to it.
@router.get("/rules/help", include_in_schema=False)
@declare(AUTHENTICATED)
def help_page(ctx: C) -> Response:
    return ctx.render("customers/rules/help.html", h=rule_help.rule_help(ctx.serving))


@router.get("/api/rules/help", tags=["customers"])
@declare(AUTHENTICATED)
def help_api(ctx: C) -> RuleHelp:
    """The columns a segment or audience rule may name (Chinese name, type, example), the operators, the
    functions and worked examples."""
    return rule_help.rule_help(ctx.serving)
