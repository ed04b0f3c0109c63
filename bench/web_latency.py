"""Latency of the web workbench: the customer 360 page and the dashboard, from a local client.

    python bench/web_latency.py --home bench/out/engine-100000/ws --out /tmp/web.json

What it does, in order:

1. starts ``finecrm serve --demo --insecure-cookies --home <ws> --port <free port>`` as a child process
   and waits for ``/healthz``;
2. sets the demo users' passwords itself with ``finecrm.services.access.demo_accounts.demo_logins`` -- the function
   ``serve --demo`` calls at start -- *after* the server is up. The server reads users from the
   workspace database at each sign-in, so the passwords this script gets back are the valid ones; the
   table the server printed is stale from then on. Nothing is parsed from the server's output (a Rich
   table, wrapped to the terminal width), and the demo users stay demo users: they sign in only while
   the server runs in demo mode;
3. ``--insecure-cookies``: the session cookie is otherwise marked Secure, and httpx (rightly) does not
   send a Secure cookie over plain http://127.0.0.1. The flag changes only that attribute;
4. signs in as analyst, branch_head and customer_manager (``POST /api/auth/login``, JSON), one
   ``httpx.Client`` per role, and takes customer ids in each role's scope from ``GET /api/customers``
   (a few random pages of 200, fixed seed);
5. measures sequential requests (one at a time, one client): the 360 page ``GET /customers/{id}`` and
   ``GET /api/customers/{id}`` for random ids, ``GET /dashboard`` and ``GET /api/dashboard``, per role,
   after a warm-up; the first request after the server started is reported separately (cold);
6. restarts the server with ``FINECRM_DASHBOARD_CACHE=0`` and measures the dashboard again, every
   request recomputed.

Latency is the client's wall time per request: sending it, the server's work, reading the whole body.
The server's peak memory is its ``VmHWM`` (peak resident set) from ``/proc``, with psutil's RSS at the
end of each phase. Prints progress on stderr; writes one JSON document to ``--out`` (or stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
FINECRM = str(ROOT / ".venv" / "bin" / "finecrm")
ROLES = ("analyst", "branch_head", "customer_manager")
#: (key, label, path template); {id} is replaced by a random customer id of the role's scope.
ENDPOINTS = (
    ("page_360", "GET /customers/{id}", "/customers/{id}"),
    ("api_360", "GET /api/customers/{id}", "/api/customers/{id}"),
    ("page_dashboard", "GET /dashboard", "/dashboard"),
    ("api_dashboard", "GET /api/dashboard", "/api/dashboard"),
)
DASHBOARD = ("page_dashboard", "api_dashboard")


def log(message: str) -> None:
    print(f"[web {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_for_quiet(limit: float, patience: float) -> float:
    """Wait (at most ``patience`` seconds) until the 1-minute load average is below ``limit``: other
    jobs on a 2-core machine would be measured too. Returns the load average when measuring starts."""
    started = time.perf_counter()
    while os.getloadavg()[0] >= limit and time.perf_counter() - started < patience:
        log(f"load average {os.getloadavg()[0]:.2f} >= {limit}: waiting for other work to finish")
        time.sleep(30)
    return os.getloadavg()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving_file(home: Path) -> tuple[str, Path]:
    """The published snapshot and its serving copy (made by ``finecrm build``)."""
    from finecrm.engine import snapshots
    from finecrm.services.snapshot.serving import serving_path
    from finecrm.services.workspace import open_workspace

    ws = open_workspace(home)
    build_id = snapshots.published(ws.snapshots)
    if not build_id:
        raise SystemExit(f"{home}: no published snapshot; run 'finecrm build --home {home}'")
    path = serving_path(ws, build_id)
    if not path.is_file():
        # The server would make it at its first request, and that request would measure the copy.
        raise SystemExit(f"{path} is missing; run 'finecrm build --home {home}' (it makes the serving copy)")
    return build_id, path


def cold_customer_id(path: Path, seed: int) -> tuple[str, int]:
    """One random customer id (any branch: the analyst sees all) and the number of customers, read
    from the serving file before the server starts, so the server's first request can be a 360 page."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM customer_360").fetchone()[0]  # type: ignore[index]
        offset = random.Random(seed).randrange(n)
        cid = con.execute("SELECT customer_id FROM customer_360 ORDER BY customer_id LIMIT 1 OFFSET ?",
                          [offset]).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    return str(cid), int(n)


class Server:
    """``finecrm serve --demo`` in a child process; its output goes to a log file."""

    def __init__(self, home: Path, port: int, *, cache: bool, log_path: Path) -> None:
        self.home, self.port, self.cache, self.log_path = home, port, cache, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        env = {**os.environ, "FINECRM_DASHBOARD_CACHE": "1" if self.cache else "0", "COLUMNS": "200"}
        started = time.perf_counter()
        with open(self.log_path, "ab") as sink:
            self.proc = subprocess.Popen(
                [FINECRM, "serve", "--demo", "--insecure-cookies", "--home", str(self.home),
                 "--port", str(self.port)], stdout=sink, stderr=subprocess.STDOUT, env=env)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped (exit {self.proc.returncode}); see {self.log_path}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > timeout:
                self.stop()
                raise SystemExit(f"/healthz did not answer within {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.1)
        self.startup_seconds = round(time.perf_counter() - started, 2)

    def memory(self) -> dict[str, float]:
        """Peak RSS (VmHWM, kernel) and current RSS (psutil) of the server process, MB."""
        assert self.proc is not None
        out = {"rss_mb": round(psutil.Process(self.proc.pid).memory_info().rss / 2**20, 1)}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on Ctrl+C
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def demo_passwords(home: Path) -> dict[str, tuple[str, str]]:
    """{role: (username, password)}: new passwords for the demo users, set now (see the module doc)."""
    from finecrm.services.access.demo_accounts import demo_logins
    from finecrm.services.workspace import open_workspace

    return {a.role: (a.username, a.password) for a in demo_logins(open_workspace(home))}


def sign_in(base_url: str, username: str, password: str) -> httpx.Client:
    # trust_env=False: no proxy from the environment between the client and 127.0.0.1.
    client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(600.0), follow_redirects=False,
                          trust_env=False)
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    if r.status_code != 200:
        raise SystemExit(f"sign-in as {username} failed: {r.status_code} {r.text[:300]}")
    if r.json().get("must_change_password"):
        raise SystemExit(f"{username} must change the password first")
    if "finecrm_session" not in client.cookies:
        raise SystemExit("no session cookie kept: is the server running with --insecure-cookies?")
    return client


def get(client: httpx.Client, path: str) -> tuple[float, int]:
    """One request: milliseconds until the whole body is read, and the body's size."""
    started = time.perf_counter()
    r = client.get(path)
    ms = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise SystemExit(f"GET {path}: {r.status_code} {r.text[:300]}")
    return ms, len(r.content)


def scope_ids(client: httpx.Client, rng: random.Random, pages: int) -> tuple[list[str], int]:
    """Customer ids in the signed-in user's scope: up to ``pages`` random pages of 200 (whole scope if
    smaller), and the scope's size."""
    first = client.get("/api/customers", params={"page_size": 200, "page": 1})
    first.raise_for_status()
    doc = first.json()
    total, n_pages = int(doc["total"]), int(doc["pages"])
    chosen = sorted(rng.sample(range(1, n_pages + 1), min(pages, n_pages)))
    ids: list[str] = []
    for p in chosen:
        rows = doc["rows"] if p == 1 else client.get(
            "/api/customers", params={"page_size": 200, "page": p}).raise_for_status().json()["rows"]
        ids.extend(r["customer_id"] for r in rows)
    if not ids:
        raise SystemExit("the role sees no customers: nothing to measure")
    return ids, total


def summary(ms: list[float], sizes: list[int]) -> dict[str, Any]:
    a = np.asarray(ms)
    return {
        "n": len(ms), "p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
        "p99": round(float(np.percentile(a, 99)), 2), "max": round(float(a.max()), 2),
        "mean": round(float(a.mean()), 2), "min": round(float(a.min()), 2),
        "kb_mean": round(sum(sizes) / len(sizes) / 1024, 1),
    }


def series(client: httpx.Client, path_of: Callable[[], str], n: int, budget: float) -> dict[str, Any]:
    """``n`` sequential requests, or fewer when ``budget`` seconds are used up (at least one)."""
    ms: list[float] = []
    sizes: list[int] = []
    started = time.perf_counter()
    for _ in range(n):
        if ms and time.perf_counter() - started > budget:
            break
        t, size = get(client, path_of())
        ms.append(t)
        sizes.append(size)
    out = summary(ms, sizes)
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["stopped_by_budget"] = len(ms) < n
    return out


def path_maker(template: str, ids: list[str], rng: random.Random) -> Callable[[], str]:
    if "{id}" not in template:
        return lambda: template
    return lambda: template.replace("{id}", rng.choice(ids))


def measure_roles(server: Server, clients: dict[str, httpx.Client], ids: dict[str, list[str]],
                  endpoints: tuple[tuple[str, str, str], ...], *, label: str, n: int, warmup: int,
                  budget: float, seed: int) -> list[dict[str, Any]]:
    rows = []
    for role in clients:
        for key, name, template in endpoints:
            rng = random.Random(f"{seed}-{label}-{role}-{key}")
            make = path_maker(template, ids[role], rng)
            for _ in range(warmup):
                get(clients[role], make())
            # The first role's series (the analyst: the whole bank) always run in full.
            res = series(clients[role], make, n, float("inf") if role == next(iter(clients)) else budget)
            res.update(server=label, role=role, endpoint=key, request=name, warmup=warmup,
                       loadavg_after=round(os.getloadavg()[0], 2))
            log(f"{label:8} {role:16} {name:26} n={res['n']:4} p50={res['p50']:8.1f} ms "
                f"p95={res['p95']:8.1f} ms max={res['max']:8.1f} ms")
            rows.append(res)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a built finecrm workspace")
    ap.add_argument("--requests", type=int, default=200, help="measured requests per role and endpoint")
    ap.add_argument("--warmup", type=int, default=20, help="warm-up requests before each measured series")
    ap.add_argument("--uncached-requests", type=int, default=200,
                    help="measured requests per role and dashboard endpoint with the cache off")
    ap.add_argument("--uncached-warmup", type=int, default=3)
    ap.add_argument("--uncached-budget", type=float, default=600,
                    help="seconds at most per uncached series of the roles after the first (it stops "
                    "early and says so); the first role's (analyst) run in full")
    ap.add_argument("--id-pages", type=int, default=5, help="random pages of 200 ids taken per role")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--roles", nargs="*", default=list(ROLES))
    ap.add_argument("--skip-uncached", action="store_true")
    ap.add_argument("--quiet-load", type=float, default=1.0,
                    help="wait until the 1-minute load average is below this before starting")
    ap.add_argument("--quiet-wait", type=float, default=900, help="seconds to wait for that at most")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    home = args.home.resolve()
    wait_for_quiet(args.quiet_load, args.quiet_wait)
    build_id, serving_path = serving_file(home)
    cold_id, n_customers = cold_customer_id(serving_path, args.seed)
    log_path = (args.out or Path("/tmp/web_latency.json")).with_suffix(".server.log")
    log_path.unlink(missing_ok=True)
    result: dict[str, Any] = {
        "home": str(home), "snapshot": build_id, "customers_in_snapshot": n_customers,
        "serving_file_mb": round(serving_path.stat().st_size / 2**20, 1),
        "settings": {"requests": args.requests, "warmup": args.warmup, "uncached_requests": args.uncached_requests,
                     "uncached_warmup": args.uncached_warmup, "uncached_budget_s": args.uncached_budget,
                     "id_pages": args.id_pages, "seed": args.seed},
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "servers": {}, "cold": [], "series": [], "roles": {},
    }
    started = time.perf_counter()

    # --- phase 1: the server as it runs (dashboard cache on) ---------------------------------------
    server = Server(home, free_port(), cache=True, log_path=log_path)
    log(f"starting the server on port {server.port} ({home})")
    server.start()
    clients: dict[str, httpx.Client] = {}
    try:
        creds = demo_passwords(home)
        clients = {role: sign_in(server.base_url, *creds[role]) for role in args.roles}
        first = args.roles[0]
        # Cold: the first requests that touch data after the server started (opening the serving file,
        # reading its schemas, compiling the templates; for the dashboard also the computation, cache empty).
        ms, _ = get(clients[first], f"/customers/{cold_id}")
        result["cold"].append({"server": "cached", "role": first, "request": "GET /customers/{id}",
                               "what": "first request after start", "ms": round(ms, 1)})
        for role in args.roles:
            ms, _ = get(clients[role], "/dashboard")
            result["cold"].append({"server": "cached", "role": role, "request": "GET /dashboard",
                                   "what": "first dashboard of this scope (cache empty)", "ms": round(ms, 1)})
        log("cold: " + ", ".join(f"{c['role']} {c['request']} {c['ms']:.0f} ms" for c in result["cold"]))
        ids: dict[str, list[str]] = {}
        for role in args.roles:
            ids[role], total = scope_ids(clients[role], random.Random(f"{args.seed}-{role}"), args.id_pages)
            result["roles"][role] = {"username": creds[role][0], "customers_in_scope": total,
                                     "ids_sampled": len(ids[role])}
            log(f"{role}: {total:,} customers in scope, {len(ids[role])} ids sampled")
        result["series"] += measure_roles(server, clients, ids, ENDPOINTS, label="cached", n=args.requests,
                                          warmup=args.warmup, budget=float("inf"), seed=args.seed)
        result["servers"]["cached"] = {"startup_seconds": server.startup_seconds, **server.memory()}
    finally:
        for c in clients.values():
            c.close()
        server.stop()

    # --- phase 2: the dashboard recomputed at every request (FINECRM_DASHBOARD_CACHE=0) -------------
    if not args.skip_uncached:
        server = Server(home, free_port(), cache=False, log_path=log_path)
        log(f"restarting with FINECRM_DASHBOARD_CACHE=0 on port {server.port}")
        server.start()
        clients = {}
        try:
            creds = demo_passwords(home)
            clients = {role: sign_in(server.base_url, *creds[role]) for role in args.roles}
            ms, _ = get(clients[args.roles[0]], "/dashboard")
            result["cold"].append({"server": "uncached", "role": args.roles[0], "request": "GET /dashboard",
                                   "what": "first request after start", "ms": round(ms, 1)})
            ms, _ = get(clients[args.roles[0]], f"/customers/{cold_id}")
            result["cold"].append({"server": "uncached", "role": args.roles[0], "request": "GET /customers/{id}",
                                   "what": "first 360 page (serving file already open)", "ms": round(ms, 1)})
            dash = tuple(e for e in ENDPOINTS if e[0] in DASHBOARD)
            result["series"] += measure_roles(
                server, clients, {role: [cold_id] for role in args.roles}, dash, label="uncached",
                n=args.uncached_requests, warmup=args.uncached_warmup, budget=args.uncached_budget, seed=args.seed)
            result["servers"]["uncached"] = {"startup_seconds": server.startup_seconds, **server.memory()}
        finally:
            for c in clients.values():
                c.close()
            server.stop()

    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    log(f"done in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
