"""The calendar against the account's existing posts: pulled ties, published posts, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calendar_sched.errors import RetriableApiError
from calendar_sched.identity import first_value_id
from calendar_sched.models import Channel, Position, Post, PostValue
from calendar_sched.plan.account import SERVER_VERSION, Resolution, compare
from calendar_sched.run import survey
from calendar_sched.targets.base import DonePost, RemotePost

X = Channel(id="demo-x", name="Acme on X", identifier="x")
NOON = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
FP = "fingerprint"


def _post(key: str, text: str = "Hello", at: datetime = NOON, **fields: Any) -> Post:
    return Post(
        entry_key=key,
        position=Position(file="cal.yaml", index=0),
        channel=X,
        publish_at=at,
        values=[PostValue(text=text)],
        **fields,
    )


def _remote(rid: str, text: str = "Hello", at: datetime = NOON, state: str = "QUEUE") -> RemotePost:
    raw = {"id": rid, "integration": {"id": "demo-x", "name": "Acme on X"}}
    return RemotePost(rid, "demo-x", at, state, f"<p>{text}</p>", None, raw)


def _done(post: Post, remote_id: str, content_hash: str | None = None, **kw: Any) -> DonePost:
    return DonePost(post.key, remote_id, content_hash or post.content_hash(), "demo-x", **kw)


def test_first_value_id_ties_pulled_entries_to_their_server_post() -> None:
    assert first_value_id(_post("postiz:abc"), FP) == "abc"
    plain = _post("launch")
    assert first_value_id(plain, FP) == plain.value_id(FP, 0)


def test_unchanged_pulled_post_is_done_at_no_cost() -> None:
    post = _post("postiz:r1")
    check = compare([post], [_remote("r1")], done={}, fingerprint=FP)
    assert check.unchanged == [post.key]
    assert check.resolutions == [
        Resolution(post.key, "r1", post.content_hash(), "demo-x", False, "pulled")
    ]
    assert check.done({}) == {post.key: post.content_hash()}
    assert check.duplicates == []  # its own server post is no duplicate
    # Already journaled with that hash: nothing new to record.
    again = compare([post], [_remote("r1")], done={post.key: _done(post, "r1")}, fingerprint=FP)
    assert (again.unchanged, again.resolutions) == ([post.key], [])


def test_edited_pulled_post_is_an_update_of_its_server_post() -> None:
    post = _post("postiz:r1", at=NOON + timedelta(minutes=15))
    check = compare([post], [_remote("r1")], done={}, fingerprint=FP)
    assert check.updates == [post.key]
    # Journaled as held in another version: the planner sends it, a resend is an upsert.
    (resolution,) = check.resolutions
    assert (resolution.remote_id, resolution.content_hash) == ("r1", SERVER_VERSION)
    assert check.done({})[post.key] != post.content_hash()
    old = _done(post, "r1", "old-hash")
    known = compare([post], [_remote("r1")], done={post.key: old}, fingerprint=FP)
    assert (known.updates, known.resolutions) == ([post.key], [])


def test_edited_published_post_is_held_unless_republish() -> None:
    post = _post("postiz:r1", text="Hello again")
    published = [_remote("r1", state="PUBLISHED")]
    held = compare([post], published, done={}, fingerprint=FP)
    assert (held.held, held.updates, held.republish) == ([post.key], [], [])
    assert held.resolutions == [
        Resolution(post.key, "r1", post.content_hash(), "demo-x", True, "published")
    ]
    assert held.done({})[post.key] == post.content_hash()  # nothing is sent for it
    sent = compare([post], published, done={}, fingerprint=FP, republish=True)
    assert (sent.held, sent.republish) == ([], [post.key])
    assert sent.done({})[post.key] == SERVER_VERSION


def test_republish_sends_again_what_was_held_and_nothing_else() -> None:
    edited = _post("postiz:r1", text="Hello again")
    mine = _post("launch", text="Launch")
    unedited = _post("postiz:r3", text="Same", at=NOON + timedelta(hours=3))
    remotes = [
        _remote("r1", state="PUBLISHED"),
        _remote(mine.value_id(FP, 0), "Launch", state="PUBLISHED"),
        _remote("r3", "Same", NOON + timedelta(hours=3), state="PUBLISHED"),
    ]
    done = {
        edited.key: _done(edited, "r1", already_published=True),  # held by an earlier run
        mine.key: _done(mine, mine.value_id(FP, 0)),  # scheduled by us, published on time
    }
    check = compare([edited, mine, unedited], remotes, done=done, fingerprint=FP, republish=True)
    assert check.republish == [edited.key]
    assert check.unchanged == [unedited.key]
    assert [(r.key, r.content_hash) for r in check.resolutions] == [
        (edited.key, SERVER_VERSION),
        (unedited.key, unedited.content_hash()),
    ]
    # Without --republish the held post stays held: nothing to record again.
    quiet = compare([edited, mine], remotes, done=done, fingerprint=FP)
    assert (quiet.republish, quiet.held, quiet.resolutions) == ([], [], [])


def test_edited_post_of_this_calendar_found_published_is_held() -> None:
    post = _post("launch", text="Launch v2")
    remote_id = post.value_id(FP, 0)
    done = {post.key: _done(post, remote_id, "v1-hash")}
    check = compare(
        [post], [_remote(remote_id, "Launch", state="PUBLISHED")], done=done, fingerprint=FP
    )
    assert check.held == [post.key]


def test_pulled_post_not_listed_is_reported_missing() -> None:
    post = _post("postiz:gone")
    check = compare([post], [], done={}, fingerprint=FP)
    assert (check.missing, check.resolutions, check.posts) == ([post.key], [], [post])


def test_duplicates_skip_own_posts_and_only_drop_unsent_ones() -> None:
    new = _post("new", "Big news")
    sent_before = _post("edited", "Big news", NOON + timedelta(minutes=5), tags=["x"])
    ours = _post("ours", "Big news", NOON + timedelta(minutes=10), tags=["y"])
    remotes = [
        _remote("someone-else", "Big news", NOON + timedelta(minutes=20)),
        _remote(ours.value_id(FP, 0), "Big news", NOON + timedelta(minutes=10)),
    ]
    done = {
        sent_before.key: _done(sent_before, "mine-1", "old-hash"),
        ours.key: _done(ours, ours.value_id(FP, 0)),
    }
    posts = [new, sent_before, ours]
    check = compare(posts, remotes, done=done, fingerprint=FP, skip_duplicates=True)
    assert [(d.post.key, d.existing.id) for d in check.duplicates] == [
        (new.key, "someone-else"),
        (sent_before.key, "someone-else"),
    ]
    assert [w.code for w in check.warnings] == ["duplicate-existing"] * 2
    # The never-sent one is dropped; the sent one is an update of our own post and stays.
    assert check.skipped == [new.key]
    assert [p.key for p in check.posts] == [sent_before.key, ours.key]
    kept = compare(posts, remotes, done=done, fingerprint=FP)
    assert (kept.skipped, len(kept.posts)) == ([], 3)


class _Listing:
    """A backend stand-in that records the listing range it was asked for."""

    fingerprint = FP

    def __init__(self, remotes: list[RemotePost], failures: int = 0) -> None:
        self.remotes = remotes
        self.failures = failures
        self.asked: list[tuple[datetime, datetime]] = []

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        self.asked.append((start, end))
        if len(self.asked) <= self.failures:
            raise RetriableApiError("502 Bad Gateway", status=502)
        return self.remotes


def test_survey_lists_once_over_the_calendars_dates() -> None:
    posts = [_post("postiz:r1"), _post("late", "Other", NOON + timedelta(days=2))]
    backend = _Listing([_remote("r1")])
    check = survey.survey(posts, backend, done={})  # type: ignore[arg-type]
    assert backend.asked == [(NOON - timedelta(hours=1), NOON + timedelta(days=2, hours=1))]
    assert (check.listed, check.unchanged) == (1, [posts[0].key])
    assert survey.survey([], backend, done={}).listed == 0  # type: ignore[arg-type]
    assert len(backend.asked) == 1


def test_survey_retries_a_failing_listing() -> None:
    waits: list[float] = []
    flaky = _Listing([_remote("r1")], failures=2)
    check = survey.survey([_post("postiz:r1")], flaky, done={}, sleep=waits.append)  # type: ignore[arg-type]
    assert (len(flaky.asked), len(waits), check.listed) == (3, 2, 1)
    down = _Listing([], failures=99)
    with pytest.raises(RetriableApiError):
        survey.survey([_post("a")], down, done={}, sleep=waits.append)  # type: ignore[arg-type]


def test_record_journals_each_resolution(tmp_path: Any) -> None:
    from calendar_sched.run.journal import Journal

    post = _post("postiz:r1", text="Hello again")
    check = compare([post], [_remote("r1", state="PUBLISHED")], done={}, fingerprint=FP)
    with Journal(tmp_path / "cal.journal.jsonl", fingerprint=FP) as journal:
        survey.record(check, journal)
        done = journal.state.done[post.key]
    assert (done.remote_id, done.content_hash, done.already_published) == (
        "r1",
        post.content_hash(),
        True,
    )
