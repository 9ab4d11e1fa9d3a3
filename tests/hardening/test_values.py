"""Values that used to pass although they are wrong (#19 item 15, the load parts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calendar_sched.check.validation import validate


def _errors(tmp_path: Path, item: dict[str, object]) -> list[tuple[str, str | None]]:
    path = tmp_path / "cal.json"
    base = {"publish_at": "2030-03-01T09:00:00Z", "channels": "demo-x", "text": "hi"}
    path.write_text(json.dumps({"posts": [{**base, **item}]}, allow_nan=True), encoding="utf-8")
    checked = validate([path])
    return [(p.code, p.field) for p in checked.report.errors]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "NaN", -1, 1.5])
def test_repeat_every_days_must_be_a_whole_number(tmp_path: Path, value: object) -> None:
    assert _errors(tmp_path, {"repeat_every_days": value}) == [("bad-value", "repeat_every_days")]


def test_a_whole_repeat_still_works(tmp_path: Path) -> None:
    assert _errors(tmp_path, {"repeat_every_days": 7}) == []


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://example.com/x",
        "example.com",
    ],
)
def test_a_link_must_be_a_web_address(tmp_path: Path, link: str) -> None:
    assert _errors(tmp_path, {"link": link}) == [("bad-value", "link")]


def test_a_web_link_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    path.write_text(
        "publish_at,channels,text,link\n2030-03-01T09:00:00Z,demo-x,hi,https://acme.test/a\n",
        encoding="utf-8",
    )
    checked = validate([path])
    assert checked.report.valid
    assert checked.entries[0].text == "hi\nhttps://acme.test/a"


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200d \ufeff", " \u2060 "])
def test_invisible_characters_alone_are_not_content(tmp_path: Path, text: str) -> None:
    assert _errors(tmp_path, {"text": text}) == [("empty-post", "text")]


def test_a_visible_character_with_a_joiner_is_content(tmp_path: Path) -> None:
    assert _errors(tmp_path, {"text": "\U0001f469\u200d\U0001f373"}) == []
