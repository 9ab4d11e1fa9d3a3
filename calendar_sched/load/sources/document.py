"""The document shape YAML and JSON calendars share: ``{timezone, defaults, posts}`` or a list.

A calendar document is a mapping with ``timezone``, ``defaults`` and ``posts`` (a list of
entries), or a bare list of entries. Each entry's keys are read as the calendar's columns are;
a value of the wrong shape is a problem at its line, never read as blank. Parsing the text is
the format's own (``sources/yaml.py``, ``sources/json.py``); this module imports neither parser.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.errors import InputError
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import canonical_key, unknown_column
from calendar_sched.load.sources.shapes import shape_problem
from calendar_sched.models import Position
from calendar_sched.report import RowError

POSTS_KEYS = ("posts", "entries")
DEFAULTS_KEYS = ("defaults", "default")


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 marked by a BOM; anything else is unreadable."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}); save the {what} file as UTF-8"
        ) from None


class Pairs(dict[Any, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    repeated: tuple[str, ...] = ()


def pairs_hook(items: list[tuple[Any, Any]]) -> Pairs:
    """``json.loads(object_pairs_hook=…)``: a ``Pairs`` that knows its repeated keys."""
    found = Pairs(items)
    if len(found) != len(items):
        counts = Counter(key for key, _ in items)
        found.repeated = tuple(str(key) for key, n in counts.items() if n > 1)
    return found


@dataclass
class _Doc:
    """What the record builders share for one document."""

    loaded: LoadedFile
    unknown: set[str] = field(default_factory=set)
    top_lines: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # as written: read

    @property
    def file(self) -> str:
        return str(self.loaded.path)

    def problem(
        self,
        message: str,
        *,
        row: int | None,
        field: str | None,
        value: Any = None,
        code: str = "bad-value",
        note: str | None = None,
        into: list[RowError] | None = None,
    ) -> None:
        (self.loaded.problems if into is None else into).append(
            RowError(
                code,
                message,
                row=row,
                field=field,
                value=None if value is None else _short(value),
                file=self.file,
                note=note,
            )
        )


def document_records(
    data: Any,
    *,
    path: Path,
    fmt: str,
    lines: list[int] | None = None,
    key_lines: list[dict[str, int]] | None = None,
    top_lines: dict[str, int] | None = None,
) -> LoadedFile:
    """Records of a parsed YAML/JSON document: ``{timezone, defaults, posts}`` or a list.

    ``lines`` are the lines where the items start; ``key_lines`` (YAML) the line of each key of
    each item, and ``top_lines`` of each top-level key, so that a problem names its own line.
    """
    doc = _Doc(LoadedFile(path=path, format=fmt, records=[]), top_lines=top_lines or {})
    if isinstance(data, list):
        posts: Any = data
    elif isinstance(data, dict):
        posts = _read_top(data, doc)
    else:
        raise InputError(
            f"the {fmt.upper()} file must hold a mapping with a posts: list (or a list of "
            f"posts), not {_kind(data)}"
        )
    if posts is None:
        return doc.loaded
    if not isinstance(posts, list):
        doc.problem(
            f"posts must be a list of entries, not {_kind(posts)}; put '- ' before each entry",
            row=_top_line(doc, POSTS_KEYS),
            field="posts",
            value=posts,
        )
        return doc.loaded
    for index, item in enumerate(posts):
        line = lines[index] if lines is not None and index < len(lines) else None
        position = Position(file=doc.file, index=index, line=line)
        if not isinstance(item, dict):
            doc.problem(
                f"{position.label()} must be a mapping of fields (text:, channels:, ...), "
                f"not {_kind(item)}",
                row=line,
                field=None,
                value=item,
                note=position.label(),
            )
            continue
        own_lines = key_lines[index] if key_lines is not None and index < len(key_lines) else {}
        record = RawRecord(position, {})
        record.cells.update(_canonical(item, doc, position, own_lines, record.problems))
        doc.loaded.records.append(record)
    return doc.loaded


def _top_line(doc: _Doc, names: tuple[str, ...]) -> int | None:
    found = [line for key, line in doc.top_lines.items() if key.lower() in names]
    return found[-1] if found else None


def _read_top(data: dict[Any, Any], doc: _Doc) -> Any:
    posts: Any = None
    found_posts: str | None = None
    for name in getattr(data, "repeated", ()):
        doc.problem(
            f"{name!r} is given twice at the top of the file; only one value can count: keep one",
            row=None,
            field=name,
        )
    for raw_key, value in data.items():
        key = str(raw_key).strip()
        lowered = key.lower()
        line = doc.top_lines.get(key)
        if lowered in POSTS_KEYS:
            if found_posts is not None:
                doc.problem(
                    f"{found_posts}: and {key}: both hold the posts; only one list can count: "
                    "put every entry under one posts: key",
                    row=line,
                    field="posts",
                )
            elif value is None:
                doc.problem(
                    f"{key}: holds nothing; list the entries under it ('- text: …'), one per post",
                    row=line,
                    field="posts",
                )
            posts, found_posts = value, key
        elif canonical_key(key) == "timezone":
            if isinstance(value, str) and value.strip():
                doc.loaded.timezone = value.strip()
            elif value is not None:
                doc.problem(
                    "timezone must be an IANA name such as Europe/Berlin",
                    code="bad-timezone",
                    row=line,
                    field="timezone",
                    value=value,
                )
        elif lowered == "slots":
            doc.loaded.slots = value  # posting slots, read by load/slots.py
        elif lowered in DEFAULTS_KEYS:
            if isinstance(value, dict):
                doc.loaded.defaults = _canonical(value, doc, None, {})
            elif value is not None:
                doc.problem(
                    f"defaults must be a mapping of entry fields, not {_kind(value)}",
                    row=line,
                    field="defaults",
                    value=value,
                )
        elif key not in doc.unknown:
            doc.unknown.add(key)
            doc.loaded.problems.append(unknown_column(key, file=doc.file))
    if found_posts is None:
        doc.problem(
            "no posts: list found; put the entries under a top-level posts: key",
            row=None,
            field="posts",
        )
    return posts


def _canonical(
    item: dict[Any, Any],
    doc: _Doc,
    position: Position | None,
    lines: dict[str, int],
    own: list[RowError] | None = None,
) -> dict[str, Any]:
    row = position.line if position else None
    cells: dict[str, Any] = {}
    names: dict[str, str] = {}
    mine = doc.loaded.problems if own is None else own
    for name in getattr(item, "repeated", ()):
        doc.problem(
            f"{name!r} is given twice in {_note(position)}; only one value can count: keep one",
            row=row,
            field=name,
            note=_note(position),
            into=mine,
        )
    known = doc.keys
    for raw_key, value in item.items():
        read = known.get(raw_key) if type(raw_key) is str else None
        if read is None:
            name = str(raw_key).strip()
            read = (name, canonical_key(name))
            if type(raw_key) is str:
                known[raw_key] = read
        name, key = read
        if key is None:
            if name not in doc.unknown:
                doc.unknown.add(name)
                doc.loaded.problems.append(unknown_column(name, file=doc.file, row=row))
        elif key in cells:
            doc.problem(
                f"{names[key]!r} and {name!r} both mean {key}; keep one of them",
                row=row,
                field=key,
                value=name,
                note=_note(position),
            )
        elif value is not None:
            wrong = None if type(value) is str else shape_problem(key, value)  # text fits any key
            if wrong is not None:
                row_of_key = lines.get(name, row)
                note = _note(position)
                doc.problem(wrong, row=row_of_key, field=key, value=value, note=note, into=mine)
                continue
            cells[key] = value
            names[key] = name
    return cells


def _note(position: Position | None) -> str:
    return position.label() if position else "defaults"


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
