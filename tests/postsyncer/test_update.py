"""Edited rows on PostSyncer: PUT in place, published posts left alone, shared posts not altered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from calendar_sched.models import Post
from calendar_sched.plan.planner import plan
from calendar_sched.run.events import RunResult
from calendar_sched.run.executor import execute
from calendar_sched.run.journal import Journal
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_costs
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import START, make_client, post

AT = START + timedelta(days=1)


def _run(
    sandbox: RunningPostSyncer, clock: FakeClock, journal: Path, rows: dict[str, tuple[str, str]]
) -> RunResult:
    """Run ``rows`` (entry → (text, channel identifier)) once, as ``run`` does."""
    with make_client(sandbox, clock) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs())
        channels = {c.identifier: c for c in backend.discover()}
        posts: list[Post] = [
            post(key, channels[name], text=text, at=AT, tags=["winter"])
            for key, (text, name) in rows.items()
        ]
        with Journal(journal, fingerprint=backend.fingerprint) as open_journal:
            state = open_journal.state
            the_plan = plan(
                posts,
                backend,
                done=state.done_hashes(),
                uploaded=set(state.uploaded),
                now=START,
            )
            return execute(the_plan, backend, open_journal, clock=clock, sleep=clock.sleep)


def _live(sandbox: RunningPostSyncer) -> list[dict[str, Any]]:
    posts: list[dict[str, Any]] = sandbox.app.state.sandbox.store.posts(0, 100)[0]
    return posts


def test_published_post_is_left_as_it_is(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory()
    journal = tmp_path / "cal.journal.jsonl"
    _run(sandbox, fake_clock, journal, {"a": ("Hello", "x")})
    fake_clock.now = (AT + timedelta(hours=1)).timestamp()  # it went out meanwhile
    result = _run(sandbox, fake_clock, journal, {"a": ("Hello again", "x")})
    assert result.already_published == ["a@1"]
    assert not result.failed
    assert [p["content"][0]["text"] for p in _live(sandbox)] == ["Hello"]
    assert sandbox.stats()["posts_updated"] == 0


def test_shared_post_is_not_changed_for_the_unchanged_row(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory()
    journal = tmp_path / "cal.journal.jsonl"
    _run(sandbox, fake_clock, journal, {"a": ("Same", "x"), "b": ("Same", "linkedin")})
    assert len(_live(sandbox)) == 1  # one text, one time: one post for both accounts
    result = _run(sandbox, fake_clock, journal, {"a": ("Edited", "x"), "b": ("Same", "linkedin")})
    assert sorted(result.done) == ["a@1", "b@2"]  # b unchanged: skipped
    assert sorted(p["content"][0]["text"] for p in _live(sandbox)) == ["Edited", "Same"]
    assert sandbox.stats()["posts_updated"] == 0  # the shared post still carries b's version
    assert sandbox.stats()["posts_created"] == 2


def test_labels_are_created_once_and_remembered(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory()
    journal = tmp_path / "cal.journal.jsonl"
    _run(sandbox, fake_clock, journal, {"a": ("One", "x")})
    counted = sandbox.stats()["counted_requests"]
    assert counted == 2 + 2 + 1  # discovery, GET + POST /labels, the post
    _run(sandbox, fake_clock, journal, {"a": ("One", "x"), "b": ("Two", "x")})
    assert sandbox.stats()["counted_requests"] - counted == 2 + 1  # the label is in the journal
    labels = sandbox.app.state.sandbox.store.labels()
    assert [label["name"] for label in labels] == ["winter"]
    assert {p["labels"][0] for p in _live(sandbox)} == {labels[0]["id"]}
