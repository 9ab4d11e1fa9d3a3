"""YAML and JSON readers: document shape, item lines, YAML 1.2 scalars, safe loading only."""

import json
from pathlib import Path

import pytest

from calendar_sched.load.sources import read

YAML_CALENDAR = """\
# Acme, December
timezone: Europe/Berlin
defaults:
  Channels: [x, bluesky]
  type: schedule
posts:
  - id: welcome
    at: 2026-12-01 09:00
    text:
      default: Welcome to December!
      x: Hi December
    thread:
      - First reply
      - {text: Second reply, delay: 5}

  - id: 00123
    date: 2026-12-02
    time: 12:30
    content: "Quoted: text"
    settings: {tiktok: {autoAddMusic: no}, instagram: {post_type: post}}
    short_link: yes
    repeat_every_days: 7
    comment: Link in bio
"""


def test_yaml_golden(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(YAML_CALENDAR, encoding="utf-8")
    loaded = read(path)
    assert loaded.format == "yaml"
    assert loaded.problems == []
    assert loaded.timezone == "Europe/Berlin"
    assert loaded.defaults == {"channels": ["x", "bluesky"], "type": "schedule"}
    assert [(r.position.index, r.position.line, r.position.row) for r in loaded.records] == [
        (0, 7, None),
        (1, 16, None),
    ]
    assert loaded.records[0].cells == {
        "id": "welcome",
        "publish_at": "2026-12-01 09:00",
        "text": {"default": "Welcome to December!", "x": "Hi December"},
        "thread": ["First reply", {"text": "Second reply", "delay": 5}],
    }
    # YAML 1.2 scalars: no octal ids, no sexagesimal times, yes/no stay words.
    assert loaded.records[1].cells == {
        "id": "00123",
        "date": "2026-12-02",
        "time": "12:30",
        "text": "Quoted: text",
        "settings": {"tiktok": {"autoAddMusic": "no"}, "instagram": {"post_type": "post"}},
        "short_link": "yes",
        "repeat_every_days": 7,
        "thread.1": "Link in bio",
    }


def test_yaml_true_false_numbers_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "cal.yml"
    path.write_text(
        "- {short_link: true, repeat_every_days: 3, id: 1.5, at: '2026-12-01T09:00:00+01:00'}\n"
        "- {short_link: False, id: 1_000, at: 2026-12-01T09:00:00+01:00}\n",
        encoding="utf-8",
    )
    cells = [r.cells for r in read(path).records]
    assert cells == [
        {
            "short_link": True,
            "repeat_every_days": 3,
            "id": 1.5,
            "publish_at": "2026-12-01T09:00:00+01:00",
        },
        {"short_link": False, "id": "1_000", "publish_at": "2026-12-01T09:00:00+01:00"},
    ]


def test_yaml_merge_keys_work(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        "base: &base {channels: [x], time: '09:00'}\nposts:\n  - <<: *base\n    text: hi\n",
        encoding="utf-8",
    )
    loaded = read(path)
    assert loaded.records[0].cells == {"channels": ["x"], "time": "09:00", "text": "hi"}
    assert [(p.code, p.field) for p in loaded.problems] == [("unknown-column", "base")]


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo pwned']\n",
        "posts:\n  - text: !!python/object:builtins.dict {}\n",
        "posts:\n  - !!python/name:os.system\n",
    ],
)
def test_unsafe_yaml_is_an_unreadable_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = read(path)
    assert loaded.records == []
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert "remove the tag" in loaded.problems[0].message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("posts:\n  - text: a\n   bad indent: b\n", "line 3"),
        ("a: 1\n---\nb: 2\n", "not valid YAML"),
        ("just a sentence\n", "must hold a mapping"),
    ],
)
def test_broken_yaml(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = read(path)
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert fragment in loaded.problems[0].message


def test_bad_shapes_are_bad_values_at_the_item(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        "posts:\n"
        "  - text: fine\n"  # line 2
        "  - just text\n"  # line 3
        "  -\n"  # line 4
        "  - text: a\n"  # line 5
        "    body: b\n"
        "    notes: c\n",
        encoding="utf-8",
    )
    loaded = read(path)
    assert [(r.position.index, r.position.line) for r in loaded.records] == [(0, 2), (3, 5)]
    assert loaded.records[1].cells == {"text": "a"}
    assert [(p.code, p.row, p.note) for p in loaded.problems] == [
        ("bad-value", 3, "item 1 (line 3)"),
        ("bad-value", 4, "item 2 (line 4)"),
        ("bad-value", 5, "item 3 (line 5)"),
        ("unknown-column", 5, None),
    ]
    assert "'text' and 'body' both mean text" in loaded.problems[2].message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("posts: {text: a}\n", "posts"),
        ("timezone: UTC\n", "posts"),
        ("defaults: [x]\nposts: []\n", "defaults"),
    ],
)
def test_bad_top_level_shapes(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = read(path)
    assert loaded.records == []
    assert [(p.code, p.field) for p in loaded.problems] == [("bad-value", field)]


def test_timezone_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text("timezone: [Europe/Berlin]\nposts: []\n", encoding="utf-8")
    assert [p.code for p in read(path).problems] == ["bad-timezone"]


def test_json_golden_with_item_lines(tmp_path: Path) -> None:
    document = {
        "timezone": "Europe/Berlin",
        "defaults": {"channel": "x"},
        "posts": [
            {"id": "a", "publish_at": "2026-12-01T09:00:00", "message": "one"},
            {"id": "b", "publish_at": "2026-12-01T12:30:00", "text": {"default": "two"}},
            "oops",
        ],
    }
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    loaded = read(path)
    assert loaded.format == "json"
    assert loaded.timezone == "Europe/Berlin"
    assert loaded.defaults == {"channels": "x"}
    assert [(r.position.index, r.position.line) for r in loaded.records] == [(0, 7), (1, 12)]
    assert loaded.records[0].cells == {
        "id": "a",
        "publish_at": "2026-12-01T09:00:00",
        "text": "one",
    }
    assert [(p.code, p.row) for p in loaded.problems] == [("bad-value", 19)]


def test_json_bare_list_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_bytes(b'\xef\xbb\xbf[{"text": "a"}, {"text": "b"}]')
    loaded = read(path)
    assert [(r.position.index, r.position.line, r.cells) for r in loaded.records] == [
        (0, 1, {"text": "a"}),
        (1, 1, {"text": "b"}),
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b'{"posts": [}', "line 1, column 12"),
        (b"\xff\xfe\xff", "not UTF-8"),
        (b"\x81\x82", "not UTF-8"),
        (b'"text"', "must hold a mapping"),
    ],
)
def test_broken_json(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "cal.json"
    path.write_bytes(content)
    loaded = read(path)
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert fragment in loaded.problems[0].message


def test_text_fits_every_key() -> None:
    """The YAML/JSON reader skips the shape check for text values (``_canonical``): keep it so."""
    from calendar_sched.load.sources.shapes import NAMES, SINGLE, shape_problem

    keys = [*SINGLE, *NAMES, "text", "text.x", "media", "thread", "thread.2", "settings.x.who"]
    assert [key for key in keys if shape_problem(key, "some text") is not None] == []
