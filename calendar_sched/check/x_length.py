"""X's weighted text length, as twitter-text's ``parse_tweet`` counts it, without its cost.

``parse_tweet`` costs about half a millisecond per text: most of it is a search with an emoji
pattern of thousands of alternatives, the rest a Python loop over every character. The count
itself is simple: after NFC normalisation and one ``\\n`` per line ending, a URL weighs 23, an
emoji 2, and any other character 1 or 2 by its code point range. So:

- Text without any character the emoji pattern can match has no emoji (no match of the pattern
  is all ASCII: checked below and in tests/test_rules.py) and is weighed per character; ASCII
  characters all weigh 1.
- Only text with a ``.`` followed by something that may start a top-level domain (every one
  starts with a letter) can hold a URL: only then are URLs searched for.
- In text that may contain emoji, the emoji pattern is tried only where a match can start
  (at an emoji character, ``#``, ``*`` or a digit), not at every position as ``finditer`` does.

twitter-text is imported on first need: compiling its patterns takes about 0.3 s.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# A URL's domain ends in "." and a top-level domain, and every top-level domain starts with a
# letter: a "." before a space, a digit or punctuation starts none.
_MAYBE_URL = re.compile(r"\.[^\s\d.,;:!?'\"()\[\]{}<>]")
_LINE_ENDS = re.compile(r"\r\n|\r")


def weighted_length(text: str) -> int:
    """``parse_tweet(text).weightedLength``, exactly."""
    if text.isascii():
        plain = _LINE_ENDS.sub("\n", text) if "\r" in text else text
        if _MAYBE_URL.search(plain) is None:
            return len(plain)
    tables = _tables()
    if tables is None:
        return _parsed_length(text)
    plain = _LINE_ENDS.sub("\n", unicodedata.normalize("NFC", text))
    if not tables.emoji_chars.isdisjoint(plain):
        return _length_with_entities(plain, tables, _emoji_spans(plain, tables))
    if _MAYBE_URL.search(plain) is None:
        return _weight(plain, tables)
    return _length_with_entities(plain, tables, [])


@functools.lru_cache(maxsize=8192)
def _parsed_length(text: str) -> int:
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


@dataclass(frozen=True)
class _Tables:
    """What weighing needs from twitter-text's default configuration and emoji pattern."""

    url_weight: int  # in characters
    heavy: re.Pattern[str]  # a character outside every range of weight 1 (it weighs 2)
    emoji_chars: frozenset[str]  # every non-ASCII character an emoji match may contain
    emoji_starts: frozenset[str]  # every character an emoji match may start with
    emoji: re.Pattern[str]


def _emoji_spans(text: str, tables: _Tables) -> list[tuple[int, int]]:
    """(start, length) of each emoji, as ``emoji.finditer`` finds them."""
    spans = []
    position = 0
    starts, match = tables.emoji_starts, tables.emoji.match
    for index, char in enumerate(text):
        if index >= position and char in starts:
            found = match(text, index)
            if found:
                spans.append((index, found.end() - index))
                position = found.end()
    return spans


def _length_with_entities(text: str, tables: _Tables, emoji: list[tuple[int, int]]) -> int:
    # parse_tweet's walk: at the current index a URL (checked first) weighs url_weight and an
    # emoji 2, and each skips its length (an entity starting inside a skipped span is never
    # reached); any other character weighs 1 or 2.
    entities = {start: (size, 2) for start, size in emoji}
    if _MAYBE_URL.search(text):
        from twitter_text.extract_urls import extract_urls_with_indices

        for url in extract_urls_with_indices(text):
            entities[url["indices"][0]] = (len(url["url"]), tables.url_weight)
    total = position = 0
    for start in sorted(entities):
        if start < position:
            continue
        size, weight = entities[start]
        total += _weight(text[position:start], tables) + weight
        position = start + size
    return total + _weight(text[position:], tables)


def _weight(text: str, tables: _Tables) -> int:
    if text.isascii():
        return len(text)
    return len(text) + len(tables.heavy.findall(text))


@functools.cache
def _tables() -> _Tables | None:
    """The tables, or None when twitter-text's configuration is not the one this mirrors."""
    from twitter_text.config import config
    from twitter_text.regexp.emoji import emoji

    options = config["defaults"]
    scale = options["scale"]
    ranges = options["ranges"]
    if options["default_weight"] != 2 * scale or any(r["weight"] != scale for r in ranges):
        return None
    if not options.get("emoji_parsing_enabled") or options["transformed_url_length"] < 0:
        return None
    emoji_chars = emoji_characters(emoji)
    starts = emoji_starts(emoji)
    if emoji_chars is None or starts is None:
        return None
    light = "".join(f"{_escape(r['start'])}-{_escape(r['end'])}" for r in ranges)
    return _Tables(
        url_weight=int(options["transformed_url_length"]),
        heavy=re.compile(f"[^{light}]"),
        emoji_chars=emoji_chars,
        emoji_starts=starts,
        emoji=emoji,
    )


def emoji_characters(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every non-ASCII character ``pattern`` can match.

    None when the pattern is not a plain alternation of literals and character sets, or when
    some match could be all ASCII: then this shortcut does not apply.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.pattern, pattern.flags)
        if pattern.flags & re.IGNORECASE:
            return None
        points: set[int] = set()
        if _ascii_only_match(tree, points, _parser):
            return None
    except Exception:  # an unexpected pattern or Python version: no shortcut, still exact
        return None
    return frozenset(chr(point) for point in points if point >= 128)


def emoji_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every character a match of ``pattern`` can start with; None if that is not plain."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.pattern, pattern.flags)
        branches = tree[0][1][1] if len(tree) == 1 and tree[0][0] is _parser.BRANCH else [tree]
        points: set[int] = set()
        for branch in branches:
            op, arg = branch[0]
            if op is _parser.LITERAL:
                points.add(arg)
            elif op is _parser.IN:
                for member, value in arg:
                    if member is _parser.LITERAL:
                        points.add(value)
                    elif member is _parser.RANGE:
                        points.update(range(value[0], value[1] + 1))
                    else:
                        return None
            else:
                return None
    except Exception:  # an unexpected pattern or Python version: no shortcut, still exact
        return None
    return frozenset(map(chr, points))


def _ascii_only_match(items: Any, points: set[int], parser: Any) -> bool:
    """Whether some match of ``items`` is all ASCII; collects every matchable code point."""
    constants = parser  # LITERAL, IN, RANGE, BRANCH, SUBPATTERN, MAX_REPEAT live here
    possible = True
    for op, arg in items:
        if op is constants.LITERAL:
            points.add(arg)
            possible = possible and arg < 128
        elif op is constants.IN:
            ascii_member = False
            for member, value in arg:
                if member is constants.LITERAL:
                    points.add(value)
                    ascii_member = ascii_member or value < 128
                elif member is constants.RANGE:
                    points.update(range(value[0], value[1] + 1))
                    ascii_member = ascii_member or value[0] < 128
                else:
                    raise ValueError(f"unexpected set member {member}")
            possible = possible and ascii_member
        elif op is constants.BRANCH:
            branches = [_ascii_only_match(branch, points, parser) for branch in arg[1]]
            possible = possible and any(branches)
        elif op is constants.SUBPATTERN:
            possible = _ascii_only_match(arg[3], points, parser) and possible
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            inner = _ascii_only_match(arg[2], points, parser)
            possible = possible and (arg[0] == 0 or inner)
        else:
            raise ValueError(f"unexpected pattern element {op}")
    return possible


def _escape(point: int) -> str:
    return f"\\U{point:08x}"
