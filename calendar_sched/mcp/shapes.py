"""The JSON a tool answers with: the same keys as the commands' ``--json``.

The validation report and the account comparison shape themselves (``Validation.to_dict``,
``ExistingCheck.to_dict``), for the commands and the tools alike; these are the other figures,
built with the keys the commands use (the commands' own code imports click and rich).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from calendar_sched.load.channels import label
from calendar_sched.models import Channel, utc_iso
from calendar_sched.run.journal import JournalState
from calendar_sched.run.pipeline import Preview
from calendar_sched.targets.postiz.backend import PostizBackend


def preview_json(preview: Preview) -> dict[str, Any]:
    """``plan --json``'s figures (without the per-post and per-request lists)."""
    plan = preview.plan
    assert plan is not None
    data: dict[str, Any] = {
        "requests": plan.requests_counted,
        "lower_bound": plan.lower_bound,
        "naive_requests": plan.naive_requests,
        "windows": plan.windows,
        "eta_seconds": plan.eta_seconds,
        "late": plan.late,
        "posts": len(plan.posts),
        "uploads": len(plan.media),
        "skipped": plan.skipped,
        "limit": plan.limit,
        "reserve": plan.reserve,
        "window_seconds": plan.window_seconds,
        "target": preview.where,
        "embedded": preview.embedded,
    }
    check = preview.existing
    data["existing"] = None if check is None else check.to_dict()
    if preview.existing_error is not None:
        data["existing_error"] = preview.existing_error
    return data


def channels_json(channels: list[Channel], backend: PostizBackend, *, live: bool) -> list[Any]:
    """``channels --json``: the ``GET /integrations`` fields plus reference and settings."""
    return [
        {
            **asdict(channel),
            "reference": label(channel),
            "required_settings": backend.required_settings(channel, live=live),
        }
        for channel in channels
    ]


def journal_counts(state: JournalState, *, now: float) -> dict[str, Any]:
    """``status --json``'s counts: done, pending, failed, in doubt, requests, next window."""
    pending = set(state.pending_keys())
    done = sum(1 for k in state.done if k not in pending and k not in state.in_doubt)
    failed = sum(1 for k in state.failed if k not in pending and k not in state.done)
    next_window = state.next_window_at(now)
    return {
        "done": done,
        "pending": len(pending),
        "failed": failed,
        "in_doubt": len(state.in_doubt),
        "requests_sent": state.requests_sent,
        "extra_requests": state.extra_requests,
        "next_window_at": (
            utc_iso(datetime.fromtimestamp(next_window, UTC)) if next_window else None
        ),
        "eta_seconds": state.eta_seconds(now),
    }
