"""What a run's journal says, offline: the shape of ``status --json`` and of ``run_status``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from calendar_sched.models import utc_iso
from calendar_sched.run.journal import JournalState

#: States counted under another state's name in the totals.
_COUNTED_AS = {"already_published": "done", "pending_update": "pending"}


def journal_status(state: JournalState, *, now: float, per_post: bool = True) -> dict[str, Any]:
    """``status --json`` (and the MCP ``run_status``): counts, then one entry per Post (only
    the counts with ``per_post=False``: a large run's list is not made to be dropped)."""
    posts: list[dict[str, Any]] = []
    counts = dict.fromkeys(("done", "pending", "failed", "in_doubt"), 0)
    keys = list(state.planned) + [k for k in (*state.done, *state.failed) if k not in state.planned]
    pending = set(state.pending_keys())
    for key in dict.fromkeys([*keys, *state.in_doubt]):
        done, failed = state.done.get(key), state.failed.get(key)
        if key in state.in_doubt:
            name = "in_doubt"
        elif key in pending:
            name = "pending" if done is None else "pending_update"
        elif failed is not None:
            name = "failed"
        elif done is not None:
            name = "already_published" if done.already_published else "done"
        else:
            continue
        counts[_COUNTED_AS.get(name, name)] += 1
        if not per_post:
            continue
        item: dict[str, Any] = {"key": key, "state": name}
        if name == "failed" and failed is not None:
            item.update(message=failed.message, code=failed.code)
        if done is not None:
            item["remote_id"] = done.remote_id
        item.update(_channel_of(state, key))
        posts.append(item)
    next_window = state.next_window_at(now)
    found: dict[str, Any] = {
        **counts,
        "requests_sent": state.requests_sent,
        "extra_requests": state.extra_requests,
        "last_request": state.last_request,
        "next_window_at": (
            utc_iso(datetime.fromtimestamp(next_window, UTC)) if next_window else None
        ),
        "eta_seconds": state.eta_seconds(now),
    }
    if per_post:
        found["posts"] = posts
    return found


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
