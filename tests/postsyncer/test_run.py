"""Exactly once and paced against the PostSyncer sandbox: faults, lost answers, kills."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from calendar_sched.models import Post
from calendar_sched.plan.planner import plan
from calendar_sched.run.executor import execute
from calendar_sched.run.journal import Journal
from calendar_sched.sandbox.config import Faults
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_costs
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import START, make_client, post

LIMIT = 5


def _calendar(backend: PostSyncerBackend, entries: int) -> list[Post]:
    channels = {c.identifier: c for c in backend.discover()}
    return [
        post(f"e{i}", channels[name], text=f"Post {i}", at=START + timedelta(days=1, minutes=i))
        for i in range(entries)
        for name in ("x", "linkedin", "facebook")
    ]


def _run(
    sandbox: RunningPostSyncer, clock: FakeClock, journal_path: Path, entries: int
) -> tuple[list[Post], int]:
    with make_client(sandbox, clock, limit=LIMIT) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs(LIMIT, 60))
        posts = _calendar(backend, entries)
        with Journal(journal_path, fingerprint=backend.fingerprint) as journal:
            the_plan = plan(
                posts,
                backend,
                done=journal.state.done_hashes(),
                uploaded=set(journal.state.uploaded),
                now=START,
            )
            result = execute(the_plan, backend, journal, clock=clock, sleep=clock.sleep)
            assert not result.pending, result.stop_reason
        return posts, client.calls


def _killed_after_sending_e0(
    sandbox: RunningPostSyncer, clock: FakeClock, journal_path: Path
) -> tuple[PostSyncerBackend, list[Post]]:
    """A 3-entry calendar whose e0 was sent and journalled as started, with no answer kept."""
    with make_client(sandbox, clock, limit=LIMIT) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs(LIMIT, 60))
        first = [p for p in _calendar(backend, 3) if p.entry_key == "e0"]
        with Journal(journal_path, fingerprint=backend.fingerprint) as journal:
            journal.started(first)  # the process dies after sending, before the answer
            backend.create(first, {})
    return backend, first


def _live_posts(sandbox: RunningPostSyncer) -> int:
    return len(sandbox.app.state.sandbox.store.posts(0, 10_000)[0])


def test_month_is_scheduled_once_inside_the_minute_budget(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory(limit=LIMIT)
    journal = tmp_path / "cal.journal.jsonl"
    posts, calls = _run(sandbox, fake_clock, journal, entries=12)
    stats = sandbox.stats()
    assert stats["rejected_429"] == 0
    assert _live_posts(sandbox) == 12  # one post per entry, three accounts each
    assert stats["counted_requests"] == calls
    assert fake_clock.now - START.timestamp() >= 60 * (calls // LIMIT - 1)  # it had to wait
    # a second run sends nothing new
    _run(sandbox, fake_clock, journal, entries=12)
    assert _live_posts(sandbox) == 12


def test_lost_answers_and_5xx_never_duplicate(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory(
        limit=LIMIT, faults=Faults(fault_5xx=0.2, drop_after_commit=0.3), seed=7
    )
    journal = tmp_path / "cal.journal.jsonl"
    _run(sandbox, fake_clock, journal, entries=10)
    stats = sandbox.stats()
    assert stats["dropped_answers"] > 0
    assert stats["faults_5xx"] > 0
    assert stats["rejected_429"] == 0
    assert _live_posts(sandbox) == 10


def test_killed_after_send_resumes_by_matching_without_resending(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory(limit=LIMIT)
    journal_path = tmp_path / "cal.journal.jsonl"
    backend, first = _killed_after_sending_e0(sandbox, fake_clock, journal_path)
    assert _live_posts(sandbox) == 1
    _run(sandbox, fake_clock, journal_path, entries=3)
    assert _live_posts(sandbox) == 3
    with Journal(journal_path, fingerprint=backend.fingerprint) as journal:
        assert {journal.state.done[p.key].remote_id for p in first} == {"1"}


def test_resume_plans_the_counted_listing_that_finds_calls_in_doubt(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox = postsyncer_factory(limit=LIMIT)
    journal_path = tmp_path / "cal.journal.jsonl"
    _, first = _killed_after_sending_e0(sandbox, fake_clock, journal_path)
    before = sandbox.stats()["counted_requests"]
    with make_client(sandbox, fake_clock, limit=LIMIT) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs(LIMIT, 60))
        posts = _calendar(backend, 3)
        with Journal(journal_path, fingerprint=backend.fingerprint) as journal:
            state = journal.state
            the_plan = plan(
                posts, backend, done=state.done_hashes(), in_doubt=len(state.in_doubt), now=START
            )
            result = execute(the_plan, backend, journal, clock=fake_clock, sleep=fake_clock.sleep)
    assert result.recovered == [p.key for p in first]
    assert the_plan.listing_calls == 1
    # discovery + listing + the two creates not found; e0's planned create was not needed
    assert sandbox.stats()["counted_requests"] - before == the_plan.requests_counted - 1 == 5
    assert _live_posts(sandbox) == 3
