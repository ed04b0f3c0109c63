"""The service-quality commands on the generated bank, run as a script would: importing the hotline's complaints
(each with its deadline from the day received), the nightly escalation at a fixed moment, importing a survey firm's
answers; refused for a role without the action."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from finecrm.db.models import Complaint
from finecrm.db.session import make_engine, session_factory
from finecrm.services.service.workdays import WorkCalendar
from tests.cli.shell import ANALYST, run


def _complaints(web_bank) -> list[Complaint]:
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            return list(s.scalars(select(Complaint).order_by(Complaint.id)))
    finally:
        engine.dispose()


def test_import_escalate_and_survey_import(web_bank):
    home, bank = str(web_bank.home), web_bank.home.parent / "bank"
    with (bank / "_voice" / "complaints.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows, "the generator wrote complaints"
    refused = run("complaint", "import", str(bank / "_voice" / "complaints.csv"), "--home", home)
    assert refused.returncode == 77  # the shell's administrator records no complaints
    before = {c.id for c in _complaints(web_bank)}
    r = run("complaint", "import", str(bank / "_voice" / "complaints.csv"), "--home", home, "--json", env=ANALYST)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == len(rows)
    new = [c for c in _complaints(web_bank) if c.id not in before]
    assert len(new) == len(rows) and {c.channel for c in new} == {"import"}
    days = {"service_attitude": 3, "waiting_time": 3, "fees": 5, "product": 10, "e_banking": 5, "collections": 5}
    for c, row in zip(new, rows, strict=True):
        assert (c.customer_id, c.branch_id, c.category, c.description) == (
            row["customer_id"], row["branch_id"], row["category"], row["description"])
        assert c.due_on == WorkCalendar.of().add_working_days(date.fromisoformat(row["received_on"]),
                                                               days[row["category"]])

    at = datetime(2027, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in the bank
    r = run("complaint", "escalate", "--at", at.isoformat(), "--home", home, "--json", env=ANALYST)
    assert r.returncode == 0, r.stderr
    raised = json.loads(r.stdout)["escalated"]
    today = (at + timedelta(hours=8)).date()
    waiting = [c for c in _complaints(web_bank) if c.status in ("open", "assigned", "appealed") and c.due_on < today]
    assert {x["complaint_id"] for x in raised} <= {c.id for c in waiting}
    assert all(c.escalation_level == 2 for c in waiting)  # months late: the head office's
    again = run("complaint", "escalate", "--at", at.isoformat(), "--home", home, "--json", env=ANALYST)
    assert json.loads(again.stdout)["escalated"] == []

    r = run("survey", "import", "--sample", str(bank / "_voice" / "survey_sample.csv"), "--answers",
            str(bank / "_voice" / "survey_answers.csv"), "--name", "外包调查", "--home", home, "--json", env=ANALYST)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    with (bank / "_voice" / "survey_answers.csv").open(encoding="utf-8") as f:
        responders = {a["customer_id"] for a in csv.DictReader(f)}
    assert (doc["kind"], doc["responded"]) == ("imported", len(responders))
