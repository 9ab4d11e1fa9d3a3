"""Column layouts: canonical keys for column names, header mapping, the Hootsuite bulk layout.

Every reader maps the names it finds (spreadsheet headers, YAML/JSON item keys) through
``canonical_key`` so that everything after the readers sees one vocabulary:

    id  publish_at  date  time  timezone  channels  text  text.<identifier>  link  media
    thread  thread.<n>  type  tags  short_link  repeat_every_days  settings
    settings.<identifier>.<key>

The Hootsuite bulk composer exports (and imports) a CSV of three columns without a header:
a date-time (``MM/DD/YYYY HH:mm`` or ``DD/MM/YYYY HH:mm``, 24-hour clock), the message and an
optional link. ``detect_hootsuite`` recognises it, headed or not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from calendar_sched.report import RowError

CANONICAL_KEYS = (
    "id",
    "publish_at",
    "date",
    "time",
    "timezone",
    "channels",
    "text",
    "link",
    "media",
    "thread",
    "type",
    "tags",
    "short_link",
    "repeat_every_days",
    "settings",
)

_ALIASES: dict[str, str] = {
    "id": "id",
    "key": "id",
    "publish_at": "publish_at",
    "publish": "publish_at",
    "at": "publish_at",
    "datetime": "publish_at",
    "date_time": "publish_at",
    "date_and_time": "publish_at",
    "scheduled_at": "publish_at",
    "schedule_at": "publish_at",
    "post_date": "publish_at",
    "date": "date",
    "time": "time",
    "timezone": "timezone",
    "time_zone": "timezone",
    "tz": "timezone",
    "channels": "channels",
    "channel": "channels",
    "platform": "channels",
    "platforms": "channels",
    "account": "channels",
    "accounts": "channels",
    "profile": "channels",
    "profiles": "channels",
    "integration": "channels",
    "integrations": "channels",
    "text": "text",
    "content": "text",
    "message": "text",
    "caption": "text",
    "body": "text",
    "link": "link",
    "url": "link",
    "media": "media",
    "image": "media",
    "images": "media",
    "media_url": "media",
    "media_urls": "media",
    "video": "media",
    "videos": "media",
    "thread": "thread",
    "comments": "thread",
    "comment": "thread.1",
    "first_comment": "thread.1",
    "type": "type",
    "tags": "tags",
    "tag": "tags",
    "short_link": "short_link",
    "shortlink": "short_link",
    "repeat_every_days": "repeat_every_days",
    "repeat_days": "repeat_every_days",
    "repeat": "repeat_every_days",
    "settings": "settings",
}

_TEXT_HEADS = {name for name, key in _ALIASES.items() if key == "text"}
_THREAD_N = re.compile(r"^(?:thread|comment|reply)[ _.\-]*(\d{1,3})$")
_SEPARATORS = re.compile(r"[\s_\-]+")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


def _norm(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def _identifier(name: str) -> str | None:
    ident = re.sub(r"[\s_]+", "-", name.strip().lower())
    return ident if _IDENTIFIER.match(ident) else None


@functools.lru_cache(maxsize=4096)
def canonical_key(header: str) -> str | None:
    """The canonical key of a column or item key, or None when it is not part of the format."""
    name = header.strip()
    if not name:
        return None
    simple = _ALIASES.get(_norm(name))
    if simple is not None:
        return simple
    numbered = _THREAD_N.match(name.lower())
    if numbered:
        n = int(numbered.group(1))
        return f"thread.{n}" if n >= 1 else None
    if "." not in name:
        return None
    head, _, rest = name.partition(".")
    head = _norm(head)
    if head in _TEXT_HEADS and "." not in rest:
        ident = _identifier(rest)
        return f"text.{ident}" if ident else None
    if head == "settings":
        provider, dot, key = rest.partition(".")
        ident = _identifier(provider)
        # Postiz setting keys are camelCase or snake_case: keep the key exactly as written.
        key = key.strip()
        if ident and dot and key:
            return f"settings.{ident}.{key}"
    return None


@dataclass
class HeaderMap:
    """Canonical key per column (None = dropped) and the problems the header shows."""

    keys: list[str | None]
    problems: list[RowError] = field(default_factory=list)


def map_header(headers: Sequence[object], *, file: str, row: int = 1) -> HeaderMap:
    """Canonical keys of a header row; unknown and repeated columns become problems."""
    keys: list[str | None] = []
    problems: list[RowError] = []
    seen: dict[str, str] = {}
    for raw in headers:
        name = "" if raw is None else str(raw).strip()
        key = canonical_key(name) if name else None
        if name and key is None:
            problems.append(unknown_column(name, file=file, row=row))
        elif key is not None and key in seen:
            problems.append(
                RowError(
                    "bad-value",
                    f"columns {seen[key]!r} and {name!r} both mean {key}; keep one of them",
                    row=row,
                    field=key,
                    value=name,
                    file=file,
                )
            )
            key = None
        elif key is not None:
            seen[key] = name
        keys.append(key)
    return HeaderMap(keys, problems)


def unknown_column(name: str, *, file: str, row: int | None = None) -> RowError:
    """The ``unknown-column`` warning for one column or key name."""
    return RowError(
        "unknown-column",
        f"column {name!r} is not part of the calendar format and is ignored; rename it "
        "(e.g. text, channels, publish_at, media) or remove it",
        row=row,
        field=name,
        value=name,
        file=file,
    )


HOOTSUITE_KEYS = ("publish_at", "text", "link")
_HOOTSUITE_WHEN = re.compile(
    r"^\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?$"
)


def is_hootsuite_datetime(value: str) -> bool:
    """True for ``MM/DD/YYYY HH:mm`` or ``DD/MM/YYYY HH:mm`` (the Hootsuite date column)."""
    return bool(_HOOTSUITE_WHEN.match(value.strip()))


def _trimmed(row: Sequence[str]) -> list[str]:
    cells = list(row)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def detect_hootsuite(first: Sequence[str], second: Sequence[str] | None) -> str | None:
    """``"headless"`` or ``"headed"`` when the first rows look like the Hootsuite layout."""
    head = _trimmed(first)
    if 2 <= len(head) <= 3 and is_hootsuite_datetime(head[0]):
        return "headless"
    if second is None or not 2 <= len(head) <= 3:
        return None
    data = _trimmed(second)
    keys = [canonical_key(name) for name in head]
    expected = [("date", "publish_at"), ("text",), ("link",)]
    if (
        1 <= len(data) <= 3
        and is_hootsuite_datetime(data[0])
        and all(key in allowed for key, allowed in zip(keys, expected, strict=False))
    ):
        return "headed"
    return None
