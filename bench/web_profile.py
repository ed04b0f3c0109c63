"""Where the workbench's time goes: the services timed in-process against the serving file, no HTTP.

    python bench/web_profile.py bench/out/engine-1000000/ws --repeat 20

For each role (the demo users of the workspace: run ``finecrm serve --demo`` once, or
``bench/web_latency.py``, so they exist) it times ``customers.customer_360`` for random ids and
``dashboard._compute`` (the uncached dashboard), and every SQL statement they send to DuckDB
(``Serving.sql``), grouped by statement. Prints a report on stdout; ``--json`` prints JSON instead.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROLES = ("analyst", "branch_head", "customer_manager")


def principals(home: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from finecrm.db import repositories
    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.access import auth, demo_accounts
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    b = pq.read_table(ws.raw / "branches" / "data.parquet", columns=["branch_id", "parent_id"]).to_pydict()
    g = pq.read_table(ws.raw / "grids" / "data.parquet", columns=["grid_id", "manager_id"]).to_pydict()
    branches = dict(zip(b["branch_id"], b["parent_id"], strict=True))
    grids = dict(zip(g["grid_id"], g["manager_id"], strict=True))
    engine = make_engine(ws.database_url)
    out = {}
    with session_factory(engine)() as s:
        for role in ROLES:
            user = repositories.get_user(s, username=f"{demo_accounts.DEMO_PREFIX}{role}")
            if user is None:
                raise SystemExit(f"no demo user for {role}: run 'finecrm serve --demo --home {home}' once")
            out[role] = auth.principal_for(user, branches=branches, grids=grids)
    engine.dispose()
    return out


class SqlTimer:
    """Wraps ``Serving.sql``: time per statement, keyed by the statement's shape."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)

    def install(self, serving_cls: Any) -> None:
        original = serving_cls.sql
        timer = self

        def timed(self: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
            started = time.perf_counter()
            try:
                return original(self, sql, params)
            finally:
                timer.times[timer.key(sql)].append((time.perf_counter() - started) * 1000)

        serving_cls.sql = timed

    def install_compile(self) -> None:
        """Time ``ibis.to_sql`` too (``Serving.query`` compiles each expression at every call)."""
        import ibis

        original = ibis.to_sql
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.times["(ibis.to_sql: compiling an expression)"].append((time.perf_counter() - started) * 1000)

        ibis.to_sql = timed

    @staticmethod
    def key(sql: str) -> str:
        text = re.sub(r"\s+", " ", sql).strip()
        text = re.sub(r"'[^']*'", "'…'", text)  # literals (ids, branch lists) out of the key
        text = re.sub(r"\('…'(, '…')+\)", "('…', …)", text)
        return text

    def take(self) -> dict[str, list[float]]:
        out, self.times = self.times, defaultdict(list)
        return out


def stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"n": len(ms), "p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2), "max": round(float(a.max()), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("home", type=Path)
    ap.add_argument("--repeat", type=int, default=20, help="calls per function and role")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--roles", nargs="*", default=list(ROLES))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from finecrm.authz import scope_customers
    from finecrm.services.customers import dashboard
    from finecrm.services.customers import profile as customers
    from finecrm.services.snapshot.serving import Serving
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(args.home)
    serving = Serving(ws)
    timer = SqlTimer()
    timer.install(Serving)
    timer.install_compile()
    started = time.perf_counter()
    build_id = serving.build_id
    report: dict[str, Any] = {"open_ms": round((time.perf_counter() - started) * 1000, 1), "roles": {}}
    who = principals(args.home)
    rng = random.Random(args.seed)
    for role in args.roles:
        p = who[role]
        t = scope_customers(p, serving.table("customer_360")).select("customer_id").order_by("customer_id")
        ids = [r["customer_id"] for r in serving.query(t.limit(5000))]
        timer.take()
        c360: list[float] = []
        for _ in range(args.repeat):
            cid = rng.choice(ids)
            s = time.perf_counter()
            customers.customer_360(serving, p, cid)
            c360.append((time.perf_counter() - s) * 1000)
        c360_sql = timer.take()
        dash: list[float] = []
        parts: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.repeat):
            s = time.perf_counter()
            month = dashboard._compute(serving, p, build_id)["month"]
            dash.append((time.perf_counter() - s) * 1000)
            for name, fn in (("_pareto", lambda p=p: dashboard._pareto(serving, p)),
                             ("_flows", lambda p=p, m=month: dashboard._flows(serving, p, m))):
                s = time.perf_counter()
                fn()
                parts[name].append((time.perf_counter() - s) * 1000)
        dash_sql = timer.take()
        # Only the statements of _compute itself (the extra _pareto/_flows calls ran each twice as often).
        report["roles"][role] = {
            "customer_360": stats(c360),
            "customer_360_sql": {k: stats(v) for k, v in sorted(c360_sql.items(), key=lambda kv: -sum(kv[1]))},
            "dashboard_compute": stats(dash),
            "dashboard_parts": {k: stats(v) for k, v in parts.items()},
            "dashboard_sql": {k: stats(v) for k, v in sorted(dash_sql.items(), key=lambda kv: -sum(kv[1]))},
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"serving file opened in {report['open_ms']} ms")
    for role, r in report["roles"].items():
        print(f"\n== {role}")
        for name in ("customer_360", "dashboard_compute"):
            s = r[name]
            print(f"{name:18} p50 {s['p50']:9.1f} ms  p95 {s['p95']:9.1f} ms  mean {s['mean']:9.1f} ms (n={s['n']})")
        for name, s in r["dashboard_parts"].items():
            print(f"  {name:16} p50 {s['p50']:9.1f} ms  p95 {s['p95']:9.1f} ms")
        for group in ("customer_360_sql", "dashboard_sql"):
            print(f"  -- {group} (per statement; mean ms, n)")
            for sql, s in r[group].items():
                print(f"    {s['mean']:9.1f} ms  p95 {s['p95']:9.1f}  n={s['n']:3}  {sql[:150]}")


if __name__ == "__main__":
    main()
