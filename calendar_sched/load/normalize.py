"""Raw cells → Entry: publish time, channels, text, media, threads and settings.

One ``RawRecord`` (canonical keys, raw cell values) becomes one ``Entry`` plus the problems found
on the way. Nothing here raises for bad input: every problem is a ``RowError`` with the fix.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from calendar_sched.identity import derive_key
from calendar_sched.load import dates
from calendar_sched.load.channels import split_refs
from calendar_sched.load.dates import DateOrder, cell_text
from calendar_sched.load.media import MediaChecker, MediaProblem
from calendar_sched.load.publish_time import PublishTimes, ZoneChoice, choose_zone, date_values
from calendar_sched.load.slots import SlotSpec, file_slots, queue_start, read_queued
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.models import Entry, MediaRef, Position, PostType, ThreadItem
from calendar_sched.report import RowError

_POST_TYPES: tuple[PostType, ...] = ("schedule", "draft", "now")
_MEDIA_SPLIT = re.compile(r"[|\r\n]+")
_TAG_SPLIT = re.compile(r"[,;|\r\n]+")
_INTEGER = re.compile(r"[+-]?\d+(\.0+)?")
_TRUE = {"true", "yes", "y", "1", "x", "on"}
_FALSE = {"false", "no", "n", "0", "off", ""}
_MAX_VALUE = 200
_MEDIA_CELLS = 65536  # media cells remembered per file (each a few shared MediaRefs)


@dataclass
class FileContext:
    """Everything a record needs from its file and the options."""

    file: str
    base_dir: Path
    layout: str
    times: PublishTimes
    default_channels: list[str]
    defaults: dict[str, Any]
    media: MediaChecker
    slots: SlotSpec | None = None  # posting slots: rows with a date but no time are queued
    queue_from: date | None = None  # ``publish_at: queue`` rows start here (--queue-from)
    media_cells: dict[str, list[tuple[str, MediaRef | MediaProblem]]] = field(
        default_factory=dict
    )  # media cells → their sources checked (``_checked_media``)


@dataclass
class Normalized:
    """One record after normalisation: its Entry (None when unusable) and its problems."""

    position: Position
    entry: Entry | None
    problems: list[RowError] = field(default_factory=list)
    failed: bool = False  # an error applies to this record (possibly reported file-wide)
    explicit_id: str | None = None  # the `id` cell, when given
    read_in: tuple[str, bool] | None = None  # zone a local time was read in, from its own row?
    media_none: bool = False  # the media cell says ``none``: no media, on purpose

    @property
    def has_errors(self) -> bool:
        """True when the record has any error, its own or a file-wide one."""
        if self.failed:
            return True
        return bool(self.problems) and any(p.severity == "error" for p in self.problems)


@dataclass
class NormalizedFile:
    """One calendar file after normalisation."""

    file: str
    items: list[Normalized]
    problems: list[RowError]  # file-wide: unreadable-file, ambiguous-date-format, …
    zone: ZoneChoice
    slots: SlotSpec | None = None  # the file's posting slots (--slots, else its slots:)


def normalize_file(
    loaded: LoadedFile,
    *,
    timezone: str | None = None,
    date_format: DateOrder | None = None,
    default_channels: Sequence[str] = (),
    media: MediaChecker | None = None,
    now: datetime | None = None,
    slots: str | None = None,
    queue_from: date | None = None,
) -> NormalizedFile:
    """Normalise every record of one loaded file (``slots``: the ``--slots`` text).

    The records are taken out of ``loaded`` (its ``records`` is empty afterwards).
    """
    file = str(loaded.path)
    defaults = {k: v for k, v in loaded.defaults.items() if not dates.is_blank(v)}
    file_zone = loaded.timezone or cell_text(defaults.pop("timezone", None))
    zone = choose_zone(file_zone, timezone)
    order = dates.decide_order(date_values(loaded.records, defaults), date_format)
    problems = list(loaded.problems)
    if zone.problem:
        flag = "--timezone" if zone.source == "option" else "timezone"
        problems.append(RowError("bad-timezone", zone.problem, field=flag, file=file))
    spec, slot_problem = file_slots(slots, loaded.slots, zone=zone.name or "UTC", file=file)
    if slot_problem is not None:
        problems.append(slot_problem)
    if order.problem:
        problems.append(
            RowError(
                "ambiguous-date-format",
                order.problem,
                field="publish_at",
                value=order.example,
                file=file,
            )
        )
    if not loaded.records and not any(p.severity == "error" for p in problems):
        problems.append(
            RowError(
                "no-posts",
                f"{loaded.path.name} holds no posts: nothing to schedule; add one row (or item) "
                "per post",
                file=file,
            )
        )
    refs = [ref for text in default_channels for ref in split_refs(text)]
    if loaded.layout == "hootsuite" and not refs and loaded.records:
        problems.append(
            RowError(
                "missing-field",
                'Hootsuite calendars name no channels: pass --default-channels (e.g. "x, '
                'linkedin-page:acme-inc")',
                field="channels",
                file=file,
            )
        )
    ctx = FileContext(
        file=file,
        base_dir=_folder_of(loaded.path),
        layout=loaded.layout,
        times=PublishTimes(order, zone, now or datetime.now(UTC)),
        default_channels=refs,
        defaults=defaults,
        media=media or MediaChecker(),
        slots=spec,
        queue_from=queue_from,
    )
    return NormalizedFile(file, _each(loaded, ctx), problems, zone, spec)


def _each(loaded: LoadedFile, ctx: FileContext) -> list[Normalized]:
    # Taken from the file as they are normalised: a raw record is dropped once its Entry
    # exists, so a large file is never held twice (its raw cells are a third of the peak).
    records, loaded.records = loaded.records, []
    records.reverse()
    items = []
    while records:
        items.append(normalize_record(records.pop(), ctx))
    return items


def _folder_of(path: Path) -> Path:
    try:
        return path.resolve().parent
    except (OSError, RuntimeError):  # a symlink loop: the file was already reported unreadable
        return path.absolute().parent


def row_of(position: Position) -> int | None:
    """The number a user looks for: spreadsheet row, else YAML line, else item index."""
    if position.row is not None:
        return position.row
    if position.line is not None:
        return position.line
    return position.index


class _Row:
    """Problem collector for one record."""

    def __init__(self, position: Position, ctx: FileContext) -> None:
        self.position = position
        self.ctx = ctx
        self.problems: list[RowError] = []
        self.failed = False
        self.read_in: tuple[str, bool] | None = None

    def add(self, code: str, message: str, field: str | None, value: Any = None) -> None:
        self.problems.append(
            RowError(
                code,
                message,
                row=row_of(self.position),
                field=field,
                value=_raw(value),
                file=self.ctx.file,
            )
        )
        if code != "past-publish-time":
            self.failed = True


@dataclass(frozen=True)
class _Dotted:
    """The dotted keys of a record, by kind, in the record's order."""

    text: tuple[str, ...]  # text.<identifier>
    thread: tuple[str, ...]  # thread.<n>
    settings: tuple[str, ...]  # settings.<identifier>.<key>


@functools.lru_cache(maxsize=1024)
def _dotted(keys: tuple[str, ...]) -> _Dotted:
    # Rows of one file share a handful of key sets: sort their keys out once per set.
    return _Dotted(
        tuple(k for k in keys if k.startswith("text.")),
        tuple(k for k in keys if k.startswith("thread.") and k[7:].isdigit()),
        tuple(k for k in keys if k.startswith("settings.")),
    )


def normalize_record(record: RawRecord, ctx: FileContext) -> Normalized:
    """One record → Entry (or None when no instant could be read) plus its problems."""
    row = _Row(record.position, ctx)
    row.problems.extend(record.problems)
    row.failed = any(p.severity == "error" for p in record.problems)
    cells = _merge(ctx.defaults, record.cells)
    dotted = _dotted(tuple(cells))
    post_type = _post_type(row, cells.get("type"))
    text, overrides = _texts(row, cells, dotted.text)
    media = _media(row, cells.get("media"), "media")
    thread = _thread(row, cells, dotted.thread)
    channels = _channels(row, cells)
    queued = None
    if post_type != "now":
        order, spec = ctx.times.order.order, ctx.slots is not None
        queued = read_queued(cells, order, slots=spec, queue_from=ctx.queue_from)
    if isinstance(queued, dates.DateProblem):
        row.add(queued.code, queued.message, "publish_at", cells.get("publish_at"))
        publish_at, zone_name, past, queued = None, ctx.times.zone.name or "UTC", False, None
    elif queued is not None:  # the posting queue picks its time (plan/slots.py)
        zone_name, past = ctx.times.zone.name or "UTC", False
        publish_at = queue_start(queued, zone_name)
    else:
        publish_at, zone_name, past = ctx.times.read(row, cells, post_type)
    tags = _tags(cells.get("tags"))
    short_link = _flag(row, cells.get("short_link"), "short_link")
    repeat = _repeat(row, cells.get("repeat_every_days"))
    settings = _settings(row, cells, dotted.settings)
    if not has_content(text) and not any(map(has_content, overrides.values())) and not media:
        raw_media = cells.get("media")
        if dates.is_blank(raw_media):
            row.add("empty-post", "the post has neither text nor media; add one of them", "text")
    key = cell_text(cells.get("id"))
    entry = None
    if publish_at is not None:
        if post_type == "schedule" and past:
            row.add(
                "past-publish-time",
                f"{publish_at.isoformat(timespec='minutes')} is in the past; Postiz publishes it "
                "at once: move it or remove the row",
                "publish_at",
                publish_at.isoformat(),
            )
        entry = Entry(
            key=key
            or derive_key(
                None if post_type == "now" or (queued and queued.any_day) else publish_at,
                text,
                channels,
            ),
            position=record.position,
            publish_at=publish_at,
            timezone=zone_name,
            channels=channels,
            type=post_type,
            text=text,
            text_overrides=overrides or _NO_OVERRIDES,
            media=media or _NO_MEDIA,
            thread=thread or _NO_THREAD,
            tags=tags or _NO_TAGS,
            settings=settings or _NO_SETTINGS,
            short_link=short_link,
            repeat_every_days=repeat,
            queued=queued,
        )
    return Normalized(
        record.position,
        entry,
        row.problems,
        row.failed,
        key,
        row.read_in,
        media_none=is_media_none(cells.get("media")),
    )


# Most rows have no overrides, media, thread, tags or settings: their Entries share one empty
# container of each (a fifth of a large calendar's memory). Entries, like Posts, are values:
# never changed in place (``models.Post``).
_NO_OVERRIDES: dict[str, str] = {}
_NO_MEDIA: list[MediaRef] = []
_NO_THREAD: list[ThreadItem] = []
_NO_TAGS: list[str] = []
_NO_SETTINGS: dict[str, dict[str, Any]] = {}


def _merge(defaults: dict[str, Any], cells: dict[str, Any]) -> dict[str, Any]:
    if not defaults:
        return cells
    merged = dict(defaults)
    for key, value in cells.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def has_content(text: str) -> bool:
    """True when ``text`` shows something: not only spaces and invisible format characters.

    A zero-width space (or joiner, or a byte-order mark) alone is not a post.
    """
    shown = text.lstrip()
    if shown and unicodedata.category(shown[0]) != "Cf":
        return True  # the usual text: its first character past the spaces shows
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in shown)


def _raw(value: Any) -> str | None:
    if dates.is_blank(value):
        return None
    if isinstance(value, datetime | date | time):
        text = value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _post_type(row: _Row, value: Any) -> PostType:
    if value is None:  # an absent cell, the usual case
        return "schedule"
    text = (cell_text(value) or "schedule").lower()
    for known in _POST_TYPES:
        if text == known:
            return known
    row.add("bad-value", "type must be schedule, draft or now", "type", value)
    return "schedule"


def _texts(row: _Row, cells: dict[str, Any], keys: Sequence[str]) -> tuple[str, dict[str, str]]:
    raw = cells.get("text")
    overrides: dict[str, str] = {}
    text = ""
    if isinstance(raw, dict):
        for name, value in raw.items():
            body = cell_text(value) or ""
            ident = str(name).strip().lower()
            if ident in ("default", "text", "*"):
                text = body
            elif body:
                overrides[ident] = body
    elif isinstance(raw, list):
        row.add("bad-value", "text must be a string (or {default: …, x: …})", "text", raw)
    else:
        text = cell_text(raw) or ""
    for key in keys:
        override = cell_text(cells[key])
        if override:
            overrides[key[5:].lower()] = override
    link = cell_text(cells.get("link"))
    if link and not _web_link(link):
        row.add(
            "bad-value",
            "link must be a web address starting with https:// or http://",
            "link",
            link,
        )
        link = None
    if link:
        text = _with_link(text, link)
        overrides = {ident: _with_link(body, link) for ident, body in overrides.items()}
    return text, overrides


def _web_link(link: str) -> bool:
    # Only web pages are appended to a post: never javascript:, file:, data: or a bare word.
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and " " not in link


def _with_link(text: str, link: str) -> str:
    if link in text:
        return text
    return f"{text}\n{link}" if text else link


def _sources(value: Any) -> list[str]:
    if dates.is_blank(value):
        return []
    if isinstance(value, list):
        found = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("path") or item.get("url") or item.get("source")
            text = cell_text(item)
            if text:
                found.extend(_sources(text))
        return found
    text = cell_text(value) or ""
    return [part.strip() for part in _MEDIA_SPLIT.split(text) if part.strip()]


def is_media_none(value: Any) -> bool:
    """True for a media cell (or YAML value) that says ``none``: no media, on purpose.

    A pulled post whose media the listing cannot show is refused when edited
    (``pulled-media-unknown``) unless its media are named, or dropped with ``none``.
    """
    return isinstance(value, str) and value.strip().lower() == "none"


def _media(row: _Row, value: Any, field_name: str) -> list[MediaRef]:
    found: list[MediaRef] = []
    if value is None or is_media_none(value):
        return found
    if isinstance(value, dict):
        row.add("bad-value", "media must be a path, a URL or a list of them", field_name, value)
        return found
    for source, checked in _checked_media(row.ctx, value):
        if isinstance(checked, MediaProblem):
            row.add(checked.code, checked.message, field_name, source)
        else:
            found.append(checked)
    return found


def _checked_media(ctx: FileContext, value: Any) -> list[tuple[str, MediaRef | MediaProblem]]:
    """Each source of a media value with its check; a text cell's once per file (rows repeat
    a brand's few media cells)."""
    if type(value) is not str:
        return [(source, ctx.media.check(source, ctx.base_dir)) for source in _sources(value)]
    known = ctx.media_cells.get(value)
    if known is None:
        if len(ctx.media_cells) >= _MEDIA_CELLS:
            ctx.media_cells.clear()
        known = ctx.media_cells[value] = [
            (source, ctx.media.check(source, ctx.base_dir)) for source in _sources(value)
        ]
    return known


def _thread(row: _Row, cells: dict[str, Any], keys: Sequence[str]) -> list[ThreadItem]:
    whole = cells.get("thread")
    if whole is None and not keys:
        return []
    raw: list[tuple[str, Any]] = []
    if isinstance(whole, list):
        raw.extend((f"thread.{n}", item) for n, item in enumerate(whole, start=1))
    elif not dates.is_blank(whole):
        raw.append(("thread.1", whole))
    numbered = []
    for key in keys:
        value = cells[key]
        if not dates.is_blank(value):
            numbered.append((int(key[7:]), value))
    offset = len(raw)
    raw.extend((f"thread.{offset + n}", value) for n, value in sorted(numbered))
    items = []
    for field_name, value in raw:
        if isinstance(value, dict):
            text = cell_text(value.get("text")) or ""
            media = _media(row, value.get("media"), f"{field_name}.media")
            delay = _delay(row, value.get("delay"), f"{field_name}.delay")
            items.append(ThreadItem(text=text, media=media, delay=delay))
        else:
            items.append(ThreadItem(text=cell_text(value) or ""))
    return items


def _delay(row: _Row, value: Any, field_name: str) -> int:
    if dates.is_blank(value):
        return 0
    number = _integer(value)
    if number is None or number < 0:
        row.add("bad-value", "delay is whole minutes (0 or more)", field_name, value)
        return 0
    return number


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    text = str(value).strip()
    if _INTEGER.fullmatch(text):
        return int(float(text))
    return None


def _channels(row: _Row, cells: dict[str, Any]) -> list[str]:
    value = cells.get("channels")
    refs: list[str] = []
    if isinstance(value, list):
        for item in value:
            text = cell_text(item)
            if text:
                refs.extend(split_refs(text))
    elif isinstance(value, dict):
        row.add("bad-value", "channels must be a list of channel references", "channels", value)
    else:
        refs = list(_refs_in(cell_text(value) or ""))
        if refs:
            return refs  # already without repeats
    if not refs:
        refs = list(row.ctx.default_channels)
    if not refs and row.ctx.layout == "hootsuite":
        row.failed = True  # reported once for the file
    elif not refs:
        message = "no channels; add a channels column or pass --default-channels"
        row.add("missing-field", message, "channels")
    return list(dict.fromkeys(refs))


@functools.lru_cache(maxsize=4096)
def _refs_in(text: str) -> tuple[str, ...]:
    # Rows repeat the same few channel cells; the caller gets its own list. References are
    # interned: a calendar names a few thousand channels in a quarter of a million places.
    return tuple(dict.fromkeys(map(sys.intern, split_refs(text))))


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        tags = [cell_text(item) or "" for item in value]
    else:
        tags = _TAG_SPLIT.split(cell_text(value) or "")
    return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


def _flag(row: _Row, value: Any, field_name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = (cell_text(value) or "").lower()
    if text in _TRUE:
        return True
    if text not in _FALSE:
        row.add("bad-value", f"{field_name} must be true or false", field_name, value)
    return False


def _repeat(row: _Row, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # NaN is not blank here: it is refused below, not read as "no repeat"
    number = _integer(value)
    if number is None or number < 0:
        row.add(
            "bad-value",
            "repeat_every_days must be a whole number of days (or empty for no repeat)",
            "repeat_every_days",
            value,
        )
        return None
    return number or None


def _settings(row: _Row, cells: dict[str, Any], keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    nested = cells.get("settings")
    if isinstance(nested, dict):
        for ident, values in nested.items():
            if isinstance(values, dict):
                out.setdefault(str(ident).lower(), {}).update(
                    {str(k): v for k, v in values.items() if not dates.is_blank(v)}
                )
            else:
                message = "settings are per platform: settings: {youtube: {title: …}}"
                row.add("bad-value", message, f"settings.{ident}", values)
    elif not dates.is_blank(nested):
        row.add("bad-value", "settings must be a mapping per platform", "settings", nested)
    for key in keys:
        value = cells[key]
        ident, _, name = key[9:].partition(".")
        if ident and name and not dates.is_blank(value):
            try:
                out.setdefault(ident.lower(), {})[name] = _setting_value(value)
            except RecursionError:
                message = "the JSON in this cell is nested too deeply to read; simplify it"
                row.add("bad-value", message, key, value)
    return out


def _setting_value(value: Any) -> Any:
    """Spreadsheet cells are text: read booleans and JSON lists/objects as such."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return cell_text(value)
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
