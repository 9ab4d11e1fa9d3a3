"""The calendar model: Position, Channel, MediaRef, ThreadItem, Entry, PostValue and Post.

An Entry is one row of a spreadsheet or one item of a YAML/JSON file, already normalised
(timezone-aware instant, resolved media, thread items). A Post is one Entry on one channel:
the unit the server stores and the journal tracks.

These are plain slotted dataclasses: validation builds them by the hundred thousand from values
it has already checked, so they check nothing themselves. What a user writes is validated where
it is read (``load/``); channel lists from an API or a file by ``load.channels.parse_channels``.
Keyword arguments only, as the pydantic models they replace took them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from calendar_sched import identity

PostType = Literal["schedule", "draft", "now"]
MediaKind = Literal["image", "video"]


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Position:
    """Where a record sits in its source, as the user sees it.

    A value, as ``Entry`` and ``Post``: never changed in place. Not frozen only because a
    frozen dataclass is made four times slower, and a calendar makes one Position per row.
    """

    file: str
    sheet: str | None = None
    row: int | None = None  # spreadsheet row number: header = 1, first data row = 2
    index: int | None = None  # YAML/JSON item index (0-based)
    line: int | None = None  # YAML line (1-based)

    def label(self) -> str:
        """Short human label: ``row 5`` or ``item 3 (line 12)``."""
        if self.row is not None:
            return f"row {self.row}"
        if self.index is not None:
            return f"item {self.index}" + (f" (line {self.line})" if self.line else "")
        return self.file


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """A connected account, in the shape of Postiz ``GET /public/v1/integrations``."""

    id: str
    name: str
    identifier: str
    picture: str | None = None
    disabled: bool = False
    profile: str | None = None
    customer: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaRef:
    """One media item: a local file (relative to the calendar) or an https URL."""

    source: str  # the reference as written in the calendar
    path: str | None = None  # absolute local path, for files
    url: str | None = None  # https URL, for remote media
    kind: MediaKind = "image"
    sha256: str | None = None  # content hash of a local file
    size: int | None = None

    @property
    def dedupe_key(self) -> str:
        """Same file or URL → same key, so each is uploaded once per account."""
        return f"sha256:{self.sha256}" if self.sha256 else f"url:{self.url or self.source}"


@dataclass(slots=True, kw_only=True)
class ThreadItem:
    """A follow-up item (comment / thread reply) after the main post."""

    text: str = ""
    media: list[MediaRef] = field(default_factory=list)
    delay: int = 0  # minutes after the previous item, 0 or more (checked by normalize)


@dataclass(frozen=True, slots=True)
class Queued:
    """A row with a day but no time: the posting queue picks its slot (``plan/slots.py``)."""

    day: date  # in the calendar's zone
    any_day: bool = False  # ``publish_at: queue``: this day (``--queue-from``) or a later one


@dataclass(slots=True, kw_only=True)
class Entry:
    """One calendar row or item, normalised.

    A value, as ``Post``: entries from ``validate`` share empty containers, so never change
    one in place.
    """

    key: str  # the `id` column, else derived from the content
    position: Position
    publish_at: datetime  # timezone-aware publish instant
    timezone: str  # IANA zone the local time was read in
    channels: list[str]  # channel references as written
    type: PostType = "schedule"
    text: str = ""
    text_overrides: dict[str, str] = field(default_factory=dict)  # by identifier (e.g. `x`)
    media: list[MediaRef] = field(default_factory=list)
    thread: list[ThreadItem] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # by identifier
    short_link: bool = False
    repeat_every_days: int | None = None
    queued: Queued | None = None  # no time given: ``publish_at`` is the day's start until placed

    def text_for(self, identifier: str) -> str:
        """The main text for a provider: its override, else the default text."""
        return self.text_overrides.get(identifier, self.text)


@dataclass(slots=True, kw_only=True)
class PostValue:
    """One item of a Post's thread as sent: main post first, then follow-ups."""

    text: str
    media: list[MediaRef] = field(default_factory=list)
    delay: int = 0


@dataclass(slots=True, kw_only=True)
class Post:
    """One Entry on one resolved channel: what the server stores and the journal tracks.

    Posts are values: ``validate`` lets Posts alike share their ``values``, ``settings`` and
    ``tags`` (a quarter of a million Posts, a fraction of the memory), so never change them in
    place; ``dataclasses.replace`` with new ones makes a changed Post.
    """

    entry_key: str
    position: Position
    channel: Channel
    publish_at: datetime  # UTC publish instant
    timezone: str = "UTC"  # IANA zone of the row (PostSyncer's)
    type: PostType = "schedule"
    values: list[PostValue]
    settings: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    short_link: bool = False
    repeat_every_days: int | None = None
    queued: bool = False  # its entry has no time: the posting queue chose ``publish_at``

    @property
    def key(self) -> str:
        """Stable identity inside a calendar: ``<entry key>@<channel id>``."""
        return f"{self.entry_key}@{self.channel.id}"

    def describe(self, *, channel: bool = True) -> str:
        """How messages name a Post: ``month.csv row 12 on Acme X`` (file, row or item, channel)."""
        name = self.position.file.replace("\\", "/").rsplit("/", 1)[-1]
        where = f"{name} {self.position.label()}"
        return f"{where} on {self.channel.name}" if channel else where

    def value_id(self, fingerprint: str, position: int) -> str:
        """Deterministic id of thread item ``position``, sent as Postiz ``value[].id``."""
        return identity.value_id(self.key, fingerprint, position)

    def content_hash(self) -> str:
        """Hash of everything the server stores; a changed Post becomes an update."""
        return identity.content_hash(self)


def utc_iso(moment: datetime) -> str:
    """``2026-12-01T09:00:00Z`` (UTC, second precision) for APIs and JSON output."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
