"""A calendar as the peers see it: one row per post and channel, in the seed script's CSV shape.

A user of the per-row script keeps a CSV with ``integration_id, content, media_url,
schedule_time``; to compare on the same content, each calendar is turned into that shape: one row
per (calendar row × channel), UTC times, provider settings (with the defaults calendar-sched fills,
e.g. X ``who_can_reply_post``), and thread items. Generated calendars are converted directly from
the generator's rows; other calendars go through calendar-sched's own loader, so every tool
schedules exactly the same posts.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SEED_COLUMNS = [
    "integration_id",
    "content",
    "media_url",
    "schedule_time",
    "settings",
    "thread",
    "type",
    "entry",
]
_IDENTIFIERS = {
    "demo-x": "x",
    "demo-linkedin": "linkedin",
    "demo-linkedin-page": "linkedin-page",
    "demo-facebook": "facebook",
    "demo-threads": "threads",
    "demo-bluesky": "bluesky",
    "demo-mastodon": "mastodon",
    "demo-telegram": "telegram",
}
_DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {"x": {"who_can_reply_post": "everyone"}}

PeerRow = dict[str, Any]


def from_generated(calendar_rows: list[dict[str, str]]) -> list[PeerRow]:
    """Per-channel rows from ``bench/generate.py`` rows (channel ids, local time + zone)."""
    out: list[PeerRow] = []
    for row in calendar_rows:
        local = datetime.fromisoformat(row["publish_at"]).replace(tzinfo=ZoneInfo(row["timezone"]))
        when = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        thread = []
        if row["thread.1"]:
            thread.append({"content": row["thread.1"], "media": [], "delay": 0})
        for channel in row["channels"].split(","):
            identifier = _IDENTIFIERS[channel]
            out.append(
                {
                    "entry": row["id"],
                    "integration_id": channel,
                    "content": row["text"],
                    "media": [row["media"]] if row["media"] else [],
                    "schedule_time": when,
                    "settings": {"__type": identifier, **_DEFAULT_SETTINGS.get(identifier, {})},
                    "thread": thread,
                    "type": "schedule",
                }
            )
    return out


def _media_refs(media: list[Any]) -> list[str]:
    return [str(m.url or m.path or m.source) for m in media]


def from_posts(posts: list[Any]) -> list[PeerRow]:
    """Per-channel rows from calendar-sched ``Post`` values (the sample month's path)."""
    out: list[PeerRow] = []
    for post in posts:
        main, *rest = post.values
        out.append(
            {
                "entry": post.entry_key,
                "integration_id": post.channel.id,
                "content": main.text,
                "media": _media_refs(main.media),
                "schedule_time": post.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "settings": {"__type": post.channel.identifier, **post.settings},
                "thread": [
                    {"content": v.text, "media": _media_refs(v.media), "delay": v.delay}
                    for v in rest
                ],
                "type": post.type,
            }
        )
    return out


def write_seed_csv(rows: list[PeerRow], path: Path) -> Path:
    """Write rows as the per-row script's CSV (``media_url`` ``|``-separated, JSON extras)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    "integration_id": row["integration_id"],
                    "content": row["content"],
                    "media_url": "|".join(row["media"]),
                    "schedule_time": row["schedule_time"],
                    "settings": json.dumps(row["settings"]),
                    "thread": json.dumps(row["thread"]),
                    "type": row["type"],
                    "entry": row["entry"],
                }
            )
    return path


def write_json(rows: list[PeerRow], path: Path) -> Path:
    """Write rows as JSON (the CLI driver's input)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def from_calendar(path: Path, channels_file: Path) -> list[PeerRow]:
    """Per-channel rows of any calendar, through calendar-sched's own ``validate``."""
    from calendar_sched.check.validation import ValidateOptions, validate
    from calendar_sched.load.channels import validate_channels

    channels = validate_channels(json.loads(channels_file.read_text()))
    validation = validate([path], ValidateOptions(channels=channels))
    return from_posts(validation.posts)
