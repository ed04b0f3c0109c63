"""A campaign's members as a principal sees them: who is in scope, and the members counted.

A member carries the branch, manager and grid it had when the list was drawn, so a branch head keeps seeing
the members of their branch even after a customer moves on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ibis
from sqlalchemy.orm import Session

from finecrm.authz import Principal, customer_filter, customer_in_scope
from finecrm.db import repositories
from finecrm.db.models import CampaignMember
from finecrm.services.marketing.outputs import ArmCount, MemberCounts

TREATMENT = "treatment"
CONTROL = "control"
ARMS = {TREATMENT: ("处理组", "treatment"), CONTROL: ("对照组", "control")}

_MEMBER_SHAPE = ibis.table(
    {"customer_id": "string", "branch_id": "string", "manager_id": "string", "grid_id": "string"},
    name="campaign_members",
)


def sees_every_member(principal: Principal) -> bool:
    """True when the principal's scope does not restrict campaign members (analysts: the whole bank)."""
    return customer_filter(principal, _MEMBER_SHAPE) is None


def member_in_scope(principal: Principal, m: CampaignMember) -> bool:
    """Is member ``m`` in the principal's scope, by the branch, manager and grid it had when drawn?"""
    return customer_in_scope(principal, {"customer_id": m.customer_id, "branch_id": m.branch_id,
                                         "manager_id": m.manager_id, "grid_id": m.grid_id})


def scoped(principal: Principal, members: list[CampaignMember]) -> list[CampaignMember]:
    if sees_every_member(principal):
        return members
    return [m for m in members if member_in_scope(principal, m)]


def member_counts(members: list[CampaignMember]) -> MemberCounts:
    """Counts of a campaign's members (already scoped) by arm, stratum, assignee and outcome."""
    return _counted({"arm": m.arm, "stratum": m.stratum, "assigned_to": m.assigned_to, "outcome": m.outcome,
                     "members": 1, "converted": int(m.converted_on is not None)} for m in members)


def counts_in_scope(session: Session, principal: Principal, campaign_id: int) -> MemberCounts:
    """:func:`member_counts` of the members the principal sees; counted in SQL when that is all of them."""
    if not sees_every_member(principal):
        return member_counts(scoped(principal, repositories.list_campaign_members(session, campaign_id=campaign_id)))
    return _counted(repositories.campaign_member_counts(session, campaign_id=campaign_id,
                                                        by=("arm", "stratum", "assigned_to", "outcome")))


def _counted(groups: Iterable[dict[str, Any]]) -> MemberCounts:
    """Members by arm, stratum, assignee and outcome from groups of ``members`` with their ``converted``."""
    arms: dict[str, ArmCount] = {a: {"members": 0, "assigned": 0, "outcomes": 0, "converted": 0} for a in ARMS}
    strata: dict[str, dict[str, int]] = {}
    assignees: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for g in groups:
        n = int(g["members"])
        a = arms.setdefault(g["arm"], {"members": 0, "assigned": 0, "outcomes": 0, "converted": 0})
        a["members"] += n
        a["assigned"] += n if g["assigned_to"] is not None else 0
        a["outcomes"] += n if g["outcome"] is not None else 0
        a["converted"] += int(g["converted"])
        s = strata.setdefault(g["stratum"], {TREATMENT: 0, CONTROL: 0})
        s[g["arm"]] = s.get(g["arm"], 0) + n
        if g["assigned_to"] is not None:
            assignees[g["assigned_to"]] = assignees.get(g["assigned_to"], 0) + n
        if g["outcome"] is not None:
            outcomes[g["outcome"]] = outcomes.get(g["outcome"], 0) + n
    return {
        "members": sum(a["members"] for a in arms.values()),
        "arms": arms,
        "strata": [{"stratum": k, "treatment": v[TREATMENT], "control": v[CONTROL]} for k, v in sorted(strata.items())],
        "assignees": [{"staff_id": k, "members": v} for k, v in sorted(assignees.items())],
        "unassigned_treatment": arms[TREATMENT]["members"] - arms[TREATMENT]["assigned"],
        "outcomes": outcomes,
    }
