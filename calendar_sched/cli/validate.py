"""``calendar-sched validate``: check calendar files and list every problem, row by row."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table

from calendar_sched.check.validation import FileSummary, Validation
from calendar_sched.check.validation import validate as run_validate
from calendar_sched.cli import collector_paused
from calendar_sched.cli.options import (
    EXIT_INVALID,
    EXIT_OK,
    SourceArgs,
    exit_codes,
    output_options,
    source_args,
)
from calendar_sched.load.dates import DateProblem, zone
from calendar_sched.report import RowError
from calendar_sched.targets.connect import account_channels

_ZONE_NOTES = {
    "file": ", from the file",
    "option": "",
    "machine": ", this machine's zone",
    "fallback": ": this machine's zone is unknown, pass --timezone",
}


@click.command()
@source_args
@output_options
@click.option(
    "--check-urls",
    is_flag=True,
    help="Also fetch the head of every remote media URL (HEAD, else a ranged GET) and report "
    "the ones Postiz could not upload (media-unreachable, bad-media-type). Needs the network.",
)
@exit_codes
def validate(source: SourceArgs, as_json: bool, check_urls: bool) -> None:
    """Check calendar files and list every problem, row by row (exit 1 when any)."""
    if source.timezone is not None:
        try:
            zone(source.timezone)
        except DateProblem as problem:
            raise click.BadParameter(problem.message, param_hint="--timezone") from None
    with collector_paused():
        result = run_validate(source.files, source.validate_options(account_channels))
    if check_urls:
        # Loaded only when asked for: plain validate stays offline and quick to start.
        from calendar_sched.check.urls import check_urls as probe_urls

        found = probe_urls(result.posts)
        result.report.extend(found)
        for summary in result.files:
            summary.errors += sum(1 for problem in found if problem.file == summary.file)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        render(result, Console(highlight=False))
    raise click.exceptions.Exit(EXIT_OK if result.report.valid else EXIT_INVALID)


def render(result: Validation, console: Console) -> None:
    """The problem table (errors, then dimmer warnings) and one summary line per file."""
    report = result.report
    problems = report.errors + report.warnings
    if problems:
        several = len({p.file for p in problems if p.file}) > 1
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        if several:
            table.add_column("File", no_wrap=True)
        table.add_column("Row", justify="right", no_wrap=True)
        table.add_column("Field", overflow="fold", max_width=24)
        table.add_column("Code", no_wrap=True)
        table.add_column("Message", overflow="fold", ratio=1)
        for problem in problems:
            table.add_row(*_cells(problem, several), style=_style(problem))
        console.print(table)
    for summary in result.files:
        console.print(summary_line(summary), soft_wrap=True)
    if result.demo_channels:
        console.print(
            "Channels were checked against the built-in sandbox's demo channels; use "
            "--channels-file or POSTIZ_API_URL/POSTIZ_API_KEY to check against your own.",
            soft_wrap=True,
        )


def summary_line(summary: FileSummary) -> str:
    """``december.csv: 60 entries, 214 posts on 7 channels, 0 errors, 2 warnings (…)``."""
    zone_text = ""
    default = ""
    if summary.timezone:
        default = f"{summary.timezone}{_ZONE_NOTES[summary.timezone_source]}"
    if summary.row_zones and summary.default_zone_used:
        zone_text = (
            f" (times read in {default}; rows with a timezone: {', '.join(summary.row_zones)})"
        )
    elif summary.row_zones:
        zone_text = f" (times read in {', '.join(summary.row_zones)}, from the timezone column)"
    elif default:
        zone_text = f" (times read in {default})"
    return (
        f"{Path(summary.file).name}: {_count(summary.entries, 'entry', 'entries')}, "
        f"{_count(summary.posts, 'post')} on {_count(summary.channels, 'channel')}, "
        f"{_count(summary.errors, 'error')}, {_count(summary.warnings, 'warning')}{zone_text}"
    )


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _cells(problem: RowError, several: bool) -> list[str]:
    cells = [
        "" if problem.row is None else str(problem.row),
        problem.field or "",
        problem.code,
        problem.message,
    ]
    if several:
        cells.insert(0, Path(problem.file).name if problem.file else "")
    return cells


def _style(problem: RowError) -> str:
    return "dim" if problem.severity == "warning" else ""
