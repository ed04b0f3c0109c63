"""``finecrm serve``: start the web workbench (the CLI is the composition root that starts the web app)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from finecrm.cli.common import Home, out, requires
from finecrm.core.errors import storage_error


@requires("manage_config")
def serve(
    host: Annotated[str, typer.Option(help="监听地址 / address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="演示模式：创建各角色演示账户并打印 / demo mode: create and "
                                       "print a demo login per role (demo logins work only in this mode).")] = False,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="会话 Cookie 不设 Secure（仅限无 TLS 的内网测试）/ session cookie without Secure, "
        "for plain-HTTP testing on a non-localhost address only.")] = False,
    home: Home = None,
) -> None:
    """启动工作台 / Serve the web workbench."""
    import uvicorn

    from finecrm.services.workspace import open_workspace
    from finecrm.web.main import create_app

    # Only the workspace is checked here: the web app opens its own sessions and snapshot for each request.
    ws = open_workspace(home)
    with _database_disk(ws.database_url):
        if demo:
            from finecrm.services.access.demo_accounts import demo_logins

            accounts = demo_logins(ws)
            # Plain lines, never a table: a narrow terminal must not cut a password short.
            typer.echo("演示账户（仅演示模式可用）/ demo logins (demo mode only): username  password  role  branch  "
                       "staff")
            for a in accounts:
                typer.echo(f"  {a.username:<28} {a.password}  {a.display_name}  branch={a.branch_id or '-'}  "
                           f"staff={a.staff_id or '-'}")
        app = create_app(ws.home, demo=demo, secure_cookies=not insecure_cookies)
    # Everything loaded so far lives as long as the server: keep it out of the garbage collector's full
    # passes, which otherwise add ~100 ms to an unlucky request (measured in bench/web_profile.py).
    import gc

    gc.collect()
    gc.freeze()
    out.print(f"工作台 workbench: http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/  "
              "(Ctrl+C 停止 to stop)")
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from any local client. The app
    # decides the client's address itself, from web.trusted_proxies (web/deps.py: client_address).
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)


@contextmanager
def _database_disk(url: str) -> Iterator[None]:
    """A SQLite database whose disk refuses (full, read-only) at start-up: one clear line, exit code 74.

    SQLite reports a full disk as "database or disk is full" or, when it cannot create its journal, only
    as "disk I/O error"; so the database's folder is asked what it is (read-only, or next to no space left).
    Other errors pass unchanged.
    """
    try:
        yield
    except Exception as exc:
        found = _sqlite_disk_error(url, exc)
        if found is None:
            raise
        raise storage_error(found, "opening the workbench's database",
                            ("工作台未启动", "the workbench did not start")) from exc


def _sqlite_disk_error(url: str, exc: BaseException) -> OSError | None:
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    path = Path(database)
    text = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e is not None)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS):
        return OSError(exc.errno, os.strerror(exc.errno), str(path))
    if not any(word in text for word in ("database or disk is full", "disk I/O error", "readonly database",
                                         "unable to open database file")):
        return None
    folder = path.parent if path.parent.is_dir() else Path.cwd()
    stat = os.statvfs(folder)
    if stat.f_flag & os.ST_RDONLY:
        return OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    if "database or disk is full" in text or stat.f_bavail * stat.f_frsize < _NEARLY_FULL:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return None


#: Free space below which a SQLite I/O error at start-up is taken for a full disk (its journal and WAL need room).
_NEARLY_FULL = 1 << 20
