"""YAML reader (safe loading only) and the document shape shared with JSON.

A calendar document is a mapping with ``timezone``, ``defaults`` and ``posts`` (a list of
entries), or a bare list of entries. Scalars follow YAML 1.2 rather than PyYAML's YAML 1.1:
``yes``/``no``/``on``/``off`` stay text (TikTok's ``autoAddMusic: no`` means the word), ``12:30``
is not the sexagesimal number 750, ``00123`` is not octal, and timestamps stay text so that the
normaliser reads every date the same way and reports a bad one at its row.
"""

from __future__ import annotations

import codecs
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources import yaml_events
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import canonical_key, unknown_column
from calendar_sched.load.sources.shapes import shape_problem
from calendar_sched.models import Position
from calendar_sched.report import RowError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = _Loader is not yaml.SafeLoader

POSTS_KEYS = yaml_events.POSTS_KEYS
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


_CHUNK = 1 << 20


def yaml_source(data: bytes) -> bytes | str:
    """What libyaml parses: UTF-8 as the bytes read, checked a megabyte at a time and never
    decoded whole (a text with emoji is four bytes a character as a ``str``, and libyaml would
    encode it back to UTF-8); UTF-16 marked by a BOM, decoded.

    Raises:
        InputError: bytes that are not UTF-8 (nor UTF-16 with a BOM).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data, "YAML")
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last piece
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text (byte {start - pending + exc.start}); save the YAML file as UTF-8"
            ) from None
    return data


def load_document(text: str | bytes) -> yaml_events.Built:
    """The data of a YAML document, read safely and checked as it is built.

    ``text`` is the document, or its UTF-8 bytes (``yaml_source``). It is built from libyaml's
    events with no node graph (``yaml_events.build``):
    plain scalars get YAML 1.2 types, keys given twice in one mapping are listed, aliases are
    counted as they come, tags other than plain data are refused.

    Raises:
        InputError: an empty, broken, unsafe, self-referring or exploding document.
    """
    loader = _Loader(text)
    try:
        size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8"))
        document = yaml_events.build(loader, size)
        if document is None:
            raise InputError("the file is empty; add a posts: list")
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InputError(
            f"line {line}: {exc.problem}; calendars are plain data: remove the tag"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise InputError(
            f"not valid YAML at {where}: {exc.problem or exc.context}; check the indentation "
            "and quote text that contains ': ' or starts with a special character"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError("values are nested too deeply to read; flatten the file") from None
    finally:
        loader.dispose()
    return document


def read_yaml(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read a YAML calendar with ``yaml.safe_load`` semantics; items keep their line numbers."""
    document = load_document(yaml_source(read_regular(path, limit=max_file_bytes())))
    loaded = document_records(
        document.data,
        path=path,
        fmt="yaml",
        lines=document.item_lines,
        key_lines=document.item_key_lines,
        top_lines=document.top_lines,
    )
    loaded.whole_characters = LIBYAML  # libyaml refuses a "\ud83d" escape alone itself
    for repeated in document.repeated:
        owner = None if repeated.top else _owner(loaded, document.item_spans, repeated.line)
        (loaded.problems if owner is None else owner).append(
            RowError(
                "bad-value",
                f"line {repeated.line}: {repeated.key!r} is given twice in one mapping (first "
                f"on line {repeated.first_line}); only one value can count: keep one",
                row=repeated.line,
                field=repeated.key,
                file=str(path),
            )
        )
    return loaded


def _owner(
    loaded: LoadedFile, spans: list[tuple[int, int]] | None, line: int
) -> list[RowError] | None:
    """The problem list of the record written around ``line``, if there is one."""
    index = next((i for i, (first, last) in enumerate(spans or ()) if first <= line <= last), None)
    return next((r.problems for r in loaded.records if r.position.index == index), None)


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
