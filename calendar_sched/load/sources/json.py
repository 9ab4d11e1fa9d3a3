"""JSON reader: the document shape YAML shares (``document.py``), with the line of each item."""

from __future__ import annotations

import json
from pathlib import Path

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources.base import LoadedFile
from calendar_sched.load.sources.document import (
    POSTS_KEYS,
    decode_text,
    document_records,
    pairs_hook,
)

_WHITESPACE = " \t\n\r"


def read_json(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read a JSON calendar: ``{"timezone", "defaults", "posts": [...]}`` or a list of posts."""
    text = decode_text(read_regular(path, limit=max_file_bytes()), "JSON")
    if not text.strip():
        raise InputError('the file is empty; add {"posts": [...]}')
    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    return document_records(data, path=path, fmt="json", lines=item_lines(text))


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def _posts_start(text: str, decoder: json.JSONDecoder) -> int | None:
    at = _skip(text, 0)
    if text.startswith("[", at):
        return at
    if not text.startswith("{", at):
        return None
    at = _skip(text, at + 1)
    while at < len(text) and text[at] == '"':
        key, at = decoder.raw_decode(text, at)
        at = _skip(text, at)
        if not text.startswith(":", at):
            return None
        at = _skip(text, at + 1)
        if str(key).strip().lower() in POSTS_KEYS and text.startswith("[", at):
            return at
        _, at = decoder.raw_decode(text, at)
        at = _skip(text, at)
        if text.startswith(",", at):
            at = _skip(text, at + 1)
    return None


def item_lines(text: str) -> list[int] | None:
    """1-based line where each element of the posts array starts (None if there is none)."""
    decoder = json.JSONDecoder()
    try:
        at = _posts_start(text, decoder)
        if at is None:
            return None
        lines: list[int] = []
        line, counted = 1, 0
        at = _skip(text, at + 1)
        while at < len(text) and text[at] != "]":
            line += text.count("\n", counted, at)
            counted = at
            lines.append(line)
            _, at = decoder.raw_decode(text, at)
            at = _skip(text, at)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
        return lines
    except (json.JSONDecodeError, ValueError):
        return None
