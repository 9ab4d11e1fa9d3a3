"""YAML/JSON values of the wrong shape are errors at their line, and alias bombs are refused
before anything is built (#19 items 4 and 6)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from calendar_sched.check.validation import validate
from calendar_sched.errors import InputError
from calendar_sched.load.channels import load_channels_file
from calendar_sched.load.sources import read
from calendar_sched.sheets.source_table import read_source

GOOD = "    publish_at: 2030-03-01 09:00\n    channels: demo-x\n"


def _problems(tmp_path: Path, text: str, name: str = "cal.yaml") -> list[tuple[str, int | None]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    loaded = read(path)
    found = [*loaded.problems, *(p for r in loaded.records for p in r.problems)]
    return sorted((p.code, p.row) for p in found if p.severity == "error")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("posts:\n  - text: hi\n" + GOOD + "    type: [draft]\n", 5),
        ("posts:\n  - text: hi\n" + GOOD + "    id: {a: 1}\n", 5),
        ("posts:\n  - text: hi\n" + GOOD + "    tags: [a, [b, c]]\n", 5),
        ("posts:\n  - text: hi\n" + GOOD + "    channels: [[demo-x]]\n", 4),
        ("posts:\n  - text: hi\n" + GOOD + "    text: again\n", 5),
        ("posts:\n  - text: {default: hi, x: [a]}\n" + GOOD, 2),
        ("posts:\n  - text: hi\n" + GOOD + "    thread: [[a]]\n", 5),
        ("posts:\n  - text: hi\n" + GOOD + "posts:\n  - text: second\n" + GOOD, 5),
        ("posts:\n  - text: hi\n" + GOOD + "entries:\n  - text: second\n" + GOOD, 5),
        ("timezone: UTC\nposts:\n", 2),
        ("timezone: UTC\nposts: null\n", 2),
    ],
)
def test_wrong_shapes_are_errors_at_their_line(tmp_path: Path, text: str, line: int) -> None:
    problems = _problems(tmp_path, text)
    assert problems, text
    assert problems[0] == ("bad-value", line), problems


@pytest.mark.parametrize("extra", ["    type: [draft]\n", "    text: again\n"])
def test_the_entry_with_the_wrong_value_fails(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        "posts:\n  - text: hi\n" + GOOD + extra + "  - text: fine\n" + GOOD, encoding="utf-8"
    )
    checked = validate([path])
    ((line, field),) = [(p.row, p.field) for p in checked.report.errors]
    assert line == 5
    assert field in ("type", "text")
    assert len(checked.entries) == 2
    assert [p.values[0].text for p in checked.posts] == ["fine"]  # the broken entry has none


@pytest.mark.parametrize(
    "text",
    [
        '{"posts": [{"text": "a", "text": "b"}]}',
        '{"posts": [], "posts": [{"text": "b"}]}',
        '{"posts": [{"text": "a", "type": ["draft"]}]}',
    ],
)
def test_json_repeated_keys_and_wrong_shapes(tmp_path: Path, text: str) -> None:
    assert [code for code, _ in _problems(tmp_path, text, "cal.json")] == ["bad-value"]


def test_merge_keys_still_give_defaults(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        "x-defaults: &d {channels: [demo-x], type: draft}\n"
        "posts:\n"
        "  - <<: *d\n    text: one\n"
        "  - <<: *d\n    text: two\n    type: schedule\n",
        encoding="utf-8",
    )
    loaded = read(path)
    assert [r.cells["type"] for r in loaded.records] == ["draft", "schedule"]
    assert [p.severity for p in loaded.problems] == ["warning"]  # x-defaults is unknown


BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "posts: [{text: *i}]\n"
)


def test_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    loaded = read(path)
    assert time.monotonic() - started < 2
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert "expand to more than" in loaded.problems[0].message
    with pytest.raises(Exception, match="expand to more than"):
        read_source(path)  # export reads the source the same safe way
    assert time.monotonic() - started < 4


def test_an_alias_inside_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("posts: &p [{text: hi, thread: *p}]\n", encoding="utf-8")
    (problem,) = read(path).problems
    assert "refers to the value that contains it" in problem.message


def test_a_channels_file_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(BOMB.replace("posts: [{text: *i}]", "channels: *i"), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError, match="expand to more than"):
        load_channels_file(path)
    assert time.monotonic() - started < 2
