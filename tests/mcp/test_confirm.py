"""Against a configured account, run_calendar sends only with confirm: true."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from tests.helpers.sandbox import RunningSandbox
from tests.mcp.conftest import server_command, server_env

ROWS = [{"text": "Launch day", "channels": "x", "publish_at": "2030-01-05T10:00:00Z"}]


def test_a_real_account_needs_confirm(
    workdir: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    account = sandbox_server_factory()
    env = {**server_env(workdir), "POSTIZ_API_URL": account.url, "POSTIZ_API_KEY": account.api_key}
    command = server_command()
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(workdir))

    async def scenario() -> list[tuple[bool, Any, str]]:
        answers = []
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            for arguments in ({"rows": ROWS}, {"rows": ROWS, "confirm": True, "wait_seconds": 20}):
                result = await session.call_tool("run_calendar", arguments)
                assert isinstance(result, CallToolResult)
                first, note = result.content[0], result.content[1]
                assert first.type == "text"
                assert note.type == "text"
                answers.append((bool(result.is_error), json.loads(first.text), note.text))
                if len(answers) == 1:  # after the call without confirm: nothing ran or was sent
                    status = await session.call_tool("run_status", {"rows": ROWS})
                    assert isinstance(status, CallToolResult)
                    text = status.content[0]
                    assert text.type == "text"
                    state = json.loads(text.text)
                    assert (state["status"], state["requests_sent"]) == ("not_started", 0)
        return answers

    (asked, asked_data, asked_note), (ran, ran_data, _) = anyio.run(scenario)
    assert not asked
    assert asked_data["status"] == "confirmation_required"
    assert asked_data["plan"]["requests"] == 1
    assert account.url in asked_note  # the result names the account, not the sandbox
    assert account.api_key not in json.dumps(asked_data) + asked_note
    assert not ran
    assert (ran_data["status"], ran_data["requests_sent"], ran_data["done"]) == ("done", 1, 1)
