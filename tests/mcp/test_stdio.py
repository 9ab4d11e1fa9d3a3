"""The MCP server over stdio, driven by the SDK's client session against the embedded sandbox."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextResourceContents

from tests.mcp.conftest import server_command, server_env


async def call(session: ClientSession, name: str, **arguments: Any) -> tuple[bool, Any]:
    """A tool's error flag and the JSON of its first text block."""
    result = await session.call_tool(name, arguments)
    assert isinstance(result, CallToolResult)
    first = result.content[0]
    assert first.type == "text"
    return bool(result.is_error), json.loads(first.text)


async def run_to_end(session: ClientSession, path: str, deadline: float) -> dict[str, Any]:
    """Poll run_status until the run is no longer running."""
    while True:
        error, status = await call(session, "run_status", path=path)
        assert not error, status
        if status["status"] != "running":
            return status
        assert time.monotonic() < deadline, status
        await anyio.sleep(0.5)


def test_validate_plan_run_and_bad_inputs_over_stdio(workdir: Path) -> None:
    command = server_command()
    params = StdioServerParameters(
        command=command[0], args=command[1:], env=server_env(workdir), cwd=str(workdir)
    )

    async def scenario() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert {
                "list_channels",
                "validate_calendar",
                "plan_calendar",
                "run_calendar",
                "run_status",
                "export_results",
                "pull_posts",
            } <= tools
            resources = {str(r.uri) for r in (await session.list_resources()).resources}
            assert resources == {
                "calendar-sched://schema/calendar",
                "calendar-sched://report/codes",
            }
            codes = await session.read_resource("calendar-sched://report/codes")
            contents = codes.contents[0]
            assert isinstance(contents, TextResourceContents)
            assert "missing-field" in {c["code"] for c in json.loads(contents.text)}

            error, channels = await call(session, "list_channels")
            assert not error
            assert channels
            assert all("reference" in c for c in channels)

            error, report = await call(session, "validate_calendar", path="december.csv")
            assert not error, report
            assert (report["entries"], report["posts"], report["errors"]) == (62, 283, [])

            inline = [{"text": "Hello", "channels": "x", "publish_at": "2030-01-05T10:00:00Z"}]
            error, first = await call(session, "validate_calendar", rows=inline)
            assert not error, first
            assert (first["entries"], first["posts"]) == (1, 1)
            (written,) = first["calendar"]
            assert Path(written).parent == Path(".calendar-sched/mcp")
            assert Path(written).name.startswith("inline-")
            error, again_inline = await call(session, "plan_calendar", rows=inline)
            assert not error
            assert again_inline["calendar"] == [written]  # same rows, same file and journal
            assert again_inline["requests"] == 1

            error, plan = await call(session, "plan_calendar", path="december.csv")
            assert not error, plan
            assert (plan["requests"], plan["posts"]) == (61, 283)
            assert plan["windows"] >= 2  # the run below crosses quota windows

            error, started = await call(
                session, "run_calendar", path="december.csv", window_seconds=4, late="publish"
            )
            assert not error, started
            assert started["status"] == "running"
            error, again = await call(session, "run_calendar", path="december.csv")
            assert not error
            assert again["status"] == "running"
            seen: list[tuple[float, float | None]] = []

            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                seen.append((done, total))

            waited = await session.call_tool(
                "run_calendar",
                {"path": "december.csv", "wait_seconds": 40},
                progress_callback=on_progress,
            )
            assert isinstance(waited, CallToolResult)
            assert not waited.is_error
            assert len(seen) >= 2  # notified while the run waited for the next windows
            assert seen[-1] == (283, 283)
            final = await run_to_end(session, "december.csv", time.monotonic() + 5)
            assert final["status"] == "done", final
            assert (final["requests_sent"], final["done"], final["pending"]) == (61, 283, 0)

            error, rerun = await call(session, "run_calendar", path="december.csv")
            assert not error
            assert rerun["status"] == "done", rerun
            assert rerun["requests_sent"] == 61  # nothing more was counted

            error, export = await call(
                session, "export_results", path="december.csv", format="json"
            )
            assert not error, export
            assert Path(export["path"]).is_file()
            assert (export["rows"], export["statuses"]) == (62, {"scheduled": 282, "draft": 1})

            error, pulled = await call(
                session, "pull_posts", from_date="2026-12-01", to_date="2026-12-31"
            )
            assert not error, pulled
            assert Path(pulled["path"]).is_file()
            assert (pulled["entries"], pulled["states"]) == (283, {"QUEUE": 282, "DRAFT": 1})

            error, missing = await call(session, "validate_calendar", path="nowhere.csv")
            assert error
            assert missing["errors"][0]["code"] == "unreadable-file"

            (workdir / "broken.csv").write_text(
                "date,time,channels,text\n2030-13-40,25:00,nobody,\n", encoding="utf-8"
            )
            error, broken = await call(session, "validate_calendar", path="broken.csv")
            assert error
            assert not broken["valid"]
            assert {(e["row"], e["code"]) for e in broken["errors"]} == {
                (2, "bad-datetime"),
                (2, "empty-post"),
            }

            error, typed = await call(
                session, "plan_calendar", rows=[{"text": 5, "channels": 7, "publish_at": []}]
            )
            assert error
            assert {(e["field"], e["code"]) for e in typed["errors"]} == {
                ("publish_at", "bad-value"),
                ("publish_at", "missing-field"),
            }, typed["errors"]

            error, not_rows = await call(session, "validate_calendar", rows=["a string"])
            assert error
            assert not_rows["errors"][0]["field"] == "rows"

            error, still = await call(session, "validate_calendar", path="december.csv")
            assert not error
            assert still["posts"] == 283

    anyio.run(scenario)
