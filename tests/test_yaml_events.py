"""The YAML document built from libyaml's events: the same data as safe loading under YAML 1.2
scalar rules, the lines PyYAML's own node graph gives, and every refusal."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.errors import InputError
from calendar_sched.load.sources import read
from calendar_sched.load.sources.yaml import load_document, yaml_source

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_SCALARS = st.none() | st.booleans() | st.integers() | _TEXT
_SCALARS |= st.floats(allow_nan=False)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(data=_DATA, flow=st.sampled_from([False, True, None]))
def test_dumped_data_reads_back_the_same(data: Any, flow: bool | None) -> None:
    """Whatever PyYAML's safe dumper writes (it quotes text YAML 1.1 would read otherwise)
    reads back as the same data, however it is laid out."""
    text = yaml.safe_dump({"data": data}, default_flow_style=flow, allow_unicode=True)
    assert load_document(text).data == {"data": data}


_ITEM = st.dictionaries(
    st.sampled_from(["text", "id", "channels", "tags", "media", "thread"]),
    _SCALARS | st.lists(_TEXT, max_size=3),
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(_ITEM | _TEXT | st.lists(_TEXT, max_size=2), max_size=6),
    flow=st.sampled_from([False, None]),
    top=st.booleans(),
)
def test_item_lines_are_the_node_graph_lines(
    items: list[Any], flow: bool | None, top: bool
) -> None:
    """Item starts, ends and key lines are where PyYAML's composer puts each item's node."""
    data: Any = {"timezone": "UTC", "posts": items} if top else items
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    built = load_document(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if top:
        assert built.top_lines == {k.value: k.start_mark.line + 1 for k, _ in root.value}
        nodes = next(v for k, v in root.value if k.value == "posts").value
    else:
        nodes = root.value
    assert built.item_lines == [n.start_mark.line + 1 for n in nodes]
    assert built.item_spans == [(n.start_mark.line + 1, n.end_mark.line + 1) for n in nodes]
    assert built.item_key_lines == [
        {k.value: k.start_mark.line + 1 for k, _ in n.value}
        if isinstance(n, yaml.MappingNode)
        else {}
        for n in nodes
    ]


def test_yaml_12_scalars_plain_or_tagged() -> None:
    text = (
        "a: yes\nb: 012\nc: 0x1f\nd: 1_000\ne: 12:30\nf: 2026-12-01\ng: .inf\nh: .nan\n"
        "i: 1e5\nj: 1.5e+3\nk: +12\nl: ~\nm: TRUE\nn: tRUE\no: '7'\np: ! 12\n"
        "q: !!str 3\nr: !!int '7'\ns: !!int 012\nt: !!timestamp 2026-12-01\nu: !!float 1\n"
    )
    data = load_document(text).data
    assert data == {
        "a": "yes",
        "b": "012",
        "c": "0x1f",
        "d": "1_000",
        "e": "12:30",
        "f": "2026-12-01",
        "g": math.inf,
        "h": ".nan",
        "i": "1e5",
        "j": 1500.0,
        "k": 12,
        "l": None,
        "m": True,
        "n": "tRUE",
        "o": "7",
        "p": 12,
        "q": "3",
        "r": 7,
        "s": "012",  # a plain scalar stays YAML 1.2 even when tagged
        "t": "2026-12-01",
        "u": 1.0,
    }


def test_set_and_pairs_are_built_as_safe_loading_builds_them() -> None:
    data = load_document("a: !!set {x, y}\nb: !!omap [x: 1, y: 2]\n").data
    assert data == {"a": {"x", "y"}, "b": [("x", 1), ("y", 2)]}


def test_merges_own_keys_win_then_the_first_mapping_listed() -> None:
    text = (
        "base: &base {channels: [x], time: '09:00', type: draft}\n"
        "more: &more {time: '10:00', link: l}\n"
        "posts:\n"
        "  - <<: *base\n    type: schedule\n"
        "  - <<: [*more, *base]\n"
    )
    posts = load_document(text).data["posts"]
    assert posts[0] == {"channels": ["x"], "time": "09:00", "type": "schedule"}
    assert posts[1] == {"time": "10:00", "link": "l", "channels": ["x"], "type": "draft"}
    assert posts[1]["channels"] is posts[0]["channels"]  # an alias shares the value


def test_repeated_keys_are_listed_with_both_lines() -> None:
    text = "posts:\n- a: 1\n  a: 2\n  b:\n    c: 1\n    c: 2\ntimezone: UTC\ntimezone: X\n"
    repeated = load_document(text).repeated
    assert [(r.key, r.line, r.first_line, r.top) for r in repeated] == [
        ("a", 3, 2, False),
        ("c", 6, 5, False),
        ("timezone", 8, 7, True),
    ]


def test_posts_as_an_alias_keep_the_lines_of_the_list_it_names() -> None:
    built = load_document("p: &p\n  - {text: a}\n  - text: b\n    id: x\nposts: *p\n")
    assert built.item_lines == [2, 3]
    assert built.item_spans == [(2, 2), (3, 5)]  # a block mapping ends where the next key starts
    assert built.item_key_lines == [{"text": 2}, {"text": 3, "id": 4}]


def test_an_alias_item_is_on_its_own_line() -> None:
    built = load_document("posts:\n - &q {text: a}\n - *q\n")
    assert built.item_lines == [2, 3]
    assert built.data["posts"][0] is built.data["posts"][1]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &x 1\nb: &x 2\n", "anchor &x is defined twice \\(first on line 1\\)"),
        ("a: *nowhere\n", "undefined alias"),
        ("? [1]\n: 2\n", "unhashable key"),
        ("? {a: 1}\n: 2\n", "unhashable key"),
        ("k: <<\n", "tag:yaml.org,2002:merge"),
        ("- =\n", "tag:yaml.org,2002:value"),
        ("<<: 1\n", "but found scalar"),
        ("<<: [{a: 1}, [b]]\n", "expected a mapping for merging, but found sequence"),
        ("a: !foo 3\n", "remove the tag"),
        ("a: !foo [3]\n", "remove the tag"),
        ("a: !!python/tuple [1]\n", "remove the tag"),
        ("a: 1\n---\nb: 2\n", "but found another document"),
        ("posts: &p [{text: hi, thread: *p}]\n", "refers to the value that contains it"),
        ("", "empty"),
        ("# nothing\n", "empty"),
        ("a: " + "[" * 101 + "]" * 101 + "\n", "more than 100 lists and mappings"),
    ],
)
def test_refusals(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment.replace("[", r"\[")):
        load_document(text)


def test_a_hundred_levels_are_read() -> None:
    assert load_document("[" * 100 + "]" * 100).data is not None


def test_equals_is_text_as_a_key() -> None:
    assert load_document("=: 1\n").data == {"=": 1}
    assert load_document("? &x =\n: 1\nb: *x\n").data == {"=": 1, "b": "="}


def test_an_anchored_merge_key_merges_again_or_is_refused() -> None:
    assert load_document("&m <<: {a: 1}\n*m : {b: 2}\n").data == {"a": 1, "b": 2}
    with pytest.raises(InputError, match="tag:yaml.org,2002:merge"):
        load_document("&m <<: {a: 1}\nb: *m\n")


def test_an_alias_bomb_is_refused_at_the_line_that_goes_over() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    # a, b, c, d expand to 10, 91, 820 and 7,381 values; e (line 5) to 66,430: over 13,420
    with pytest.raises(InputError, match="line 5: the anchors and aliases"):
        load_document("\n".join(lines) + "\n")


def test_aliases_within_the_budget_are_fine() -> None:
    text = "d: &d {channels: [x, y], type: draft}\nposts:\n" + "  - {<<: *d, text: hi}\n" * 500
    assert len(load_document(text).data["posts"]) == 500


def test_a_calendar_reads_the_same_through_events(tmp_path: Path) -> None:
    """The reader takes the event-built document: records, lines and problems together."""
    path = tmp_path / "cal.yaml"
    path.write_text(
        "posts:\n"
        "  - text: one\n    channels: [x]\n    text: again\n"  # line 2, repeated key on 4
        "  - {text: two, nope: 1}\n",  # line 5
        encoding="utf-8",
    )
    loaded = read(path)
    assert [(r.position.line, r.cells) for r in loaded.records] == [
        (2, {"text": "again", "channels": ["x"]}),
        (5, {"text": "two"}),
    ]
    assert [(p.code, p.row) for p in loaded.records[0].problems] == [("bad-value", 4)]
    assert [(p.code, p.field) for p in loaded.problems] == [("unknown-column", "nope")]
    assert loaded.whole_characters


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfa: 1\n", {"a": 1}),
        ("a: café \U0001f331\n".encode(), {"a": "café \U0001f331"}),
        ("a: 1\n".encode("utf-16"), {"a": 1}),
    ],
)
def test_utf8_is_parsed_from_its_bytes(data: bytes, expected: Any) -> None:
    source = yaml_source(data)
    assert isinstance(source, bytes) is data.startswith((b"\xef", b"a"))
    assert load_document(source).data == expected


def test_a_bad_byte_is_named_even_past_the_first_megabyte() -> None:
    data = ("a: " + "é" * 700_000).encode() + b"\xff\n"  # é is two bytes: a piece ends mid-é
    with pytest.raises(InputError, match=f"not UTF-8 text \\(byte {len(data) - 2}\\)"):
        yaml_source(data)


_TOKENS = ["- ", ": ", "&a ", "&b ", "*a", "*b", "<<", "[", "]", "{", "}", ", ", "\n", "  ", "? "]
_TOKENS += ["!!set ", "!!str ", "!!omap ", "!foo ", "x", "1", "'q'", "|\n  t\n", "=", "posts", "~"]
_TOKENS += ["true", "12:30", "---\n", "#c\n", "? &a =\n: 1\n", "&b <<: {x: 1}\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=14))
def test_any_token_soup_is_data_or_an_input_error(tokens: list[str]) -> None:
    """Whatever the events, the builder ends in data or an InputError, never another error."""
    text = "".join(tokens)
    try:
        built = load_document(text)
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
        assert built.item_lines is None or len(built.item_lines) == len(built.item_spans or ())
        assert "_Special" not in repr(built.data)  # << and = never end up as data
    if message:
        with pytest.raises(InputError, match=re.escape(message)):  # and always the same one
            load_document(text.encode())
