"""Alembic migrations of the operational database (run by ``finecrm init`` and ``finecrm db upgrade``)."""
