"""The tools that write files: ``export_results`` (a run's results) and ``pull_posts``.

Both call what ``export`` and ``pull`` call and answer with their ``--json``; files go where
the agent says, else under the workspace (``exports/``, ``pulled/``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.load.channels import split_refs
from calendar_sched.mcp.workspace import Workspace, input_error
from calendar_sched.plan.duplicates import listing_range
from calendar_sched.run.journal import journal_path_for, read_state
from calendar_sched.sheets.outcomes import journal_outcomes, refresh_outcomes
from calendar_sched.sheets.pull import listing_window, pull_calendar
from calendar_sched.sheets.results import export_rows, export_summary
from calendar_sched.targets.connect import STATE_DIR, connect


def export_results(
    files: list[Path],
    workspace: Workspace,
    *,
    out: str | None,
    file_format: str,
    per_post: bool,
    refresh: bool,
) -> dict[str, Any]:
    """``export --json``: the calendar's rows (or Posts) with status, ids and errors, in a file."""
    if len(files) > 1 and not per_post:
        raise input_error("write-back takes one calendar; use per_post for several", field="path")
    name = f"{files[0].stem}-{'posts' if per_post else 'results'}.{file_format}"
    target = workspace.output("exports", name, out)
    if target.suffix.lower() not in (".csv", ".xlsx", ".json"):
        raise input_error("out must end in .csv, .xlsx or .json", field="out")
    if target.resolve() in {f.resolve() for f in files}:
        raise input_error("out must not be the calendar itself", field="out")
    journal = journal_path_for(files[0])
    state = read_state(journal)
    recorded = (
        list(state.channels) if state.channels else None
    )  # the channels the run resolved against
    checked = validate([str(f) for f in files], ValidateOptions(channels=recorded))
    outcomes = journal_outcomes(checked.posts, journal)
    summary = export_summary(journal, state, checked.report.errors)
    if refresh and checked.posts:
        start, end = listing_range(checked.posts)
        with connect("postiz", state_dir=STATE_DIR) as opened:
            outcomes = refresh_outcomes(outcomes, opened.backend.list_posts(start, end))
            summary["refreshed_from"] = opened.where
    result = export_rows(
        files[0],
        outcomes,
        target,
        per_post=per_post,
        summary=summary,
        row_errors=checked.report.errors,
    )
    return {
        "path": str(result.path.resolve()),
        "format": result.format,
        "rows": result.rows,
        "statuses": result.statuses,
    }


def pull_posts(
    start: str,
    end: str,
    workspace: Workspace,
    *,
    channels: str | None,
    timezone: str,
    out: str | None,
    file_format: str,
) -> dict[str, Any]:
    """``pull --json``: the account's posts between two days as an editable calendar file."""
    try:
        where = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise input_error(f"unknown zone {timezone!r}", field="timezone") from None
    first, last = listing_window(_day(start, "from_date", where), _day(end, "to_date", where))
    if last < first:
        raise input_error("to_date must not be before from_date", field="to_date")
    target = workspace.output("pulled", f"pulled-{first:%Y%m%d}-{last:%Y%m%d}.{file_format}", out)
    with connect("postiz", state_dir=STATE_DIR) as opened:
        result = pull_calendar(
            opened.backend,
            first,
            last,
            target,
            channel_refs=split_refs(channels or ""),
            timezone=timezone,
        )
    return {"path": str(result.path.resolve()), "entries": result.entries, "states": result.states}


def _day(text: str, field: str, where: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise input_error(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=where)
