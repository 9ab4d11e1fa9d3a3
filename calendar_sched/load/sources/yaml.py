"""YAML reader (safe loading only) and the document shape shared with JSON.

A calendar document is a mapping with ``timezone``, ``defaults`` and ``posts`` (a list of
entries), or a bare list of entries. Scalars follow YAML 1.2 rather than PyYAML's YAML 1.1:
``yes``/``no``/``on``/``off`` stay text (TikTok's ``autoAddMusic: no`` means the word), ``12:30``
is not the sexagesimal number 750, ``00123`` is not octal, and timestamps stay text so that the
normaliser reads every date the same way and reports a bad one at its row.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from calendar_sched.errors import InputError
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import canonical_key, unknown_column
from calendar_sched.models import Position
from calendar_sched.report import RowError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT_12 = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)")
_BOOL_12 = {"true", "false"}

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


def _plain_scalars(node: yaml.Node, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.style:  # quoted or block scalar (plain is None in PyYAML, '' in libyaml)
            return
        value = node.value
        if (
            (node.tag == _INT and not _INT_12.fullmatch(value))
            or (node.tag == _FLOAT and not _FLOAT_12.fullmatch(value))
            or (node.tag == _BOOL and value.lower() not in _BOOL_12)
            or node.tag == _TIMESTAMP
        ):
            node.tag = _STR
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _plain_scalars(item, seen)
    elif isinstance(node, yaml.MappingNode):
        for key, item in node.value:
            _plain_scalars(key, seen)
            _plain_scalars(item, seen)


def _posts_node(root: yaml.Node) -> yaml.Node | None:
    if isinstance(root, yaml.SequenceNode):
        return root
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value.strip().lower() in POSTS_KEYS:
                found: yaml.Node = value
                return found
    return None


def read_yaml(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read a YAML calendar with ``yaml.safe_load`` semantics; items keep their line numbers."""
    text = decode_text(path.read_bytes(), "YAML")
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise InputError("the file is empty; add a posts: list")
        _plain_scalars(root, set())
        data = loader.construct_document(root)
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
    finally:
        loader.dispose()
    posts = _posts_node(root)
    lines = None
    if isinstance(posts, yaml.SequenceNode):
        lines = [item.start_mark.line + 1 for item in posts.value]
    return document_records(data, path=path, fmt="yaml", lines=lines)


def document_records(
    data: Any, *, path: Path, fmt: str, lines: list[int] | None = None
) -> LoadedFile:
    """Records of a parsed YAML/JSON document: ``{timezone, defaults, posts}`` or a list."""
    file = str(path)
    loaded = LoadedFile(path=path, format=fmt, records=[])
    unknown: set[str] = set()
    if isinstance(data, list):
        posts: Any = data
    elif isinstance(data, dict):
        posts = _read_top(data, loaded, unknown)
    else:
        raise InputError(
            f"the {fmt.upper()} file must hold a mapping with a posts: list (or a list of "
            f"posts), not {_kind(data)}"
        )
    if posts is None:
        return loaded
    if not isinstance(posts, list):
        loaded.problems.append(
            RowError(
                "bad-value",
                f"posts must be a list of entries, not {_kind(posts)}; put '- ' before each entry",
                field="posts",
                value=_short(posts),
                file=file,
            )
        )
        return loaded
    for index, item in enumerate(posts):
        line = lines[index] if lines is not None and index < len(lines) else None
        position = Position(file=file, index=index, line=line)
        if not isinstance(item, dict):
            loaded.problems.append(
                RowError(
                    "bad-value",
                    f"{position.label()} must be a mapping of fields (text:, channels:, ...), "
                    f"not {_kind(item)}",
                    row=line,
                    value=_short(item),
                    file=file,
                    note=position.label(),
                )
            )
            continue
        cells = _canonical(item, loaded, unknown, position)
        loaded.records.append(RawRecord(position, cells))
    return loaded


def _read_top(data: dict[Any, Any], loaded: LoadedFile, unknown: set[str]) -> Any:
    file = str(loaded.path)
    posts: Any = None
    found_posts = False
    for raw_key, value in data.items():
        key = str(raw_key).strip()
        lowered = key.lower()
        if lowered in POSTS_KEYS:
            posts, found_posts = value, True
        elif canonical_key(key) == "timezone":
            if isinstance(value, str) and value.strip():
                loaded.timezone = value.strip()
            elif value is not None:
                loaded.problems.append(
                    RowError(
                        "bad-timezone",
                        "timezone must be an IANA name such as Europe/Berlin",
                        field="timezone",
                        value=_short(value),
                        file=file,
                    )
                )
        elif lowered in DEFAULTS_KEYS:
            if isinstance(value, dict):
                loaded.defaults = _canonical(value, loaded, unknown, None)
            elif value is not None:
                loaded.problems.append(
                    RowError(
                        "bad-value",
                        f"defaults must be a mapping of entry fields, not {_kind(value)}",
                        field="defaults",
                        value=_short(value),
                        file=file,
                    )
                )
        elif key not in unknown:
            unknown.add(key)
            loaded.problems.append(unknown_column(key, file=file))
    if not found_posts:
        loaded.problems.append(
            RowError(
                "bad-value",
                "no posts: list found; put the entries under a top-level posts: key",
                field="posts",
                file=file,
            )
        )
    return posts


def _canonical(
    item: dict[Any, Any], loaded: LoadedFile, unknown: set[str], position: Position | None
) -> dict[str, Any]:
    file = str(loaded.path)
    row = position.line if position else None
    note = position.label() if position else "defaults"
    cells: dict[str, Any] = {}
    names: dict[str, str] = {}
    for raw_key, value in item.items():
        name = str(raw_key).strip()
        key = canonical_key(name)
        if key is None:
            if name not in unknown:
                unknown.add(name)
                loaded.problems.append(unknown_column(name, file=file, row=row))
        elif key in cells:
            loaded.problems.append(
                RowError(
                    "bad-value",
                    f"{names[key]!r} and {name!r} both mean {key}; keep one of them",
                    row=row,
                    field=key,
                    value=name,
                    file=file,
                    note=note,
                )
            )
        elif value is not None:
            cells[key] = value
            names[key] = name
    return cells


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
