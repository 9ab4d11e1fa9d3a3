"""The MCP server over streamable HTTP on 127.0.0.1, stopped at the end."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from tests.mcp.conftest import server_command, server_env


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 15) -> None:
    """Wait until the server accepts connections on ``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def test_plan_over_streamable_http(workdir: Path) -> None:
    port = free_port()
    args = [*server_command(), "--http", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        args, cwd=workdir, env=server_env(workdir), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(port, server)

        async def scenario() -> dict[str, object]:
            url = f"http://127.0.0.1:{port}/mcp"
            async with (
                streamable_http_client(url) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                names = {tool.name for tool in (await session.list_tools()).tools}
                assert "plan_calendar" in names
                result = await session.call_tool("plan_calendar", {"path": "december.csv"})
                assert isinstance(result, CallToolResult)
                assert not result.is_error
                first = result.content[0]
                assert first.type == "text"
                plan: dict[str, object] = json.loads(first.text)
                return plan

        plan = anyio.run(scenario)
        assert (plan["requests"], plan["posts"]) == (61, 283)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert server.returncode is not None
    assert b"Traceback" not in stderr
