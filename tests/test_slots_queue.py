"""run/queue.py: queued Posts placed around the account's listing and the journal's times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.errors import ApiError
from calendar_sched.run.journal import JournalState, PlannedPost
from calendar_sched.run.queue import journaled_times, place_queued
from calendar_sched.targets.base import CostModel, RemotePost
from calendar_sched.targets.postiz.backend import PostizBackend

NOW = datetime(2026, 11, 28, tzinfo=UTC)
NINE, NOON = datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC)
FIVE = datetime(2026, 12, 7, 17, tzinfo=UTC)


class Listing:
    """A backend that only lists: the given posts, or an ApiError."""

    costs = CostModel()
    fingerprint = "f" * 64

    def __init__(self, posts: list[RemotePost] | None) -> None:
        self.posts = posts
        self.asked: list[tuple[datetime, datetime]] = []

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        self.asked.append((start, end))
        if self.posts is None:
            raise ApiError("GET /posts: 500 server error")
        return self.posts


def checked(tmp_path: Path) -> Any:
    path = tmp_path / "m.csv"
    path.write_text(
        'date,time,channels,text\n2026-12-07,,"x, bluesky",One\n2026-12-07,,x,Two\n',
        encoding="utf-8",
    )
    options = ValidateOptions(timezone="UTC", now=NOW, slots="daily 09:00,12:00,17:00")
    result = validate([path], options)
    assert result.report.valid
    return result


def remote(id_: str, channel: str, at: datetime) -> RemotePost:
    return RemotePost(id_, channel, at, "QUEUE", "other tool", None, {})


def test_the_accounts_posts_take_their_slots(tmp_path: Path) -> None:
    backend = Listing([remote("foreign", "demo-x", NINE)])
    placed, queue = place_queued(
        checked(tmp_path), pack_key=PostizBackend().pack_key, backend=backend, now=NOW
    )  # type: ignore[arg-type]
    assert queue is not None
    assert queue.listed
    assert sorted(queue.times.values()) == [NOON, FIVE]  # x is busy at 09:00
    assert {p.publish_at for p in placed.posts} == {NOON, FIVE}
    start, end = backend.asked[0]
    assert start < NINE < end


def test_our_own_listed_posts_and_the_journal_keep_their_times(tmp_path: Path) -> None:
    first = checked(tmp_path)
    one = next(p for p in first.posts if p.channel.id == "demo-x" and p.values[0].text == "One")
    ours = remote(one.value_id(Listing.fingerprint, 0), "demo-x", FIVE)
    _, queue = place_queued(
        first, pack_key=PostizBackend().pack_key, backend=Listing([ours]), now=NOW
    )  # type: ignore[arg-type]
    assert queue is not None
    assert queue.times[one.entry_key] == FIVE
    assert queue.kept == 1
    # The journal's time wins over the listing, and export reads it back offline
    state = JournalState(planned={one.key: PlannedPost(one.key, "h", NOON, "demo-x")})
    _, queue = place_queued(
        checked(tmp_path),
        pack_key=PostizBackend().pack_key,
        backend=Listing([ours]),  # type: ignore[arg-type]
        state=state,
        now=NOW,
    )
    assert queue is not None
    assert queue.times[one.entry_key] == NOON
    assert journaled_times([one], state)[0].publish_at == NOON


def test_a_failed_listing_places_without_it(tmp_path: Path) -> None:
    _, queue = place_queued(
        checked(tmp_path), pack_key=PostizBackend().pack_key, backend=Listing(None), now=NOW
    )  # type: ignore[arg-type]
    assert queue is not None
    assert not queue.listed
    assert sorted(queue.times.values()) == [NINE, NOON]
    assert (queue.requests, queue.next_free_requests, queue.saved) == (2, 3, 1)


def test_a_row_without_a_slot_is_an_error_at_its_row(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "date,channels,text\n" + "".join(f"2026-12-07,x,Post {n}\n" for n in range(4)),
        encoding="utf-8",
    )
    options = ValidateOptions(timezone="UTC", now=NOW, slots="daily 09:00,12:00,17:00")
    placed, queue = place_queued(
        validate([path], options), pack_key=PostizBackend().pack_key, now=NOW
    )
    assert queue is not None
    assert placed.report.flatten(["row", "code"]) == [[5, "no-free-slot"]]
    assert len(placed.posts) == 3
