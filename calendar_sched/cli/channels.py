"""``calendar-sched channels``: the account's channels and the settings each provider requires."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from calendar_sched.cli import render
from calendar_sched.cli.common import target_backend
from calendar_sched.cli.options import exit_codes, output_options
from calendar_sched.load.channels import label, load_channels_file
from calendar_sched.models import Channel
from calendar_sched.report import count
from calendar_sched.targets.postiz.backend import PostizBackend


@click.command("channels")
@click.option(
    "--channels-file",
    type=click.Path(exists=True, dir_okay=False),
    help="List this file's channels (GET /integrations shape) instead of asking the server.",
)
@output_options
@exit_codes
def channels_command(channels_file: str | None, as_json: bool) -> None:
    """List the channels of the configured account (or the built-in sandbox)."""
    if channels_file:
        found = load_channels_file(channels_file)
        rows = describe(found, PostizBackend(), live=False)
        source = channels_file
    else:
        with target_backend(sandbox_label="built-in sandbox") as (backend, source):
            rows = describe(backend.discover(), backend, live=True)
    if as_json:
        render.print_json(rows)
        return
    out = render.console()
    table = Table(title=f"Channels ({source})", title_justify="left")
    for column in ("Reference", "Id", "Name", "Disabled", "Required settings"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["reference"],
            row["id"],
            row["name"],
            "yes" if row["disabled"] else "",
            ", ".join(row["required_settings"]),
        )
    out.print(table)
    out.print(f"{count(len(rows), 'channel')}; use a reference or an id in the `channels` column")


def describe(
    channels: list[Channel], backend: PostizBackend, *, live: bool
) -> list[dict[str, Any]]:
    """One row per channel: the ``GET /integrations`` fields plus reference and settings."""
    return [
        {
            **asdict(channel),
            "reference": label(channel),
            "required_settings": backend.required_settings(channel, live=live),
        }
        for channel in channels
    ]
