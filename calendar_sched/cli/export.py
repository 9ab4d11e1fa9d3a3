"""``calendar-sched export``: the calendar's rows back with post ids, status and errors."""

from __future__ import annotations

from pathlib import Path

import click

from calendar_sched.check.validation import validate
from calendar_sched.cli import collector_paused, render
from calendar_sched.cli.common import target_backend
from calendar_sched.cli.options import (
    SourceArgs,
    exit_codes,
    journal_option,
    output_options,
    output_path,
    resolve_journal,
    source_args,
)
from calendar_sched.plan.duplicates import listing_range
from calendar_sched.report import count
from calendar_sched.run.journal import read_state
from calendar_sched.sheets.outcomes import journal_outcomes, refresh_outcomes
from calendar_sched.sheets.page import write_export_page
from calendar_sched.sheets.results import export_rows, export_summary


@click.command("export")
@source_args
@click.option(
    "--to",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="File to write: .csv, .xlsx, .json, or .html (a calendar page of the posts).",
)
@click.option("--per-post", is_flag=True, help="One row per post instead of the source rows.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Ask the server for current states (one free GET /posts): published, failed…",
)
@journal_option("Run journal to read (default: <first FILE>.journal.jsonl).")
@output_options
@exit_codes
def export_command(
    source: SourceArgs,
    out: str,
    per_post: bool,
    refresh: bool,
    journal_file: str | None,
    as_json: bool,
) -> None:
    """Write FILE's rows with each row's status, post ids, UTC time and error (CSV/XLSX/JSON).

    A .html file is a calendar page instead: the month grid with each post's status and id.
    """
    files = source.files
    out_path = output_path(
        out, hint="--to", sources=files, suffixes=(".csv", ".xlsx", ".json", ".html", ".htm")
    )
    html = out_path.suffix.lower() in (".html", ".htm")
    if len(files) > 1 and not per_post and not html:
        raise click.UsageError("write-back takes one FILE; use --per-post for several")
    journal = resolve_journal(journal_file, files[0])
    state = read_state(journal)
    # Without --channels-file: the channels the run resolved against (its account's, or its
    # --channels-file), as the journal records them, so export names the same Posts, offline.
    recorded = state.channels
    read = source.validate_options(channels=lambda: list(recorded) if recorded else None)
    with collector_paused():
        checked = validate(list(files), read)
    outcomes = journal_outcomes(checked.posts, journal)
    summary = export_summary(journal, state, checked.report.errors)
    if refresh and checked.posts:
        start, end = listing_range(checked.posts)
        with target_backend() as (backend, where):
            outcomes = refresh_outcomes(outcomes, backend.list_posts(start, end))
        summary["refreshed_from"] = where
    if html:
        result = write_export_page(out_path, checked, outcomes, summary=summary)
    else:
        result = export_rows(
            Path(files[0]),
            outcomes,
            out_path,
            per_post=per_post,
            summary=summary,
            sheet=source.sheet,
            row_errors=checked.report.errors,
        )
    if as_json:
        render.print_json(
            {
                "path": str(result.path),
                "format": result.format,
                "rows": result.rows,
                "statuses": result.statuses,
            }
        )
        return
    counts = ", ".join(f"{n} {status}" for status, n in result.statuses.items()) or "no posts"
    click.echo(f"Wrote {count(result.rows, 'row')} to {result.path} ({counts})")
