"""Checks on a YAML document's node graph, before anything builds or walks its values.

Anchors and aliases make the graph a DAG: ``<<: *defaults`` on every post is fine, but a few
hundred bytes of nested aliases expand to billions of values (the "billion laughs"). The
expanded size is counted on the graph itself, each node once, and a document that would expand
beyond a budget relative to its own size is refused, as is an alias that contains itself.

``scan`` walks the graph once, each node once, whatever its aliases: it gives plain scalars their
YAML 1.2 types, finds keys given twice in one mapping (which YAML loaders silently resolve to the
last value) and says whether any node is shared, so the expansion is counted only for documents
that use aliases. Every walk here is iterative: nesting depth cannot overflow the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from calendar_sched.errors import InputError

#: Values a document may expand to: this many, plus ``EXPANSION_PER_BYTE`` per byte of text.
EXPANSION_BASE = 10_000
EXPANSION_PER_BYTE = 10

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_INT_12 = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)")
_BOOL_12 = {"true", "false"}


def line_of(node: yaml.Node) -> int:
    """1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node, text_size: int) -> None:
    """Refuse a document whose aliases expand beyond the budget, or refer to themselves.

    Call it for a graph ``scan`` found shared nodes in: a tree is no bigger than its text.

    Raises:
        InputError: naming the line of the alias that goes over, the budget and the fix.
    """
    budget = EXPANSION_BASE + EXPANSION_PER_BYTE * text_size
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > budget:
                raise InputError(
                    f"line {line_of(node)}: the anchors and aliases of this file expand to more "
                    f"than {budget:,} values (a file of {text_size:,} bytes may expand to "
                    f"{EXPANSION_BASE:,} + {EXPANSION_PER_BYTE} per byte); use aliases for "
                    "defaults, not to multiply data"
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InputError(
                f"line {line_of(node)}: an alias refers to the value that contains it, which "
                "never ends; remove the alias"
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


@dataclass(frozen=True)
class RepeatedKey:
    """A key given twice in one mapping: where, and where it was first."""

    key: str
    line: int
    first_line: int
    top: bool  # in the document's top-level mapping, not inside an entry


@dataclass
class Scan:
    """What one walk over a document's node graph found."""

    shared: bool = False  # some node is reached twice: an alias
    repeated: list[RepeatedKey] = field(default_factory=list)  # in file order


def scan(root: yaml.Node) -> Scan:
    """Walk every node once: retag plain scalars to YAML 1.2 (``no``, ``12:30``, ``0123`` and
    dates stay text), list keys given twice in one mapping (``<<`` merges excepted), and note
    whether any node is shared."""
    found = Scan()
    seen: set[int] = set()
    stack = [root]
    scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    while stack:
        node = stack.pop()
        if id(node) in seen:
            found.shared = True
            continue
        seen.add(id(node))
        if isinstance(node, scalar):
            if not node.style:  # quoted or block scalars (plain is None in PyYAML, '' in libyaml)
                _retag(node)
        elif isinstance(node, mapping):
            first: dict[str, int] = {}
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
                if not isinstance(key, scalar) or key.tag == _MERGE:
                    continue
                name = key.value.strip()
                if name in first:
                    found.repeated.append(
                        RepeatedKey(name, line_of(key), first[name], node is root)
                    )
                else:
                    first[name] = line_of(key)
        elif isinstance(node, sequence):
            stack.extend(node.value)
    found.repeated.sort(key=lambda item: item.line)
    return found


def _retag(node: yaml.ScalarNode) -> None:
    tag, value = node.tag, node.value
    if (
        (tag == _INT and not _INT_12.fullmatch(value))
        or (tag == _FLOAT and not _FLOAT_12.fullmatch(value))
        or (tag == _BOOL and value.lower() not in _BOOL_12)
        or tag == _TIMESTAMP
    ):
        node.tag = _STR


def span_of(node: yaml.Node) -> tuple[int, int]:
    """First and last line (1-based) of ``node``."""
    return line_of(node), int(node.end_mark.line) + 1


def key_lines(node: yaml.Node) -> dict[str, int]:
    """The line of each scalar key of a mapping node (the first, when a key repeats)."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                lines.setdefault(str(key.value).strip(), line_of(key))
    return lines
