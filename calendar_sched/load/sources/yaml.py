"""YAML reader (safe loading only), into the document shape shared with JSON (``document.py``).

This module and ``yaml_events`` (which import PyYAML) are loaded when a YAML file is read, so a
CSV calendar never pays for them. Scalars follow YAML 1.2 rather than PyYAML's YAML 1.1:
``yes``/``no``/``on``/``off`` stay text (TikTok's ``autoAddMusic: no`` means the word), ``12:30``
is not the sexagesimal number 750, ``00123`` is not octal, and timestamps stay text so that the
normaliser reads every date the same way and reports a bad one at its row.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources import yaml_events
from calendar_sched.load.sources.base import LoadedFile
from calendar_sched.load.sources.decoding import decoded_pieces
from calendar_sched.load.sources.document import decode_text, document_records
from calendar_sched.report import RowError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = _Loader is not yaml.SafeLoader


def yaml_source(data: bytes) -> bytes | str:
    """What libyaml parses: UTF-8 as the bytes read, checked a megabyte at a time and never
    decoded whole (a text with emoji is four bytes a character as a ``str``, and libyaml would
    encode it back to UTF-8); UTF-16 marked by a BOM, decoded.

    Raises:
        InputError: bytes that are not UTF-8 (nor UTF-16 with a BOM).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data, "YAML")
    try:
        for _ in decoded_pieces(data, 0, "utf-8"):
            pass  # checked only: libyaml reads the bytes
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}); save the YAML file as UTF-8"
        ) from None
    return data


def load_document(text: str | bytes) -> yaml_events.Built:
    """The data of a YAML document, read safely and checked as it is built.

    ``text`` is the document, or its UTF-8 bytes (``yaml_source``). It is built from libyaml's
    events with no node graph (``yaml_events.build``): plain scalars get YAML 1.2 types, keys
    given twice in one mapping are listed, aliases are counted as they come, tags other than
    plain data are refused.

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
