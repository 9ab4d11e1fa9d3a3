"""calendar-sched as an MCP server: validate, plan and run whole calendars as tools.

The tools call the library functions the commands call and answer with the keys of their
``--json``; the calendar's JSON Schema and the catalogue of report codes are resources. The
target comes from the environment (Postiz, PostSyncer, else the built-in sandbox) and every
result names it. Logs go to stderr: over stdio, stdout carries the protocol alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ContentBlock, TextContent
from pydantic import Field

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.errors import CalendarSchedError, ReserveTooLarge
from calendar_sched.load.channels import load_channels_file
from calendar_sched.load.dates import DateProblem, zone
from calendar_sched.load.schema import calendar_schema
from calendar_sched.mcp import outputs
from calendar_sched.mcp.runs import Runs
from calendar_sched.mcp.shapes import channels_json, preview_json
from calendar_sched.mcp.workspace import DEFAULT_WORKSPACE, ToolInputError, Workspace, input_error
from calendar_sched.report import CATALOGUE
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import preview_calendar
from calendar_sched.targets.config import resolve_postsyncer_target, resolve_target
from calendar_sched.targets.connect import STATE_DIR, account_channels, connect
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.version import __version__

SCHEMA_URI = "calendar-sched://schema/calendar"
CODES_URI = "calendar-sched://report/codes"

INSTRUCTIONS = """\
Bulk scheduling of a content calendar (posts x channels) through Postiz or PostSyncer in the \
fewest counted API requests, exactly once and resumably. Flow: read the calendar-schema \
resource, validate_calendar (free), plan_calendar (free: requests, windows, ETA, late posts), \
run_calendar (starts a background run), then run_status until status is done. Calendars are \
files (path) or inline rows (a JSON array of posts in the calendar schema)."""

PathArg = Annotated[
    str | list[str] | None,
    Field(description="Calendar file(s): CSV/TSV, XLSX, YAML or JSON. Give path or rows."),
]
RowsArg = Annotated[
    list[Any] | None,
    Field(
        description="Inline calendar: a JSON array of post objects in the calendar schema "
        f"({SCHEMA_URI}); written to <workspace>/inline-<hash>.json."
    ),
]
ChannelsArg = Annotated[
    str | None, Field(description="Channels file (GET /integrations JSON) instead of the target's.")
]
ZoneArg = Annotated[str | None, Field(description="IANA zone for rows without one.")]
LimitArg = Annotated[int | None, Field(ge=1, description="Counted requests per quota window.")]
WindowArg = Annotated[
    float | None,
    Field(gt=0, description="Quota window in seconds (default 3600; 10 on the sandbox)."),
]
LateArg = Annotated[
    Literal["publish", "skip"] | None,
    Field(description="Posts sent after their publish time: publish them, or skip them."),
]


class Answer:
    """One tool result: JSON text (and the same data structured), plus a note on the target."""

    def __init__(self, data: Any, *, error: bool = False) -> None:
        self.data, self.error = data, error

    def result(self) -> CallToolResult:
        """The MCP result: the JSON first, then where runs go."""
        text = json.dumps(self.data, indent=2, ensure_ascii=False, default=str)
        structured = json.loads(text)
        if not isinstance(structured, dict):
            structured = {"items": structured}
        blocks: list[ContentBlock] = [
            TextContent(type="text", text=text),
            TextContent(type="text", text=target_note()),
        ]
        return CallToolResult(content=blocks, structured_content=structured, is_error=self.error)


def target_note() -> str:
    """Where runs go: the configured account, else the built-in sandbox (nothing published)."""
    postiz, syncer = resolve_target(), resolve_postsyncer_target()
    if not postiz.embedded:
        return f"target: the Postiz account at {postiz.base_url}"
    if not syncer.embedded:
        return f"target: the PostSyncer account at {syncer.base_url}"
    return (
        "target: the built-in sandbox (no account configured): nothing is published. Set "
        "POSTIZ_API_URL and POSTIZ_API_KEY (or POSTSYNCER_API_TOKEN) in the server's "
        "environment to use an account."
    )


def _guarded(call: Callable[[], Answer]) -> Answer:
    """``call()``, with bad arguments and library errors as tool errors carrying a report."""
    try:
        return call()
    except ToolInputError as exc:
        return Answer(exc.report.to_dict(), error=True)
    except ReserveTooLarge as exc:
        return Answer(input_error(str(exc), field="reserve").report.to_dict(), error=True)
    except CalendarSchedError as exc:
        return Answer({"error": type(exc).__name__, "message": str(exc)}, error=True)


def _read(channels_file: str | None, timezone: str | None, account: bool) -> ValidateOptions:
    """How to read a calendar: the channels file's channels, else the account's."""
    if timezone is not None:
        try:
            zone(timezone)
        except DateProblem as problem:
            raise input_error(problem.message, field="timezone") from None
    if channels_file:
        if not Path(channels_file).is_file():
            raise input_error(f"no such channels file: {channels_file}", file=channels_file)
        return ValidateOptions(timezone=timezone, channels=load_channels_file(channels_file))
    return ValidateOptions(timezone=timezone, channels=account_channels() if account else None)


def build_server(workspace: Path = DEFAULT_WORKSPACE) -> MCPServer[Any]:
    """The MCP server with every tool and resource; inline calendars go under ``workspace``."""
    space = Workspace(workspace)
    runs = Runs()
    server: MCPServer[Any] = MCPServer(
        "calendar-sched", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    async def answer(call: Callable[[], Answer]) -> CallToolResult:
        found = await anyio.to_thread.run_sync(partial(_guarded, call))
        return found.result()

    def options(
        channels_file: str | None,
        timezone: str | None,
        limit: int | None,
        window_seconds: float | None,
        **more: Any,
    ) -> RunOptions:
        read = _read(channels_file, timezone, account=False)
        return RunOptions(read=read, limit=limit, window_seconds=window_seconds, **more)

    @server.tool(
        description="List the target's channels (id, name, identifier, reference) and the "
        "settings each provider requires. Costs no counted request (GET /integrations is free)."
    )
    async def list_channels(channels_file: ChannelsArg = None) -> CallToolResult:
        def call() -> Answer:
            if channels_file:
                if not Path(channels_file).is_file():
                    raise input_error(f"no such channels file: {channels_file}", file=channels_file)
                found = load_channels_file(channels_file)
                return Answer(channels_json(found, PostizBackend(), live=False))
            with connect("postiz", state_dir=STATE_DIR, label="built-in sandbox") as opened:
                backend = opened.backend
                if not isinstance(backend, PostizBackend):
                    raise input_error("list_channels needs a Postiz target")
                return Answer(channels_json(backend.discover(), backend, live=True))

        return await answer(call)

    @server.tool(
        description="Validate a calendar (path or inline rows): every problem with row, field, "
        "code, message and fix, exactly as `calendar-sched validate --json`. An invalid "
        "calendar is a tool error carrying that report. Costs no counted request."
    )
    async def validate_calendar(
        path: PathArg = None,
        rows: RowsArg = None,
        channels_file: ChannelsArg = None,
        timezone: ZoneArg = None,
    ) -> CallToolResult:
        def call() -> Answer:
            files = space.calendar_files(path, rows)
            result = validate([str(f) for f in files], _read(channels_file, timezone, True))
            data = {**result.to_dict(), "calendar": [str(f) for f in files]}
            return Answer(data, error=not result.report.valid)

        return await answer(call)

    @server.tool(
        description="Plan a calendar without sending: counted requests, lower bound, naive "
        "requests, windows, ETA, late posts, existing-post findings (`calendar-sched plan "
        "--json`). Costs no counted request."
    )
    async def plan_calendar(
        path: PathArg = None,
        rows: RowsArg = None,
        channels_file: ChannelsArg = None,
        timezone: ZoneArg = None,
        limit: LimitArg = None,
        window_seconds: WindowArg = None,
        reserve: Annotated[int, Field(ge=0)] = 0,
    ) -> CallToolResult:
        def call() -> Answer:
            files = space.calendar_files(path, rows)
            run_options = options(channels_file, timezone, limit, window_seconds, reserve=reserve)
            preview = preview_calendar(files, run_options)
            if not preview.valid or preview.plan is None:
                return Answer(preview.validation.report.to_dict(), error=True)
            return Answer({**preview_json(preview), "calendar": [str(f) for f in files]})

        return await answer(call)

    @server.tool(
        description="Run a calendar: sends the plan exactly once, paced to the quota, in the "
        "background; returns at once with status running (or done), the journal's counts and "
        "next_window_at. Poll run_status. Calling it again while the calendar runs returns its "
        "status; after it stopped, it resumes from the journal (done posts cost nothing). "
        "With wait_seconds it stays up to that long, sending progress notifications. "
        "Costs the plan's counted requests (see plan_calendar). Against a real account it "
        "sends only with confirm: true; otherwise it returns the plan to show the user."
    )
    async def run_calendar(
        ctx: Context[Any, Any],
        path: PathArg = None,
        rows: RowsArg = None,
        confirm: Annotated[bool, Field(description="Required to send to a real account.")] = False,
        channels_file: ChannelsArg = None,
        timezone: ZoneArg = None,
        limit: LimitArg = None,
        window_seconds: WindowArg = None,
        reserve: Annotated[int, Field(ge=0)] = 0,
        late: LateArg = None,
        skip_duplicates: bool = False,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=600,
                description="Stay up to this long (sending progress notifications) before "
                "answering; 0 answers at once.",
            ),
        ] = 0,
    ) -> CallToolResult:
        chosen: dict[str, Any] = {}

        def call() -> Answer:
            files = space.calendar_files(path, rows)
            run_options = options(
                channels_file,
                timezone,
                limit,
                window_seconds,
                reserve=reserve,
                late=late,
                skip_duplicates=skip_duplicates,
            )
            real = not resolve_target().embedded or not resolve_postsyncer_target().embedded
            if real and not confirm:
                preview = preview_calendar(files, run_options)
                if not preview.valid or preview.plan is None:
                    return Answer(preview.validation.report.to_dict(), error=True)
                return Answer(
                    {
                        "status": "confirmation_required",
                        "plan": preview_json(preview),
                        "message": f"This run publishes to {preview.where}. Nothing was sent. "
                        "Show the plan to the user and call again with confirm: true.",
                    }
                )
            chosen.update(files=files, options=run_options)
            status, _ = runs.start(files, run_options)
            return Answer(status, error=status.get("status") in ("invalid", "error"))

        result = await answer(call)
        if not wait_seconds or "files" not in chosen:
            return result
        files, run_options = chosen["files"], chosen["options"]
        deadline = anyio.current_time() + wait_seconds
        while anyio.current_time() < deadline:
            working, last = runs.progress(files, run_options)
            if last is not None and last.total:
                await ctx.report_progress(last.done, last.total, last.message)
            if not working:
                break
            await anyio.sleep(0.5)
        final = runs.status(files, run_options)
        return await answer(lambda: Answer(final, error=final["status"] in ("invalid", "error")))

    @server.tool(
        description="The state of a calendar's run: running/done/pending/failed, done, "
        "pending, failed and in-doubt posts, counted requests sent, next quota window (from "
        "the journal, as `calendar-sched status --json`). Offline; costs nothing."
    )
    async def run_status(path: PathArg = None, rows: RowsArg = None) -> CallToolResult:
        def call() -> Answer:
            files = space.calendar_files(path, rows)
            return Answer(runs.status(files, RunOptions()))

        return await answer(call)

    @server.tool(
        description="Write the calendar's rows (or one row per post) with status, post ids, "
        "UTC time and errors to a CSV, XLSX or JSON file and return its path (`calendar-sched "
        "export --json`); default file under <workspace>/exports/. Offline from the journal; "
        "refresh asks the target for current states with one free GET /posts."
    )
    async def export_results(
        path: PathArg = None,
        rows: RowsArg = None,
        format: Literal["csv", "xlsx", "json"] = "csv",
        out: Annotated[str | None, Field(description="File to write (default: workspace).")] = None,
        per_post: bool = False,
        refresh: bool = False,
    ) -> CallToolResult:
        def call() -> Answer:
            files = space.calendar_files(path, rows)
            data = outputs.export_results(
                files, space, out=out, file_format=format, per_post=per_post, refresh=refresh
            )
            return Answer(data)

        return await answer(call)

    @server.tool(
        description="Write the target's existing posts between two days as an editable "
        "calendar file (YAML, CSV or XLSX; `calendar-sched pull --json`) and return its path; "
        "running that file sends only the edits. One free GET /posts, no counted request."
    )
    async def pull_posts(
        from_date: Annotated[str, Field(description="First day, YYYY-MM-DD.")],
        to_date: Annotated[str, Field(description="Last day (whole day), YYYY-MM-DD.")],
        channels: Annotated[
            str | None, Field(description="Only these channels (comma-separated).")
        ] = None,
        timezone: str = "UTC",
        format: Literal["yaml", "csv", "xlsx"] = "yaml",
        out: Annotated[str | None, Field(description="File to write (default: workspace).")] = None,
    ) -> CallToolResult:
        def call() -> Answer:
            data = outputs.pull_posts(
                from_date,
                to_date,
                space,
                channels=channels,
                timezone=timezone,
                out=out,
                file_format=format,
            )
            return Answer(data)

        return await answer(call)

    @server.resource(
        SCHEMA_URI,
        name="calendar-schema",
        description="JSON Schema of a calendar (YAML/JSON form; inline rows are its posts).",
        mime_type="application/schema+json",
    )
    def schema() -> str:
        return json.dumps(calendar_schema(), indent=2, ensure_ascii=False)

    @server.resource(
        CODES_URI,
        name="report-codes",
        description="The catalogue of report codes: code, title, severity (error or warning).",
        mime_type="application/json",
    )
    def codes() -> str:
        rows = [
            {"code": t.code, "title": t.title, "severity": t.severity} for t in CATALOGUE.values()
        ]
        return json.dumps(rows, indent=2)

    return server


def serve(
    *,
    workspace: Path = DEFAULT_WORKSPACE,
    http: bool = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve until stopped: over stdio (what desktop clients launch), or streamable HTTP."""
    server = build_server(workspace)
    if http:
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
