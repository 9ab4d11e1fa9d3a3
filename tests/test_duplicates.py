"""The duplicate-existing check against the account's existing posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calendar_sched.models import Channel, Position, Post, PostValue
from calendar_sched.plan import duplicates
from calendar_sched.report import Report
from calendar_sched.targets.base import RemotePost

X = Channel(id="demo-x", name="Acme on X", identifier="x")
LI = Channel(id="demo-linkedin", name="Acme LinkedIn", identifier="linkedin")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _post(key: str, text: str, at: datetime = NOON, channel: Channel = X, row: int = 2) -> Post:
    return Post(
        entry_key=key,
        position=Position(file="month.csv", row=row),
        channel=channel,
        publish_at=at,
        values=[PostValue(text=text)],
    )


def _remote(rid: str, content: str, at: datetime = NOON, channel: str = "demo-x") -> RemotePost:
    raw = {"id": rid, "integration": {"id": channel, "name": f"{channel} name"}}
    return RemotePost(rid, channel, at, "QUEUE", content, None, raw)


def test_same_text_same_channel_within_an_hour() -> None:
    posts = [
        _post("a", "Big news & more", row=2),
        _post("b", "Big news & more", NOON + timedelta(hours=2), row=3),  # too far apart
        _post("c", "Big news & more", channel=LI, row=4),  # other channel
        _post("d", "Other text", row=5),
        _post("e", "big   NEWS & more", NOON - timedelta(minutes=50), row=6),  # spacing, case
    ]
    existing = [_remote("r1", "<p>Big news &amp; more</p>", NOON + timedelta(minutes=10))]
    found = duplicates.find_duplicates(posts, existing)
    assert [(d.post.entry_key, d.existing.id) for d in found] == [("a", "r1"), ("e", "r1")]


def test_window_boundary_is_inclusive() -> None:
    existing = [_remote("r1", "<p>Hi</p>", NOON + timedelta(hours=1))]
    assert duplicates.find_duplicates([_post("a", "Hi")], existing)
    later = [_remote("r1", "<p>Hi</p>", NOON + timedelta(hours=1, seconds=1))]
    assert not duplicates.find_duplicates([_post("a", "Hi")], later)


def test_nearest_existing_post_is_reported() -> None:
    existing = [
        _remote("far", "<p>Hi</p>", NOON + timedelta(minutes=50)),
        _remote("near", "<p>Hi</p>", NOON - timedelta(minutes=5)),
    ]
    (dup,) = duplicates.find_duplicates([_post("a", "Hi")], existing)
    assert dup.existing.id == "near"


def test_a_post_never_duplicates_the_server_post_it_updates() -> None:
    existing = [_remote("r1", "<p>Hi</p>"), _remote("own-uuid", "<p>Hi</p>")]
    pulled = _post("postiz:r1", "Hi")
    assert duplicates.find_duplicates([pulled], existing[:1]) == []
    mine = _post("launch", "Hi")
    found = duplicates.find_duplicates([mine], existing[1:], own_id=lambda p: "own-uuid")
    assert found == []
    found = duplicates.find_duplicates([mine], existing, own_id=lambda p: "own-uuid")
    assert [d.existing.id for d in found] == ["r1"]


def test_media_only_posts_are_not_compared() -> None:
    assert duplicates.find_duplicates([_post("a", "")], [_remote("r1", "")]) == []


def test_warnings_list_the_existing_post() -> None:
    existing = [_remote("r1", "<p>Big news</p>", NOON + timedelta(minutes=30))]
    found = duplicates.find_duplicates([_post("launch", "Big news", row=7)], existing)
    (warning,) = duplicates.duplicate_warnings(found)
    assert (warning.code, warning.severity, warning.row, warning.field) == (
        "duplicate-existing",
        "warning",
        7,
        "text",
    )
    assert warning.message == (
        "month.csv row 7 on Acme on X: the same text is already scheduled on demo-x name at "
        "2026-12-01T12:30:00Z "
        "(post r1); remove the row, change its text, or use --skip-duplicates"
    )
    assert warning.note == "r1"
    assert warning.value == "Big news"
    report = Report()
    report.extend([warning])
    assert report.valid
    assert report.flatten(["row", "code"], warnings=True) == [[7, "duplicate-existing"]]


def test_long_text_is_shortened_in_the_warning() -> None:
    text = "x" * 80
    found = duplicates.find_duplicates([_post("a", text)], [_remote("r1", text)])
    (warning,) = duplicates.duplicate_warnings(found)
    assert warning.value == "x" * 57 + "..."


def test_skip_duplicates_drops_only_duplicates() -> None:
    posts = [_post("a", "Hi"), _post("a", "Hi", channel=LI), _post("b", "Bye")]
    found = duplicates.find_duplicates(posts, [_remote("r1", "Hi")])
    kept = duplicates.skip_duplicates(posts, found)
    assert [p.key for p in kept] == ["a@demo-linkedin", "b@demo-x"]


def test_listing_range() -> None:
    posts = [_post("a", "x", NOON), _post("b", "y", NOON + timedelta(days=3))]
    assert duplicates.listing_range(posts) == (
        NOON - timedelta(hours=1),
        NOON + timedelta(days=3, hours=1),
    )
    with pytest.raises(ValueError, match="no posts"):
        duplicates.listing_range([])
