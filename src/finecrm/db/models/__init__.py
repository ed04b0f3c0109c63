"""Tables of the operational database (people's work and the record of what was done).

Analytics never live here: they are Parquet snapshots built by the engine. This database holds what
people and commands do: ingest runs, the append-only audit log, users with their sign-in sessions and
login attempts, audiences and campaigns, the contacts managers record, the referrals from the lobby, KPI targets, and complaints with their steps. One module per area (``data``, ``access``, ``marketing``, …), as in
every layer; this package exports every table. Schema changes go through Alembic migrations in
``db/migrations``.

Timestamps are timezone-aware and stored in UTC. SQLite gives them back without a time zone; callers that
compare them in Python treat a naive value as UTC (``finecrm.services.access.auth`` does).
"""

from finecrm.db.models.access import AuditEvent, LoginAttempt, User, UserSession
from finecrm.db.models.aml import AlertTriage, AmlCase, CaseEvent
from finecrm.db.models.base import Base
from finecrm.db.models.collections import CollectionAssignment, CollectionContact, CollectionPromise
from finecrm.db.models.credit import CategoryOverride
from finecrm.db.models.credit_warnings import WarningStep
from finecrm.db.models.data import IngestRun
from finecrm.db.models.kpi import KpiTarget
from finecrm.db.models.marketing import Audience, AudienceVersion, Campaign, CampaignMember
from finecrm.db.models.service import (
    Complaint,
    ComplaintEvent,
    FeedbackItem,
    Survey,
    SurveyAnswer,
    SurveyMember,
)
from finecrm.db.models.workbench import Contact, Referral

__all__ = ["AlertTriage", "AmlCase", "Audience", "AudienceVersion", "AuditEvent", "Base", "Campaign", "CampaignMember",
           "CaseEvent", "CategoryOverride", "CollectionAssignment", "CollectionContact", "CollectionPromise",
           "Complaint", "ComplaintEvent", "Contact", "FeedbackItem", "IngestRun", "KpiTarget", "LoginAttempt", "Referral", "Survey",
           "SurveyAnswer", "SurveyMember", "User", "UserSession", "WarningStep"]
