"""``dosefind app``: the local web application (Shiny for Python) for design comparison and the
dose-escalation meeting."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from .common import fail, user_errors

LOOPBACK = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@user_errors
def app(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    token: str = typer.Option(
        None,
        "--token",
        help="Access token; required when --host is not a loopback address (open ?token=...).",
    ),
    log: Path = typer.Option(
        Path("meeting.dosefind.sqlite"),
        "--log",
        help="Audit log the meeting page records decisions in (only when its Record button is pressed).",
    ),
):
    """Open the web page: compare designs on the same patients (progress, cancel, OCs with MCSE, downloads)
    and run the dose-escalation meeting (recommendation and its rule, posterior, pathways, decision table,
    what-if cohorts, the audit log, the report), through the same library calls as the CLI."""
    if not is_loopback(host) and not token:
        raise fail(f"--host {host}: the page would be reachable from other machines; add --token SECRET")
    if token is not None and len(token) < 12:
        raise fail("--token: use at least 12 characters")
    if not 1 <= port <= 65535:
        raise fail("--port: choose 1 to 65535")
    try:
        import uvicorn

        from ..app.ui import make_app
    except ImportError:
        raise fail('the app needs Shiny for Python: pip install -e ".[app]"') from None
    where = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    typer.echo(f"dosefind app on {where} (Ctrl-C to stop); decisions are recorded in {log}")
    uvicorn.run(make_app(log, token), host=host, port=port, log_level="warning")
