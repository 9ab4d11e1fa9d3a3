"""A YAML document built straight from libyaml's events, item by item, with no node graph.

Composing a node graph first (PyYAML's way) keeps a node and two marks per value alive until the
whole document is built: a 100k-row calendar is millions of tracked objects, and the cyclic
collector walks them again and again. Here each event is turned into data at once and dropped.

What the build keeps from safe loading, and adds:
- Plain scalars get YAML 1.2 types: ``no``/``on`` stay words, ``12:30`` is not sexagesimal,
  ``00123`` is not octal, dates stay text. Each distinct plain scalar is resolved once.
- Standard explicit tags (``!!str``, ``!!int``, ``!!set``, …) are built as safe loading builds
  them; any other tag is refused (``ConstructorError``).
- ``<<`` merge keys: the mapping's own keys win; earlier mappings in a merge list win over later
  ones (the YAML merge rule).
- Keys given twice in one mapping are listed (building keeps only the last value).
- Anchors and aliases share the built value; a document whose aliases would expand beyond a
  budget relative to its size (the "billion laughs"), or an alias inside its own anchor, is
  refused. The expanded size is counted as the events go, so a bomb is refused at once.
- Lists and mappings nested more than ``MAX_DEPTH`` deep are refused.
- The lines of the top-level keys and of each item of the posts list (its start, its end and
  its keys) are kept, so that a problem names its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from calendar_sched.errors import InputError
from calendar_sched.load.sources.document import POSTS_KEYS

#: Values a document may expand to: this many, plus ``EXPANSION_PER_BYTE`` per byte of text.
EXPANSION_BASE = 10_000
EXPANSION_PER_BYTE = 10

#: Lists and mappings inside one another: a calendar needs fewer than ten.
MAX_DEPTH = 100


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_PLAIN_TAGS = (None, "!")
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_SET = "tag:yaml.org,2002:set"
_PAIRS = ("tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs")
_INT_12 = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)")
_BOOL_12 = {"true", "false"}


class _Special:
    """A plain scalar that is a key only: ``<<`` (merge) or ``=`` (YAML 1.1's value key)."""

    def __init__(self, tag: str, raw: str) -> None:
        self.tag = tag
        self.raw = raw


_MERGE = _Special(_MERGE_TAG, "<<")
_EQUALS = _Special(_VALUE_TAG, "=")
_NO_KEY = object()


@dataclass(frozen=True)
class RepeatedKey:
    """A key given twice in one mapping: where, and where it was first."""

    key: str
    line: int
    first_line: int
    top: bool  # in the document's top-level mapping, not inside an entry


@dataclass
class Built:
    """A document's data, with the lines its top-level keys and posts items were written on.

    ``item_lines``, ``item_spans`` and ``item_key_lines`` are ``None`` when the document has no
    posts list (or an alias to a list that is not at the top of the document).
    """

    data: Any
    top_lines: dict[str, int] = field(default_factory=dict)
    item_lines: list[int] | None = None
    item_spans: list[tuple[int, int]] | None = None
    item_key_lines: list[dict[str, int]] | None = None
    repeated: list[RepeatedKey] = field(default_factory=list)


_ItemLines = tuple[list[int], list[dict[str, int]], list[tuple[int, int]]]


_NO_LINES: dict[str, int] = {}
_NO_SPANS: list[tuple[int, int]] = []


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = (
        "anchor",
        "extra",
        "first",
        "is_map",
        "is_posts",
        "items",
        "key",
        "lines",
        "mark",
        "merges",
        "nodes",
        "spans",
        "tag",
        "value",
    )

    def __init__(self, event: Any, is_map: bool, nodes: int, extra: int) -> None:
        self.is_map = is_map
        self.value: Any = {} if is_map else []
        self.anchor: str | None = event.anchor
        self.tag: str | None = event.tag
        self.mark = event.start_mark
        self.nodes = nodes  # values counted before this one: its size is what comes after
        self.extra = extra  # alias expansion counted before this one
        self.key: Any = _NO_KEY
        # A mapping's scalar keys: the first line of each (a list's stays the shared empty one).
        self.lines: dict[str, int] = {} if is_map else _NO_LINES
        self.merges: list[tuple[Any, Any]] | None = None  # the values of its << keys
        self.is_posts = False  # the document's posts list
        # A list whose items' lines are kept (``track``): the posts list, or one it may alias.
        self.items: list[tuple[int, dict[str, int]]] | None = None  # start and key lines
        self.spans: list[tuple[int, int]] = _NO_SPANS  # first and last lines, once tracked
        self.first = 0  # the first line of the item being read

    def track(self) -> None:
        self.items = []
        self.spans = []


class _Builder:
    def __init__(self, loader: Any, text_size: int) -> None:
        self.loader = loader
        self.text_size = text_size
        self.plain: dict[str, Any] = {}
        self.anchors: dict[str, tuple[Any, int, Any]] = {}  # name: (value, size, mark)
        self.open_anchors: dict[str, Any] = {}
        self.built = Built(None)
        self.root: _Open | None = None
        self.posts_seen = False
        #: Anchor → item lines of a top-level list a ``posts: *alias`` may name.
        self.tracked: dict[str, _ItemLines] = {}

    def first_posts(self, top: Any) -> bool:
        """Whether the value now given to the open mapping ``top`` is the document's posts (the
        value of the top-level mapping's first ``posts:``/``entries:`` key): true once only."""
        root = self.root
        if self.posts_seen or root is None or top is not root:
            return False
        if not root.is_map or not _is_posts(root.key):
            return False
        self.posts_seen = True
        return True

    def use_items(self, found: _ItemLines) -> None:
        """The posts list's item lines: start, key lines, spans."""
        built = self.built
        built.item_lines, built.item_key_lines, built.item_spans = found

    def resolve_plain(self, raw: str, mark: Any) -> Any:
        """A plain scalar as YAML 1.2 data (``_MERGE`` for ``<<``, ``_EQUALS`` for ``=``)."""
        tag = self.loader.resolve(yaml.ScalarNode, raw, (True, False))
        if tag == _MERGE_TAG:
            return _MERGE
        if tag == _VALUE_TAG:
            return _EQUALS
        return self.construct(tag, raw, mark, plain=True)

    def construct(self, tag: str, raw: str, mark: Any, *, plain: bool = False) -> Any:
        """A scalar of ``tag``, built as safe loading builds it (or refused); a plain one that
        YAML 1.2 reads as text (``012``, ``12:30``, ``no``, a date) stays text."""
        if tag == _STR or (
            plain
            and (
                (tag == _INT and not _INT_12.fullmatch(raw))
                or (tag == _FLOAT and not _FLOAT_12.fullmatch(raw))
                or (tag == _BOOL and raw.lower() not in _BOOL_12)
                or tag == _TIMESTAMP
            )
        ):
            return raw
        node = yaml.ScalarNode(tag, raw, mark, mark)
        return self.loader.construct_object(node, deep=True)

    def alias(self, event: Any) -> tuple[Any, int]:
        name = event.anchor
        found = self.anchors.get(name)
        if found is not None:
            return found[0], found[1]
        if name in self.open_anchors:
            raise InputError(
                f"line {event.start_mark.line + 1}: an alias refers to the value that contains "
                "it, which never ends; remove the alias"
            )
        raise ComposerError(None, None, "found undefined alias", event.start_mark)

    def anchor(self, name: str, value: Any, size: int, mark: Any) -> None:
        self.open_anchors.pop(name, None)
        self.anchors[name] = (value, size, mark)

    def open_anchor(self, name: str | None, mark: Any) -> None:
        if name is None:
            return
        earlier = self.anchors.get(name)
        first = earlier[2] if earlier is not None else self.open_anchors.get(name)
        if first is not None:
            raise ComposerError(
                None,
                None,
                f"the anchor &{name} is defined twice (first on line {first.line + 1}); give "
                "each anchor its own name",
                mark,
            )
        self.open_anchors[name] = mark

    def check_size(self, size: int, mark: Any) -> None:
        budget = EXPANSION_BASE + EXPANSION_PER_BYTE * self.text_size
        if size > budget:
            raise InputError(
                f"line {mark.line + 1}: the anchors and aliases of this file expand to more "
                f"than {budget:,} values (a file of {self.text_size:,} bytes may expand to "
                f"{EXPANSION_BASE:,} + {EXPANSION_PER_BYTE} per byte); use aliases for "
                "defaults, not to multiply data"
            )

    def special(self, value: _Special, is_key: bool, mark: Any) -> Any:
        """``<<`` or ``=`` where it stands: a merge or the text ``=`` as a key, else refused."""
        if not is_key:
            self.construct(value.tag, value.raw, mark)  # raises: no constructor for the tag
        return value if value is _MERGE else value.raw

    def close(self, frame: _Open, nodes: int, extra: int) -> tuple[Any, int]:
        """The finished value of ``frame`` and its expanded size (``nodes`` and ``extra`` are
        the counts so far): merges applied, tags built, size checked."""
        value = frame.value
        if frame.is_map:
            if frame.merges:
                value = self.merged(frame)
            if frame.tag not in _MAP_TAGS:
                value = self.tagged_mapping(frame, value)
        elif frame.tag not in _SEQ_TAGS:
            value = self.tagged_sequence(frame, value)
        if frame.items is not None:
            found = ([line for line, _ in frame.items], [k for _, k in frame.items], frame.spans)
            if frame.is_posts:
                self.use_items(found)
            if frame.anchor is not None:
                self.tracked[frame.anchor] = found
        size = nodes - frame.nodes + extra - frame.extra
        if extra:
            self.check_size(size, frame.mark)
        if frame.anchor is not None:
            self.anchor(frame.anchor, value, size, frame.mark)
        return value, size

    def merged(self, frame: _Open) -> dict[Any, Any]:
        """``<<`` merges under the mapping's own keys; earlier mappings in a list win."""
        sources: list[dict[Any, Any]] = []
        for merge, mark in frame.merges or ():
            if isinstance(merge, dict):
                sources.append(merge)
                continue
            if not isinstance(merge, list):
                raise ConstructorError(
                    "while constructing a mapping",
                    frame.mark,
                    "expected a mapping or list of mappings for merging, but found "
                    + _node_kind(merge),
                    mark,
                )
            for one in merge:
                if not isinstance(one, dict):
                    raise ConstructorError(
                        "while constructing a mapping",
                        frame.mark,
                        "expected a mapping for merging, but found " + _node_kind(one),
                        mark,
                    )
            sources.extend(reversed(merge))
        result: dict[Any, Any] = {}
        for source in sources:
            result.update(source)
        result.update(frame.value)
        return result

    def tagged_mapping(self, frame: _Open, value: dict[Any, Any]) -> Any:
        if frame.tag == _SET:
            return set(value)
        raise _no_constructor(frame)

    def tagged_sequence(self, frame: _Open, value: list[Any]) -> Any:
        if frame.tag in _PAIRS and all(isinstance(one, dict) and len(one) == 1 for one in value):
            return [next(iter(one.items())) for one in value]
        raise _no_constructor(frame)


def build(loader: Any, text_size: int) -> Built | None:
    """The document that ``loader`` (a libyaml ``CSafeLoader``) parses; ``None`` for no document.

    Raises:
        InputError: an alias bomb or an alias inside itself.
        yaml.YAMLError: broken YAML, a refused tag, a second document.
    """
    b = _Builder(loader, text_size)
    get = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    plain = b.plain
    missing = _NO_KEY
    stack: list[_Open] = []
    top: Any = None  # the open container (an _Open), None outside the root
    in_map = False  # top is a mapping
    root: Any = missing
    document_mark: Any = None
    repeated = b.built.repeated
    nodes = extra = 0  # values met, and what aliases add to them when expanded
    while True:
        event = get()
        kind = type(event)
        size = 1
        if kind is scalar_event:
            nodes += 1
            raw = event.value
            tag = event.tag
            if tag is None or tag == "!":
                if event.style:
                    value = raw
                else:
                    value = plain.get(raw, missing)
                    if value is missing:
                        value = plain[raw] = b.resolve_plain(raw, event.start_mark)
            else:
                value = b.construct(tag, raw, event.start_mark, plain=not event.style)
            is_key = in_map and top.key is missing
            if value is _MERGE or value is _EQUALS:  # a key only: ``=`` is then the text
                value = b.special(value, is_key, event.start_mark)
            if event.anchor is not None:
                b.open_anchor(event.anchor, event.start_mark)
                b.anchor(event.anchor, value, 1, event.start_mark)
            if is_key:
                if type(value) is not str and value is not _MERGE:
                    _hashable(value, top, event)
                top.key = value
                name = raw.strip()
                first = top.lines.get(name)
                if first is None:
                    top.lines[name] = event.start_mark.line + 1
                elif value is not _MERGE:
                    line = event.start_mark.line + 1
                    repeated.append(RepeatedKey(name, line, first, top is b.root))
                continue
        elif kind is mapping_start or kind is sequence_start:
            if len(stack) == MAX_DEPTH:
                raise InputError(
                    f"line {event.start_mark.line + 1}: values are nested too deeply to read "
                    f"(more than {MAX_DEPTH} lists and mappings inside one another); flatten "
                    "the file"
                )
            b.open_anchor(event.anchor, event.start_mark)
            frame = _Open(event, kind is mapping_start, nodes, extra)
            nodes += 1
            if top is None:
                b.root = frame
                if kind is sequence_start:
                    frame.is_posts = True
                    frame.track()
            elif in_map:
                if b.first_posts(top):
                    if kind is sequence_start:
                        frame.is_posts = True
                        frame.track()
                elif kind is sequence_start and frame.anchor is not None and top is b.root:
                    frame.track()  # a posts: alias may name it
            if top is not None and top.items is not None:
                line = event.start_mark.line + 1
                top.first = line
                top.items.append((line, frame.lines))
            stack.append(frame)
            top = frame
            in_map = frame.is_map
            continue
        elif kind is mapping_end or kind is sequence_end:
            value, size = b.close(stack.pop(), nodes, extra)
            if stack:
                top = stack[-1]
                in_map = top.is_map
                if top.items is not None:
                    top.spans.append((top.first, event.end_mark.line + 1))
            else:
                top = None
                in_map = False
        elif kind is alias_event:
            value, size = b.alias(event)
            nodes += 1
            extra += size - 1
            is_key = in_map and top.key is missing
            if value is _MERGE:  # an anchored << key: a merge key again, or refused
                value = b.special(value, is_key, event.start_mark)
            if is_key:
                if type(value) is not str and value is not _MERGE:
                    _hashable(value, top, event)
                top.key = value
                continue
            if in_map and b.first_posts(top):
                found = b.tracked.get(event.anchor)
                if found is not None:
                    b.use_items(found)  # posts: *list: the lines where that list was written
        elif kind is yaml.DocumentStartEvent:
            if document_mark is not None:
                raise ComposerError(
                    "expected a single document in the stream",
                    document_mark,
                    "but found another document",
                    event.start_mark,
                )
            document_mark = event.start_mark
            continue
        elif kind is yaml.StreamEndEvent:
            break
        else:  # stream start, document end
            continue
        # a value is complete: put it in its place
        if in_map:
            key = top.key
            if key is missing:  # a list or a mapping as a key
                _hashable(value, top, event)
                top.key = value
                continue
            if key is _MERGE:
                if top.merges is None:
                    top.merges = []
                top.merges.append((value, event.start_mark))
            else:
                top.value[key] = value
                if top is b.root and kind is scalar_event:
                    b.first_posts(top)  # posts: with no list under it: no lines to keep
            top.key = missing
        elif top is not None:
            if top.items is not None and (kind is scalar_event or kind is alias_event):
                line = event.start_mark.line + 1
                top.items.append((line, {}))
                top.spans.append((line, event.end_mark.line + 1))
            top.value.append(value)
        else:
            root = value
    if root is missing:
        return None
    b.built.data = root
    if b.root is not None and b.root.is_map:
        b.built.top_lines = b.root.lines
    return b.built


def _hashable(key: Any, frame: _Open, event: Any) -> None:
    try:
        hash(key)
    except TypeError:
        raise ConstructorError(
            "while constructing a mapping", frame.mark, "found unhashable key", event.start_mark
        ) from None


def _no_constructor(frame: _Open) -> ConstructorError:
    message = f"could not determine a constructor for the tag {frame.tag!r}"
    return ConstructorError(None, None, message, frame.mark)


def _node_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    return "sequence" if isinstance(value, list) else "scalar"


def _is_posts(key: Any) -> bool:
    return isinstance(key, str) and key.strip().lower() in POSTS_KEYS
