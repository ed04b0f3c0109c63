"""Assignment to managers, branch-head reassignment, the managers' task lists and recorded outcomes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from finecrm.authz import Forbidden, NotFound, branch_subtree, make_principal
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.services.marketing import campaigns, members
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.marketing.campaigns import CampaignError
from finecrm.services.marketing.inputs import CampaignSpec
from finecrm.services.snapshot.serving import Serving
from tests.services.campaigns.bank import raw

START, END = date(2026, 4, 1), date(2026, 4, 30)


def _with_capacity(ws: Workspace, capacity: int) -> Serving:
    """The same workspace with another marketing.capacity_per_manager (as if finecrm.yaml said so)."""
    m = ws.settings.marketing.model_copy(update={"capacity_per_manager": capacity})
    return Serving(Workspace(ws.home, ws.settings.model_copy(update={"marketing": m})))


def _staff(bank):
    return {r[0]: {"branch_id": r[1], "role": r[2], "active": r[3]} for r in
            raw(bank.late, "staff").select("staff_id, branch_id, role, active").fetchall()}


def _draw(s, bank, name="cards", **kw):
    args = {"target": "credit_card", "channel": "phone", "start_date": START, "end_date": END} | kw
    return campaigns.create_campaign(s, bank.serving("early"), bank.analyst(), CampaignSpec(name=name, **args))


def _members(s, c):
    return repositories.list_campaign_members(s, campaign_id=c["id"])


def test_own_manager_first_then_grid_manager_within_capacity(campaign_bank, campaign_db):
    cap = 25
    serving = _with_capacity(campaign_bank.early, cap)
    people = _staff(campaign_bank)
    grids = campaign_bank.grids

    def can_take(sid):
        p = people.get(sid)
        return p is not None and p["active"] and p["role"] == "customer_manager"

    with campaign_db() as s, s.begin():
        c = _draw(s, campaign_bank)
        result = campaign_tasks.assign_campaign(s, serving, campaign_bank.analyst(), c["id"])
        members = _members(s, c)
        again = campaign_tasks.assign_campaign(s, serving, campaign_bank.analyst(), c["id"])
    load: dict[str, int] = {}
    for m in members:
        if m.assigned_to:
            load[m.assigned_to] = load.get(m.assigned_to, 0) + 1
    assert load and max(load.values()) <= cap
    assert all(can_take(sid) for sid in load)
    assert all(m.assigned_to is None for m in members if m.arm == "control")  # the control group is never worked
    treated = [m for m in members if m.arm == "treatment"]
    own = grid = left = 0
    for m in treated:
        own_ok = bool(m.manager_id) and can_take(m.manager_id)
        grid_mgr = grids.get(m.grid_id) if m.grid_id else None
        grid_ok = bool(grid_mgr) and can_take(grid_mgr)
        if m.assigned_to is None:
            left += 1
            # nobody able, or everybody able already full
            assert not own_ok or load[m.manager_id] == cap
            assert not grid_ok or load[grid_mgr] == cap
        elif m.assigned_to == m.manager_id:
            own += 1
        else:
            grid += 1
            assert m.assigned_to == grid_mgr
            assert not own_ok or load[m.manager_id] == cap  # the own manager came first
    assert (result["assigned"], result["own_manager"], result["grid_manager"], result["unassigned"]) == (
        own + grid, own, grid, left)
    assert own > 0 and grid > 0 and left > 0  # the bank is big enough to exercise all three paths
    assert again["assigned"] == 0 and again["unassigned"] == left  # idempotent: nothing moves twice


def test_assignment_is_audited_and_sets_the_status(campaign_bank, sqlite_db):
    with sqlite_db() as s, s.begin():
        c = _draw(s, campaign_bank)
        r = campaign_tasks.assign_campaign(s, campaign_bank.serving("early"), campaign_bank.analyst(), c["id"])
        events = repositories.list_audit(s, action="campaign_assign")
        status = repositories.get_campaign(s, campaign_id=c["id"]).status
    assert status == "assigned"
    assert events[0].target == f"campaign:{c['id']}" and events[0].details["assigned"] == r["assigned"] > 0
    assert sum(events[0].details["per_staff"].values()) == r["assigned"]


def _head_and_staff(bank):
    people = _staff(bank)
    heads = sorted(sid for sid, p in people.items() if p["role"] == "branch_head")
    head = heads[0]
    branch = people[head]["branch_id"]
    subtree = branch_subtree(branch, bank.branches)
    mine = sorted(sid for sid, p in people.items() if p["role"] == "customer_manager" and p["active"]
                  and p["branch_id"] in subtree)
    others = sorted(sid for sid, p in people.items() if p["role"] == "customer_manager" and p["active"]
                    and p["branch_id"] not in subtree)
    return bank.branch_head(branch, head), subtree, mine, others


def test_branch_heads_reassign_inside_their_branch_only(campaign_bank, campaign_db):
    head, subtree, mine, others = _head_and_staff(campaign_bank)
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _draw(s, campaign_bank)
        campaign_tasks.assign_campaign(s, serving, campaign_bank.analyst(), c["id"])
        members = _members(s, c)
        inside = [m for m in members if m.arm == "treatment" and m.branch_id in subtree and m.assigned_to != mine[0]]
        outside = next(m for m in members if m.arm == "treatment" and m.branch_id not in subtree)
        control = next(m for m in members if m.arm == "control" and m.branch_id in subtree)
        before = {m.customer_id: m.assigned_to for m in inside[:3]}

        result = campaign_tasks.reassign_members(s, serving, head, c["id"], customer_ids=list(before),
                                                 to_staff_id=mine[0], reason="熟悉客户 knows them")
        assert result["moved"] == 3
        after = {m.customer_id: m.assigned_to for m in _members(s, c)}
        assert all(after[cid] == mine[0] for cid in before)

        with pytest.raises(NotFound):  # a member of another branch: not found, as if it did not exist
            campaign_tasks.reassign_members(s, serving, head, c["id"], customer_ids=[outside.customer_id],
                                            to_staff_id=mine[0])
        with pytest.raises(NotFound):  # a manager of another branch
            campaign_tasks.reassign_members(s, serving, head, c["id"], customer_ids=list(before)[:1],
                                            to_staff_id=others[0])
        with pytest.raises(NotFound):  # not a member at all
            campaign_tasks.reassign_members(s, serving, head, c["id"], customer_ids=["C999999999"],
                                            to_staff_id=mine[0])
        with pytest.raises(CampaignError, match="control"):
            campaign_tasks.reassign_members(s, serving, head, c["id"], customer_ids=[control.customer_id],
                                            to_staff_id=mine[0])
        with pytest.raises(Forbidden):  # analysts plan campaigns; branch heads hand out work
            campaign_tasks.reassign_members(s, serving, campaign_bank.analyst(), c["id"],
                                            customer_ids=list(before)[:1], to_staff_id=mine[0])
        assert {m.customer_id: m.assigned_to for m in _members(s, c)} == after  # refusals changed nothing
        staff_list = campaign_tasks.assignable_staff(serving, head, campaign_id=c["id"], session=s)
        events = repositories.list_audit(s, action="campaign_reassign")
    assert [p["staff_id"] for p in staff_list] == mine
    assert len(events) == 1 and events[0].details["moved"] == before and events[0].reason == "熟悉客户 knows them"


def _assigned(s, bank, c):
    campaign_tasks.assign_campaign(s, bank.serving("early"), bank.analyst(), c["id"])
    by: dict[str, list] = {}
    for m in _members(s, c):
        if m.assigned_to:
            by.setdefault(m.assigned_to, []).append(m)
    return by


def test_a_manager_sees_only_own_tasks_with_talking_points(campaign_bank, campaign_db):
    people = _staff(campaign_bank)
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _draw(s, campaign_bank)
        by = _assigned(s, campaign_bank, c)
        sid = max(by, key=lambda k: len(by[k]))
        me = campaign_bank.manager(sid, people[sid]["branch_id"])
        seen, page = [], 1
        while True:
            p = campaign_tasks.list_tasks(s, serving, me, page=page, page_size=25)
            seen += p.rows
            if page >= p.pages:
                break
            page += 1
        nobody = make_principal("nostaff", "customer_manager", branches=campaign_bank.branches, branch_id="800100")
        assert campaign_tasks.list_tasks(s, serving, nobody).total == 0
    assert sorted(r["customer_id"] for r in seen) == sorted(m.customer_id for m in by[sid])
    names = {r["customer_id"]: r["name"] for r in serving.sql("SELECT customer_id, name FROM customer_360")}
    product = raw(campaign_bank.late, "products").filter("product_code = 'CC01'").select("name").fetchall()[0][0]
    for r in seen:
        real = names[r["customer_id"]]
        assert r["name"] != real and r["name"][0] == real[0] and "*" in r["name"]  # masked like every list
        assert r["phone"] is None or "*" in r["phone"]
        assert r["product_name"] == product and r["channel"] == "phone"
        assert r["start_date"] == START and r["end_date"] == END
        text = " ".join(p["zh"] + p["en"] for p in r["talking_points"])
        assert product in text and "2026-04-01" in text and r["tier"] in text
        assert r["why"]["aum_band"] is not None  # managers may view balances: the band is shown


def test_outcomes_only_on_own_tasks_from_the_start(campaign_bank, campaign_db):
    people = _staff(campaign_bank)
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _draw(s, campaign_bank)
        by = _assigned(s, campaign_bank, c)
        sid, other = sorted(by, key=lambda k: -len(by[k]))[:2]
        me = campaign_bank.manager(sid, people[sid]["branch_id"])
        task = by[sid][0].customer_id
        control = next(m.customer_id for m in _members(s, c) if m.arm == "control")
        on = START + timedelta(days=3)

        r = campaign_tasks.record_outcome(s, me, c["id"], task, outcome="interested", note="想了解\n额度", today=on,
                                          follow_up_on=on + timedelta(days=7))
        assert r["previous"] is None
        r = campaign_tasks.record_outcome(s, me, c["id"], task, outcome="converted", today=END + timedelta(days=20))
        assert r["previous"] == "interested"  # later entries after the end are allowed
        stored = repositories.get_campaign_member(s, campaign_id=c["id"], customer_id=task)
        assert (stored.outcome, stored.outcome_by) == ("converted", me.username)

        for cid in (by[other][0].customer_id, control, "C999999999"):
            with pytest.raises(NotFound):
                campaign_tasks.record_outcome(s, me, c["id"], cid, outcome="contacted", today=on)
        with pytest.raises(CampaignError, match="starts on"):
            campaign_tasks.record_outcome(s, me, c["id"], task, outcome="contacted", today=START - timedelta(days=1))
        with pytest.raises(CampaignError, match="outcome must be one of"):
            campaign_tasks.record_outcome(s, me, c["id"], task, outcome="bought", today=on)
        with pytest.raises(CampaignError, match="at most 500"):
            campaign_tasks.record_outcome(s, me, c["id"], task, outcome="contacted", note="很" * 501, today=on)
        with pytest.raises(Forbidden):
            campaign_tasks.record_outcome(s, campaign_bank.analyst(), c["id"], task, outcome="contacted", today=on)

        done = campaign_tasks.list_tasks(s, serving, me, status="done")
        still = campaign_tasks.list_tasks(s, serving, me, status="open")
        events = repositories.list_audit(s, action="campaign_outcome")
    assert [t["customer_id"] for t in done.rows] == [task] and done.rows[0]["outcome"] == "converted"
    assert still.total == len(by[sid]) - 1
    assert [e.details["outcome"] for e in events] == ["converted", "interested"]  # newest first
    assert events[1].details["note_chars"] == len("想了解 额度") and "想了解" not in str(events[1].details)


def test_capacity_goes_to_the_highest_propensities_first(campaign_bank, sqlite_db):
    serving = _with_capacity(campaign_bank.early, 10)
    with sqlite_db() as s, s.begin():
        c = _draw(s, campaign_bank, name="scored", target="mobile_banking", top_n=400)
        campaign_tasks.assign_campaign(s, serving, campaign_bank.analyst(), c["id"])
        members = _members(s, c)
    treated = [m for m in members if m.arm == "treatment"]
    assert all(m.score is not None for m in treated)
    full = {sid for sid in {m.assigned_to for m in treated} - {None}
            if sum(m.assigned_to == sid for m in treated) == 10}
    assert full
    for sid in full:
        lowest_taken = min(m.score for m in treated if m.assigned_to == sid)
        passed_over = [m.score for m in treated if m.manager_id == sid and m.assigned_to != sid]
        assert passed_over and lowest_taken >= max(passed_over)


def test_counts_in_sql_agree_with_the_members(campaign_bank, campaign_db):
    from finecrm.services.marketing import conversions as campaign_conversions

    people = _staff(campaign_bank)
    analyst = campaign_bank.analyst()
    with campaign_db() as s, s.begin():
        c = _draw(s, campaign_bank, name="counted", target="mobile_banking")
        by = _assigned(s, campaign_bank, c)
        sid = max(by, key=lambda k: len(by[k]))
        me = campaign_bank.manager(sid, people[sid]["branch_id"])
        for m, outcome in zip(by[sid][:3], ("contacted", "refused", "converted"), strict=True):
            campaign_tasks.record_outcome(s, me, c["id"], m.customer_id, outcome=outcome, today=START)
        campaign_conversions.detect_conversions(s, campaign_bank.serving("late"), analyst, c["id"])
        shown = campaigns.get_campaign(s, campaign_bank.serving("late"), analyst, c["id"])["counts"]
        listed = campaigns.list_campaigns(s, None, analyst)[0]["counts"]
        direct = members.member_counts(_members(s, c))
    assert shown == listed == direct
    assert direct["outcomes"] == {"contacted": 1, "refused": 1, "converted": 1}
    assert direct["arms"]["treatment"]["converted"] + direct["arms"]["control"]["converted"] > 0
