"""``calendar-sched status``: what the journal says is done, pending, failed and in doubt."""

from __future__ import annotations

import time

import click
from rich.table import Table

from calendar_sched.cli import render
from calendar_sched.cli.options import exit_codes, journal_option, output_options, resolve_journal
from calendar_sched.report import count
from calendar_sched.run.journal import read_state
from calendar_sched.run.status import journal_status


@click.command("status")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@journal_option("Journal file (default: <FILE>.journal.jsonl beside the calendar).")
@output_options
@exit_codes
def status_command(file: str, journal_file: str | None, as_json: bool) -> None:
    """Show what the run journal of FILE says: done, pending, failed, in doubt (offline)."""
    path = resolve_journal(journal_file, file)
    state = read_state(path)
    data = journal_status(state, now=time.time())
    if as_json:
        render.print_json(data)
        return
    out = render.console()
    if not path.exists():
        out.print(f"No journal at {path}: nothing has run for this calendar yet.")
        return
    if state.damaged:
        out.print(
            f"warning: {count(state.damaged, 'damaged journal line')} left out; the next run "
            "keeps a copy of the journal and repairs it"
        )
    extra = data["extra_requests"]
    retried = f" ({extra} of them retries or split parts)" if extra else ""
    out.print(
        f"{data['done']} done, {data['pending']} pending, {data['failed']} failed, "
        f"{data['in_doubt']} in doubt · {count(data['requests_sent'], 'counted request')} "
        f"sent{retried}"
    )
    now = time.time()
    next_window = state.next_window_at(now)
    if next_window is not None:
        out.print(
            f"Next quota window: {data['next_window_at']} (in {render.duration(next_window - now)})"
        )
    if data["eta_seconds"] is not None:
        out.print(f"ETA of the rest, if resumed now: {render.duration(data['eta_seconds'])}")
    shown = [p for p in data["posts"] if p["state"] != "done"]
    if shown:
        table = Table(title="Not done", title_justify="left")
        for column in ("Post", "Channel", "State", "Message"):
            table.add_column(column, overflow="fold")
        for item in shown:
            where = state.names.get(item["key"], item["key"])
            channel = item.get("channel") or item.get("channel_id") or ""
            table.add_row(where, channel, item["state"], item.get("message") or "")
        out.print(table)
    if data["in_doubt"]:
        out.print("Posts in doubt are checked against the server on the next run (no resend).")
