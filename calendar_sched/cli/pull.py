"""``calendar-sched pull``: the account's existing posts as an editable calendar file."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from calendar_sched.cli import render
from calendar_sched.cli.common import target_backend
from calendar_sched.cli.options import exit_codes, output_options, output_path
from calendar_sched.load.channels import split_refs
from calendar_sched.report import count
from calendar_sched.sheets.pull import listing_window, pull_calendar

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


@click.command("pull")
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(_DATE_FORMATS),
    help="First day (or instant) to pull, in --timezone.",
)
@click.option(
    "--to",
    "end",
    required=True,
    type=click.DateTime(_DATE_FORMATS),
    help="Last day to pull (the whole day), or an instant, in --timezone.",
)
@click.option("--channels", "channel_refs", help="Only these channels (comma-separated).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Calendar file to write: .yaml, .csv or .xlsx.",
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="IANA zone for --from/--to and for the times written.",
)
@output_options
@exit_codes
def pull_command(
    start: datetime,
    end: datetime,
    channel_refs: str | None,
    out: str,
    timezone: str,
    as_json: bool,
) -> None:
    """Write existing posts (all states) as a calendar; `run` on it sends only your edits."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown zone {timezone!r}", param_hint="--timezone") from None
    first, last = listing_window(start.replace(tzinfo=zone), end.replace(tzinfo=zone))
    if last < first:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    out_path = output_path(out, hint="--out", suffixes=(".yaml", ".yml", ".csv", ".xlsx"))
    with target_backend() as (backend, source):
        result = pull_calendar(
            backend,
            first,
            last,
            out_path,
            channel_refs=split_refs(channel_refs or ""),
            timezone=timezone,
        )
    if as_json:
        render.print_json(
            {"path": str(result.path), "entries": result.entries, "states": result.states}
        )
        return
    states = ", ".join(f"{n} {state.lower()}" for state, n in sorted(result.states.items()))
    click.echo(
        f"Pulled {count(result.entries, 'post')} from {source} into {result.path}"
        + (f" ({states})" if states else "")
    )
    click.echo("Comments (thread replies) are not listed by the API, so they are not included.")
