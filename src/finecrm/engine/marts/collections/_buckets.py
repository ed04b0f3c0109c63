"""Buckets of days past due (逾期分段) as configured in ``collections.buckets``, as Ibis expressions."""

from __future__ import annotations

import ibis

from finecrm.core.settings_collections import CollectionSettings

#: A loan not past due (not a collection bucket, but a roll's origin or destination).
CURRENT = "M0"
#: A loan repaid in full by the next month end (it has no row in the overdue history any more).
CLOSED = "closed"


def bucket_of(dpd: ibis.Value, settings: CollectionSettings) -> ibis.Value:
    """The bucket code of ``dpd``: M0 when not past due, else the first bucket whose ``up_to_days`` holds it."""
    cases = [(dpd <= 0, CURRENT)]
    cases += [(dpd <= b.up_to_days, b.code) for b in settings.buckets if b.up_to_days is not None]
    return ibis.cases(*cases, else_=settings.buckets[-1].code)


def bucket_rank(bucket: ibis.Value, settings: CollectionSettings) -> ibis.Value:
    """0 for M0 and closed loans, 1 for the first bucket … (worse buckets rank higher)."""
    return ibis.cases(*[(bucket == b.code, i + 1) for i, b in enumerate(settings.buckets)], else_=0).cast("int64")


def step_of(bucket: ibis.Value, settings: CollectionSettings) -> ibis.Value:
    """The strategy step of a bucket (sms, phone, letter_visit, legal)."""
    return ibis.cases(*[(bucket == b.code, b.step) for b in settings.buckets], else_=ibis.null("string"))
