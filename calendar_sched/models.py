"""The calendar model: Channel, MediaRef, ThreadItem, Entry and Post.

An Entry is one row of a spreadsheet or one item of a YAML/JSON file, already normalised
(timezone-aware instant, resolved media, thread items). A Post is one Entry on one channel:
the unit the server stores and the journal tracks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from calendar_sched import identity

PostType = Literal["schedule", "draft", "now"]
MediaKind = Literal["image", "video"]


class Position(BaseModel):
    """Where a record sits in its source, as the user sees it."""

    model_config = ConfigDict(frozen=True)

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


class Channel(BaseModel):
    """A connected account, in the shape of Postiz ``GET /public/v1/integrations``."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    identifier: str
    picture: str | None = None
    disabled: bool = False
    profile: str | None = None
    customer: dict[str, Any] | None = None


class MediaRef(BaseModel):
    """One media item: a local file (relative to the calendar) or an https URL."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The reference as written in the calendar.")
    path: str | None = Field(default=None, description="Absolute local path, for files.")
    url: str | None = Field(default=None, description="https URL, for remote media.")
    kind: MediaKind = "image"
    sha256: str | None = Field(default=None, description="Content hash of a local file.")
    size: int | None = None

    @property
    def dedupe_key(self) -> str:
        """Same file or URL → same key, so each is uploaded once per account."""
        return f"sha256:{self.sha256}" if self.sha256 else f"url:{self.url or self.source}"


class ThreadItem(BaseModel):
    """A follow-up item (comment / thread reply) after the main post."""

    text: str = ""
    media: list[MediaRef] = Field(default_factory=list)
    delay: int = Field(default=0, ge=0, description="Minutes after the previous item.")


class Entry(BaseModel):
    """One calendar row or item, normalised."""

    key: str = Field(description="The `id` column, else derived from the content.")
    position: Position
    publish_at: datetime = Field(description="Timezone-aware publish instant.")
    timezone: str = Field(description="IANA zone the local time was read in.")
    channels: list[str] = Field(description="Channel references as written.")
    type: PostType = "schedule"
    text: str = ""
    text_overrides: dict[str, str] = Field(
        default_factory=dict, description="Per-provider text, by identifier (e.g. `x`)."
    )
    media: list[MediaRef] = Field(default_factory=list)
    thread: list[ThreadItem] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-provider settings, by identifier."
    )
    short_link: bool = False
    repeat_every_days: int | None = None

    def text_for(self, identifier: str) -> str:
        """The main text for a provider: its override, else the default text."""
        return self.text_overrides.get(identifier, self.text)


class PostValue(BaseModel):
    """One item of a Post's thread as sent: main post first, then follow-ups."""

    text: str
    media: list[MediaRef] = Field(default_factory=list)
    delay: int = 0


class Post(BaseModel):
    """One Entry on one resolved channel: what the server stores and the journal tracks."""

    entry_key: str
    position: Position
    channel: Channel
    publish_at: datetime = Field(description="UTC publish instant.")
    timezone: str = Field(default="UTC", description="IANA zone of the row (PostSyncer's).")
    type: PostType = "schedule"
    values: list[PostValue]
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    short_link: bool = False
    repeat_every_days: int | None = None

    @property
    def key(self) -> str:
        """Stable identity inside a calendar: ``<entry key>@<channel id>``."""
        return f"{self.entry_key}@{self.channel.id}"

    def value_id(self, fingerprint: str, position: int) -> str:
        """Deterministic id of thread item ``position``, sent as Postiz ``value[].id``."""
        return identity.value_id(self.key, fingerprint, position)

    def content_hash(self) -> str:
        """Hash of everything the server stores; a changed Post becomes an update."""
        # The zone only names how the instant is written: journals stay valid without it.
        payload = self.model_dump_json(exclude={"position", "timezone"})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


_Model = TypeVar("_Model", bound=BaseModel)
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    # BaseModel keeps these four in slots: their descriptors set them faster than setattr.
    descriptor = vars(BaseModel).get(name)
    setter = getattr(descriptor, "__set__", None)
    if setter is None:
        return lambda model, value: object.__setattr__(model, name, value)
    return cast(Callable[[Any, Any], None], setter)


_set_dict = _slot_setter("__dict__")
_set_fields = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def construct(cls: type[_Model], values: dict[str, Any]) -> _Model:
    """``cls.model_construct(**values)`` for trusted values that name every field, much faster.

    Validation builds hundreds of thousands of these; model_construct's per-field alias and
    default handling costs more than pydantic's own validation. ``values`` becomes the
    instance's ``__dict__`` (not copied). Every instance of a class shares one fields-set
    holding all field names: pydantic only ever adds names to it, so it never changes.
    The models here define no ``__new__``: ``object.__new__`` is theirs, looked up directly.
    """
    model = object.__new__(cls)
    fields = _ALL_FIELDS.get(cls)
    if fields is None:
        fields = _ALL_FIELDS.setdefault(cls, set(cls.model_fields))
    _set_dict(model, values)
    _set_fields(model, fields)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def utc_iso(moment: datetime) -> str:
    """``2026-12-01T09:00:00Z`` (UTC, second precision) for APIs and JSON output."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
