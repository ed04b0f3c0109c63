"""Demo logins for ``make demo`` / ``finecrm serve --demo``: one user per role, taken from the bank's staff."""

from __future__ import annotations

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.db.session import make_engine, session_factory
from finecrm.services.auth import DemoAccount, create_demo_users
from finecrm.services.workspace import known_branches


def demo_logins(ws: Workspace) -> list[DemoAccount]:
    """Create (or refresh) the demo users with new random passwords; returns them to print once."""
    branches = known_branches(ws)
    if not branches:
        raise FinecrmError("演示账户需要先导入机构数据 / demo logins need the bank's branches: ingest data first")
    staff_path = ws.raw / "staff" / "data.parquet"
    staff: list[dict[str, object]] = []
    if staff_path.is_file():
        import pyarrow.parquet as pq

        staff = pq.read_table(staff_path).to_pylist()
    engine = make_engine(ws.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            return create_demo_users(s, branches=branches, staff=staff, actor="demo")
    finally:
        engine.dispose()
