"""X's text length: twitter-text's ``parse_tweet`` count, without its cost, and Postiz's rule.

``x_length`` is what Postiz checks against X's 280 (reference/postiz-api.md §3): the larger of
twitter-text's weighted length and the plain JS length (UTF-16 code units), untrimmed.

``weighted_length`` equals ``parse_tweet(text).weightedLength``. ``parse_tweet`` costs about
half a millisecond per text: most of it is a search with an emoji pattern of thousands of
alternatives, the rest a Python loop over every character. The count itself is simple: after NFC
normalisation and one ``\\n`` per line ending, a URL weighs 23, an emoji 2, and any other
character 1 or 2 by its code point range (twitter-text's documented ``config``). So:

- Text without any character the emoji pattern can match has no emoji (no match of the pattern
  is all ASCII) and is weighed per character; ASCII characters all weigh 1.
- Only text with a ``.`` followed by something that may start a top-level domain (every one
  starts with a letter) can hold a URL: only then are URLs searched for, with twitter-text's
  ``extract_urls_with_indices``.
- In text that may contain emoji, the emoji pattern is tried only where a match can start (at
  an emoji character, or at ``#``, ``*`` or a digit before U+FE0F or U+20E3), not at every
  position as ``finditer`` does.

Only public interfaces are used: ``parse_tweet``, ``extract_urls_with_indices``, the ``config``
``parse_tweet`` documents, and the source text (``Pattern.pattern``) of twitter-text's public
regexes, read by the small parser below. Every assumption is checked once, when twitter-text is
first needed (compiling its patterns takes about 0.3 s); if one fails, every text goes to
``parse_tweet``. tests/test_x_length.py checks the result against ``parse_tweet``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# A URL's domain ends in "." and a top-level domain, and every top-level domain starts with a
# letter: a "." before a space, a digit or punctuation starts none (checked in _url_shortcut).
_MAYBE_URL = re.compile(r"\.[^\s\d.,;:!?'\"()\[\]{}<>]")
_LINE_ENDS = re.compile(r"\r\n|\r")


def x_length(text: str) -> int:
    """X length as Postiz checks it: ``max(weightedLength, UTF-16 length)``, untrimmed."""
    return max(weighted_length(text), utf16_length(text))


def x_length_bound(text: str) -> int:
    """A cheap upper bound of ``x_length`` that needs no twitter-text.

    After NFC an ASCII character weighs 1 (an emoji made of ASCII ones, a keycap, also holds
    U+FE0F or U+20E3), any other character at most 2, an emoji 2 whatever its length, and a URL,
    whose domain holds a ``.``, weighs 23 instead of its characters: so the weighted length is at
    most 1 per ASCII character, 2 per other one and 23 per ``.``; the JS length is exact. A text
    whose bound is within the limit needs no exact count, and twitter-text (0.2-0.3 s to import)
    stays unloaded.
    """
    if text.isascii():
        return len(text) + 23 * text.count(".")
    normal = unicodedata.normalize("NFC", text)
    ascii_chars = len(normal.encode("ascii", "ignore"))
    weighted = 2 * len(normal) - ascii_chars + 23 * normal.count(".")
    return max(weighted, utf16_length(text))


def utf16_length(text: str) -> int:
    """The JS ``string.length`` of ``text``: UTF-16 code units (a lone surrogate counts 1)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def weighted_length(text: str) -> int:
    """``parse_tweet(text).weightedLength``, exactly."""
    tables = _tables()
    if tables is None:
        return _parsed_length(text)
    if text.isascii():
        plain = _LINE_ENDS.sub("\n", text) if "\r" in text else text
        if tables.url_shortcut and _MAYBE_URL.search(plain) is None:
            return len(plain)
        return _length_with_entities(plain, tables, [])
    plain = _LINE_ENDS.sub("\n", unicodedata.normalize("NFC", text))
    if not tables.emoji_chars.isdisjoint(plain):
        return _length_with_entities(plain, tables, _emoji_spans(plain, tables))
    if not _may_hold_url(plain, tables):
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
    emoji_alone: frozenset[str]  # every character that is an emoji match on its own
    emoji_next: dict[str, frozenset[str]]  # a longer match's first character: its second ones
    emoji: re.Pattern[str]
    url_shortcut: bool  # whether a text _MAYBE_URL does not match holds no URL


def _may_hold_url(text: str, tables: _Tables) -> bool:
    if tables.url_shortcut:
        return _MAYBE_URL.search(text) is not None
    return "." in text  # extract_urls_with_indices finds nothing without one


def _emoji_spans(text: str, tables: _Tables) -> list[tuple[int, int]]:
    """(start, length) of each emoji, as ``emoji.finditer`` finds them."""
    # A match at index needs an alternative of one character that matches text[index], or a
    # longer one whose first two match text[index] and text[index + 1]: else it is not tried.
    spans = []
    position = 0
    alone, following, match = tables.emoji_alone, tables.emoji_next, tables.emoji.match
    for index, char in enumerate(text):
        if index < position:
            continue
        if char in alone or (char in following and text[index + 1 : index + 2] in following[char]):
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
    if _may_hold_url(text, tables):
        from twitter_text import extract_urls_with_indices

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
    """The tables, or None when twitter-text is not the one this mirrors."""
    from twitter_text.config import config
    from twitter_text.regexp.emoji import emoji

    options = config["defaults"]
    scale = options["scale"]
    ranges = options["ranges"]
    if options["default_weight"] != 2 * scale or any(r["weight"] != scale for r in ranges):
        return None
    if not options.get("emoji_parsing_enabled") or options["transformed_url_length"] < 0:
        return None
    if not all(any(r["start"] <= point <= r["end"] for r in ranges) for point in range(128)):
        return None  # ASCII characters must all weigh 1
    emoji_chars = emoji_characters(emoji)
    alternatives = _alternatives(emoji)
    if emoji_chars is None or alternatives is None:
        return None
    following: dict[str, set[str]] = {}
    for alternative in alternatives:
        if len(alternative) > 1:
            seconds = _characters([alternative[1]])
            for char in _characters([alternative[0]]):
                following.setdefault(char, set()).update(seconds)
    light = "".join(f"{_escape(r['start'])}-{_escape(r['end'])}" for r in ranges)
    return _Tables(
        url_weight=int(options["transformed_url_length"]),
        heavy=re.compile(f"[^{light}]"),
        emoji_chars=emoji_chars,
        emoji_alone=frozenset(_characters(a[0] for a in alternatives if len(a) == 1)),
        emoji_next={char: frozenset(seconds) for char, seconds in following.items()},
        emoji=emoji,
        url_shortcut=_url_shortcut(),
    )


def _url_shortcut() -> bool:
    """Whether every URL twitter-text extracts contains a match of ``_MAYBE_URL``.

    A domain is ``valid_domain``: names that each end in ``\\.``, then a top-level domain from
    ``valid_gtld``, ``valid_cctld`` or ``valid_punycode`` (``xn--…``); each must start with a
    character ``_MAYBE_URL`` accepts after the ".".
    """
    try:
        from twitter_text.regexp.valid_cctld import valid_cctld
        from twitter_text.regexp.valid_domain import valid_domain
        from twitter_text.regexp.valid_domain_name import valid_domain_name
        from twitter_text.regexp.valid_gtld import valid_gtld
        from twitter_text.regexp.valid_punycode import valid_punycode

        tlds = f"(?:{valid_gtld.pattern}|{valid_cctld.pattern}|{valid_punycode.pattern})"
        if not valid_domain.pattern.endswith(f"{valid_domain_name.pattern}{tlds})"):
            return False
        if not valid_domain_name.pattern.endswith(r"\.)"):
            return False
        if not valid_punycode.pattern.startswith("(?:xn--"):
            return False
        names = [*top_level_domains(valid_gtld), *top_level_domains(valid_cctld)]
    except (ImportError, AttributeError, ValueError):
        return False
    return len(names) > 0 and all(_MAYBE_URL.fullmatch("." + name[0]) for name in names)


def top_level_domains(pattern: re.Pattern[str]) -> list[str]:
    """The names of a ``valid_gtld``-like pattern: ``(?:(?:a|b|…)(?=…))``.

    Raises ValueError if the pattern is not of that shape.
    """
    source = pattern.pattern
    prefix, end = "(?:(?:", ")(?="
    if not source.startswith(prefix) or end not in source:
        raise ValueError("not a list of top-level domains")
    names = source[len(prefix) : source.index(end)].split("|")
    if not all(names) or any(re.escape(name) != name for name in names):
        raise ValueError("not a list of plain names")
    return names


# --- the emoji pattern's source, read as alternatives of literal characters and sets ---

# One position of an alternative: the code point ranges (first, last) it may match.
_Atom = tuple[tuple[int, int], ...]
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SPECIAL = frozenset(".^$*+?{}()")


def emoji_characters(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every non-ASCII character ``pattern`` can match.

    None when the pattern is not a plain alternation of literals and character sets, or when
    some match could be all ASCII: then this shortcut does not apply.
    """
    alternatives = _alternatives(pattern)
    if alternatives is None:
        return None
    if any(all(_has_ascii(atom) for atom in alternative) for alternative in alternatives):
        return None
    every = _characters(atom for alternative in alternatives for atom in alternative)
    return frozenset(char for char in every if not char.isascii())


def emoji_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every character a match of ``pattern`` can start with; None if that is not plain."""
    alternatives = _alternatives(pattern)
    if alternatives is None:
        return None
    return frozenset(_characters(alternative[0] for alternative in alternatives))


def _has_ascii(atom: _Atom) -> bool:
    return any(first < 128 for first, _ in atom)


def _characters(atoms: Iterable[_Atom]) -> set[str]:
    points: set[int] = set()
    for atom in atoms:
        for first, last in atom:
            points.update(range(first, last + 1))
    return set(map(chr, points))


@functools.lru_cache(maxsize=4)
def _alternatives(pattern: re.Pattern[str]) -> tuple[tuple[_Atom, ...], ...] | None:
    """The pattern as alternatives, each a sequence of atoms; None if it is anything else.

    Understood: ``|`` at the top level, literal characters, ``\\xhh``, ``\\uhhhh``,
    ``\\Uhhhhhhhh``, a backslash before punctuation, and sets ``[...]`` of those and ranges.
    Flags other than UNICODE (the default for str patterns) are not: IGNORECASE would widen
    every literal, VERBOSE would change what the source means.
    """
    if pattern.flags & ~re.UNICODE:
        return None
    source = pattern.pattern
    alternatives: list[tuple[_Atom, ...]] = []
    current: list[_Atom] = []
    index = 0
    try:
        while index < len(source):
            char = source[index]
            if char == "|":
                alternatives.append(tuple(current))
                current = []
                index += 1
            elif char == "[":
                atom, index = _set(source, index + 1)
                current.append(atom)
            elif char in _SPECIAL or char == "]":
                return None
            else:
                point, index = _character(source, index)
                current.append(((point, point),))
        alternatives.append(tuple(current))
    except ValueError:
        return None
    if not all(alternatives):  # an empty alternative matches the empty string
        return None
    return tuple(alternatives)


def _set(source: str, index: int) -> tuple[_Atom, int]:
    """The set starting after its ``[`` at ``index``, and the index after its ``]``."""
    if source[index : index + 1] in ("^", "]", ""):
        raise ValueError("negated, or starting with ']'")
    ranges = []
    while True:
        if index >= len(source):
            raise ValueError("unterminated set")
        if source[index] == "]":
            break
        if source[index] in "[&~|-" and source[index : index + 2] != "-]":
            raise ValueError("set syntax this reader does not know")
        first, index = _character(source, index)
        last = first
        if source[index : index + 1] == "-" and source[index + 1 : index + 2] not in ("]", ""):
            last, index = _character(source, index + 1)
            if last < first:
                raise ValueError("bad range")
        ranges.append((first, last))
    if not ranges:
        raise ValueError("empty set")
    return tuple(ranges), index + 1


def _character(source: str, index: int) -> tuple[int, int]:
    """The code point of the literal or escape at ``index``, and the index after it."""
    char = source[index]
    if char != "\\":
        return ord(char), index + 1
    escape = source[index + 1 : index + 2]
    if escape in _HEX_ESCAPES:
        digits = source[index + 2 : index + 2 + _HEX_ESCAPES[escape]]
        if len(digits) != _HEX_ESCAPES[escape] or not all(d in _HEX_DIGITS for d in digits):
            raise ValueError("bad hex escape")
        point = int(digits, 16)
        if point > 0x10FFFF:
            raise ValueError("code point out of range")
        return point, index + 2 + len(digits)
    if escape and escape.isascii() and not escape.isalnum():
        return ord(escape), index + 2
    raise ValueError(f"escape this reader does not know: \\{escape}")


def _escape(point: int) -> str:
    return f"\\U{point:08x}"
