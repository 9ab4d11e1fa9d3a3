"""``calendar-sched status``: what the journal says is done, pending, failed and in doubt."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table

from calendar_sched.cli import render
from calendar_sched.cli.options import exit_codes, journal_option, output_options, resolve_journal
from calendar_sched.models import utc_iso
from calendar_sched.report import count
from calendar_sched.run.journal import JournalState, read_state


@click.command("status")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@journal_option("Journal file (default: <FILE>.journal.jsonl beside the calendar).")
@output_options
@exit_codes
def status_command(file: str, journal_file: str | None, as_json: bool) -> None:
    """Show what the run journal of FILE says: done, pending, failed, in doubt (offline)."""
    path = resolve_journal(journal_file, file)
    state = read_state(path)
    data = status_json(state, now=time.time())
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


def status_json(state: JournalState, *, now: float) -> dict[str, Any]:
    """The ``status --json`` shape: counts, then one entry per Post."""
    posts: list[dict[str, Any]] = []
    keys = list(state.planned) + [k for k in (*state.done, *state.failed) if k not in state.planned]
    pending = set(state.pending_keys())
    for key in dict.fromkeys([*keys, *state.in_doubt]):
        done, failed = state.done.get(key), state.failed.get(key)
        item: dict[str, Any] = {"key": key}
        if key in state.in_doubt:
            item["state"] = "in_doubt"
        elif key in pending:
            item["state"] = "pending" if done is None else "pending_update"
        elif failed is not None:
            item.update(state="failed", message=failed.message, code=failed.code)
        elif done is not None:
            item["state"] = "already_published" if done.already_published else "done"
        else:
            continue
        if done is not None:
            item["remote_id"] = done.remote_id
        item.update(_channel_of(state, key))
        posts.append(item)
    next_window = state.next_window_at(now)
    counts = {name: sum(1 for p in posts if p["state"] == name) for name in ("failed", "in_doubt")}
    return {
        "done": sum(1 for p in posts if p["state"] in ("done", "already_published")),
        "pending": sum(1 for p in posts if p["state"].startswith("pending")),
        "failed": counts["failed"],
        "in_doubt": counts["in_doubt"],
        "requests_sent": state.requests_sent,
        "extra_requests": state.extra_requests,
        "last_request": state.last_request,
        "next_window_at": (
            utc_iso(datetime.fromtimestamp(next_window, UTC)) if next_window else None
        ),
        "eta_seconds": state.eta_seconds(now),
        "posts": posts,
    }


def _channel_of(state: JournalState, key: str) -> dict[str, str]:
    """The channel a Post went to, as the run resolved it (id, and name when recorded)."""
    planned, done = state.planned.get(key), state.done.get(key)
    channel_id = (planned.channel_id if planned else "") or (done.channel_id if done else "")
    entry, _, last = key.rpartition("@")  # a key is <entry key>@<channel id>
    if not channel_id and last in state.entry_channels.get(entry, ()):
        channel_id = last  # failed before it was planned (a channel the target lacks)
    if not channel_id:
        return {}
    channel = state.channel(channel_id)
    return {"channel_id": channel_id, **({"channel": channel.name} if channel else {})}
