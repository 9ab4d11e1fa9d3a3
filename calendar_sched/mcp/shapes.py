"""The JSON a tool answers with: the same keys as the commands' ``--json``.

The validation report and the account comparison shape themselves (``Validation.to_dict``,
``ExistingCheck.to_dict``), for the commands and the tools alike; these are the other figures,
built with the keys the commands use (the commands' own code imports click and rich).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from calendar_sched.load.channels import label
from calendar_sched.models import Channel
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
