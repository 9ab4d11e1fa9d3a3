"""The YAML/JSON calendar format as pydantic models, its JSON Schema, and Entry → item.

These models describe what a user *writes* (loose: strings or lists, aliases); ``models.Entry``
is what normalisation makes of it. ``scripts/make_schemas.py`` writes the schema to
``schemas/calendar.schema.json``; a test fails when the committed file is stale.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from calendar_sched.models import Entry

SCHEMA_ID = "https://calendar-sched.invalid/schemas/calendar.schema.json"

#: Other names accepted for each key (any case; spaces, ``-`` and ``_`` are equivalent).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("key",),
    "publish_at": ("at", "datetime", "scheduled_at", "post_date", "date and time", "publish"),
    "timezone": ("tz", "time_zone"),
    "channels": ("channel", "platform", "account", "profile", "integration"),
    "text": ("content", "message", "caption", "body"),
    "link": ("url",),
    "media": ("image", "images", "media_url", "media_urls", "video"),
    "thread": ("comments",),
    "tags": ("tag",),
    "short_link": ("shortlink",),
    "repeat_every_days": ("repeat", "repeat_days"),
}


def _about(key: str, text: str) -> str:
    aliases = ALIASES.get(key)
    return text + (f" Aliases: {', '.join(aliases)}." if aliases else "")


StrList = str | list[str]


class ThreadItemInput(BaseModel):
    """A follow-up item: a comment or thread reply after the main post."""

    model_config = ConfigDict(extra="forbid", title="ThreadItem")

    text: str | None = Field(default=None, description="Text of the follow-up.")
    media: StrList | None = Field(
        default=None, description="Local paths or https URLs, a list or separated by |."
    )
    delay: int | None = Field(
        default=None, ge=0, description="Minutes to wait after the previous item."
    )


class PostInput(BaseModel):
    """One calendar entry (one spreadsheet row)."""

    model_config = ConfigDict(
        extra="allow",
        title="Post",
        json_schema_extra={
            "patternProperties": {
                r"^text\.[a-z0-9-]+$": {
                    "type": "string",
                    "description": "Text for one platform, e.g. text.x (flat form of text).",
                },
                r"^thread\.[0-9]+$": {
                    "type": "string",
                    "description": "Follow-up item n, e.g. thread.1 (flat form of thread).",
                },
                r"^settings\.[a-z0-9-]+\..+$": {
                    "description": "One platform setting, e.g. settings.youtube.title.",
                },
            }
        },
    )

    id: str | int | None = Field(
        default=None,
        description=_about("id", "Stable key of the entry; unique. Default: derived from content."),
    )
    publish_at: str | datetime | None = Field(
        default=None,
        description=_about(
            "publish_at",
            "When to publish: ISO 8601 (offset optional), dd.mm.yyyy HH:MM, mm/dd/yyyy or "
            "dd/mm/yyyy (decided per file), 12-hour times with AM/PM. Or use date + time.",
        ),
    )
    date: str | dt.date | None = Field(default=None, description="The date, with a separate time.")
    time: str | None = Field(default=None, description="The time of day, with date.")
    timezone: str | None = Field(
        default=None,
        description=_about("timezone", "IANA zone for this entry, e.g. Europe/Berlin."),
    )
    channels: StrList | None = Field(
        default=None,
        description=_about(
            "channels",
            "Channel references: integration id, identifier:profile (linkedin-page:acme-inc), "
            "an identifier with one channel (x) or a channel name. A list, or separated by "
            ", ; | or newlines. Default: --default-channels.",
        ),
    )
    text: str | dict[str, str] | None = Field(
        default=None,
        description=_about(
            "text", "The post text, or {default: …, <identifier>: …} with per-platform texts."
        ),
    )
    link: str | None = Field(
        default=None, description=_about("link", "A URL appended to the text on its own line.")
    )
    media: StrList | None = Field(
        default=None,
        description=_about(
            "media",
            "Images/videos: local paths (relative to the calendar file) or https URLs ending in "
            ".png .jpg .jpeg .gif .webp .mp4; a list, or separated by | or newlines.",
        ),
    )
    thread: list[str | ThreadItemInput] | str | None = Field(
        default=None,
        description=_about(
            "thread",
            "Follow-up items (comments / thread replies): strings or {text, media, delay}. "
            "Flat form: thread.1, thread.2 (aliases comment, first_comment for thread.1).",
        ),
    )
    type: Literal["schedule", "draft", "now"] | None = Field(
        default=None, description="schedule (default), draft or now."
    )
    tags: StrList | None = Field(
        default=None, description=_about("tags", "Postiz tag names (existing tags only).")
    )
    short_link: bool | None = Field(
        default=None,
        description=_about("short_link", "Ask Postiz to shorten links (default false)."),
    )
    repeat_every_days: int | None = Field(
        default=None,
        ge=0,
        description=_about("repeat_every_days", "Repeat the post every N days."),
    )
    settings: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Per-platform settings: {youtube: {title: …, type: public}, x: {…}}.",
    )


class CalendarFile(BaseModel):
    """A calendar-sched YAML or JSON calendar file."""

    model_config = ConfigDict(extra="forbid", title="calendar-sched calendar")

    timezone: str | None = Field(
        default=None, description="IANA zone for entries without their own timezone."
    )
    defaults: PostInput | None = Field(
        default=None, description="Fields every entry gets unless it sets them itself."
    )
    slots: str | list[str | int] | dict[str, Any] | None = Field(
        default=None,
        description="Posting slots for entries with a date but no time (docs/queue.md): "
        '"mon-fri 09:00,12:30; sat 10:00", a list of times, or {times: …, mon-fri: …, gap: '
        "minutes, channels: {x: …}}.",
    )
    posts: list[PostInput] = Field(description="The entries. Alias: entries.")


def calendar_schema() -> dict[str, Any]:
    """The JSON Schema of a YAML/JSON calendar file."""
    schema = CalendarFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def entry_to_item(entry: Entry) -> dict[str, Any]:
    """One Entry written back as a YAML/JSON calendar item that normalises to the same Entry."""
    item: dict[str, Any] = {
        "id": entry.key,
        "publish_at": entry.publish_at.isoformat(),
        "timezone": entry.timezone,
        "channels": list(entry.channels),
        "type": entry.type,
    }
    if entry.text_overrides:
        item["text"] = {"default": entry.text, **entry.text_overrides}
    elif entry.text:
        item["text"] = entry.text
    if entry.media:
        item["media"] = [m.source for m in entry.media]
    if entry.thread:
        item["thread"] = [
            {"text": t.text, "media": [m.source for m in t.media], "delay": t.delay}
            for t in entry.thread
        ]
    if entry.tags:
        item["tags"] = list(entry.tags)
    if entry.short_link:
        item["short_link"] = True
    if entry.repeat_every_days:
        item["repeat_every_days"] = entry.repeat_every_days
    if entry.settings:
        item["settings"] = entry.settings
    return item


def entries_to_calendar(entries: list[Entry]) -> dict[str, Any]:
    """A whole calendar document (``{posts: [...]}``) for ``yaml.safe_dump`` / ``json.dumps``."""
    return {"posts": [entry_to_item(entry) for entry in entries]}
