"""The published snapshot, read one way: every page, export, training run and console query comes through here.

Two faces over the same published build, both read-only and sandboxed by DuckDB:

- :mod:`.serving` for look-ups: ``Serving`` holds the snapshot's serving copy (its marts sorted by customer in
  one DuckDB file, opened read-only with external access off); queries are Ibis expressions, with row scopes
  and masking from ``finecrm.authz``. Pages, exports and campaign steps use it.
- :mod:`.console` for whole-table SQL: ``open_snapshot`` gives a locked connection whose views are the marts
  (external access off but for the snapshot folder, configuration locked). The analyst's console
  (``run_sql``), the build summary and model training use it.
"""

from finecrm.services.snapshot.console import (
           QueryError,
           as_of,
           mart_tables,
           open_snapshot,
           run_sql,
           snapshot_id,
)
from finecrm.services.snapshot.serving import NoSnapshot, Serving, opened, prepare

__all__ = ["NoSnapshot", "QueryError", "Serving", "as_of", "mart_tables", "open_snapshot", "opened", "prepare",
           "run_sql", "snapshot_id"]
