"""``calendar-sched mcp``: serve the library as MCP tools to an AI client (stdio or HTTP)."""

from __future__ import annotations

from pathlib import Path

import click

from calendar_sched.cli.options import exit_codes
from calendar_sched.mcp.workspace import DEFAULT_WORKSPACE


@click.command("mcp")
@click.option(
    "--http",
    is_flag=True,
    help="Serve streamable HTTP on --host/--port (path /mcp) instead of stdio.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port (--http)."
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_WORKSPACE,
    show_default=True,
    help="Folder for inline calendars, exports and pulled files.",
)
@exit_codes
def mcp_command(http: bool, host: str, port: int, workspace: Path) -> None:
    """Serve validate, plan, run, status, export and pull as MCP tools (stdio by default).

    The target comes from the environment, as for `run`: POSTIZ_API_URL/POSTIZ_API_KEY or
    POSTSYNCER_API_TOKEN, else the built-in sandbox. Logs go to stderr only.
    """
    from calendar_sched.mcp.server import serve  # the SDK loads only for this command

    serve(workspace=workspace, http=http, host=host, port=port)
