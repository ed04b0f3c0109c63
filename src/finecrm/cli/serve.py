"""``finecrm serve``: start the web workbench (the CLI is the composition root that starts the web app)."""

from __future__ import annotations

from typing import Annotated

import typer

from finecrm.cli.common import Home, out, requires


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
    if demo:
        from finecrm.services.access.demo_accounts import demo_logins

        accounts = demo_logins(ws)
        # Plain lines, never a table: a narrow terminal must not cut a password short.
        typer.echo("演示账户（仅演示模式可用）/ demo logins (demo mode only): username  password  role  branch  staff")
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
