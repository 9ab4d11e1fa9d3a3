"""The executor against the in-memory FakeBackend: exactly once, paced, every error path."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calendar_sched.errors import AuthError
from calendar_sched.models import Post
from calendar_sched.plan.planner import Plan, plan
from calendar_sched.run.executor import Event, RunResult, execute
from calendar_sched.run.journal import Journal, read_state
from calendar_sched.targets.base import RateState
from calendar_sched.targets.pacing import SAFETY, Budget, drift_margin
from tests.helpers.backend import CHANNELS, Crash, FakeBackend, make_posts, media_ref
from tests.helpers.clock import FakeClock

NOW = datetime(2030, 2, 1, tzinfo=UTC)


def run(
    posts: list[Post],
    backend: FakeBackend,
    path: Path,
    *,
    limit: int | None = None,
    reserve: int = 0,
    prune: bool = False,
    events: list[Event] | None = None,
) -> tuple[RunResult, Plan]:
    """Plan from the journal's state and execute, as the CLI does."""
    with Journal(path, fingerprint=backend.fingerprint) as journal:
        state = journal.state
        the_plan = plan(
            posts,
            backend,
            limit=limit,
            reserve=reserve,
            window_seconds=backend.window,
            done=state.done_hashes(),
            uploaded=list(state.uploaded),
            now=NOW,
        )
        result = execute(
            the_plan,
            backend,
            journal,
            clock=backend.clock,
            sleep=backend.clock.sleep,
            on_event=None if events is None else events.append,
            prune=prune,
            attempts=3,
        )
    return result, the_plan


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "cal.csv.journal.jsonl"


def test_every_post_once_in_the_fewest_requests(journal_path: Path) -> None:
    backend = FakeBackend()
    posts = make_posts(6, per_slot=3)  # 2 instants × 3 entries × 2 channels
    result, the_plan = run(posts, backend, journal_path)
    assert result.complete
    assert not result.stopped
    assert sorted(result.done) == sorted(p.key for p in posts)
    assert backend.live_keys() == sorted(p.key for p in posts)
    assert backend.calls == the_plan.requests_counted == 2
    assert result.requests_sent == 2
    assert read_state(journal_path).pending_keys() == []


def test_rerun_costs_nothing_and_edit_updates_in_place(journal_path: Path) -> None:
    backend = FakeBackend()
    posts = make_posts(4)
    run(posts, backend, journal_path)
    calls = backend.calls
    again, _ = run(posts, backend, journal_path)
    assert backend.calls == calls
    assert again.requests_sent == 0
    assert again.complete
    assert len(again.done) == len(posts)

    edited = make_posts(4, text="Edited {n}")
    result, _ = run(edited, backend, journal_path)
    assert result.complete
    assert backend.live_keys() == sorted(p.key for p in posts)  # no duplicates
    assert {s.content for s in backend.store.values()} == {f"Edited {n}" for n in range(4)}


def test_removed_rows_are_reported_and_pruned_only_on_request(journal_path: Path) -> None:
    backend = FakeBackend()
    posts = make_posts(3, channels=CHANNELS[:1])
    run(posts, backend, journal_path)
    kept = posts[:2]
    result, _ = run(kept, backend, journal_path)
    assert result.removed == [posts[2].key]
    assert result.pruned == []
    assert posts[2].key in backend.live_keys()
    result, _ = run(kept, backend, journal_path, prune=True)
    assert result.pruned == [posts[2].key]
    assert backend.live_keys() == sorted(p.key for p in kept)
    result, _ = run(kept, backend, journal_path)
    assert result.removed == []


def test_pacing_never_exceeds_the_window(journal_path: Path) -> None:
    backend = FakeBackend(limit=4, window=6.0)
    posts = make_posts(10, channels=CHANNELS[:1])  # 10 instants → 10 requests
    start = backend.clock()
    events: list[Event] = []
    result, the_plan = run(posts, backend, journal_path, limit=4, events=events)
    assert result.complete
    assert the_plan.requests_counted == 10
    assert the_plan.windows == 3
    assert backend.rejected_429 == 0
    elapsed = backend.clock() - start
    assert 12 <= elapsed < 14  # two waits for a reset, nothing more
    assert sum(1 for e in events if e.kind == "waiting") == 2


def test_reserve_is_left_unused(journal_path: Path) -> None:
    backend = FakeBackend(limit=4, window=60.0)
    posts = make_posts(6, channels=CHANNELS[:1])
    start = backend.clock()
    result, _ = run(posts, backend, journal_path, limit=4, reserve=1)
    assert result.complete
    assert backend.rejected_429 == 0
    assert 60 <= backend.clock() - start < 62  # 3 per window → 1 reset


def test_known_budget_from_the_journal_is_honoured_after_restart(journal_path: Path) -> None:
    backend = FakeBackend(limit=3, window=100.0)
    run(make_posts(3, channels=CHANNELS[:1]), backend, journal_path, limit=3)
    assert read_state(journal_path).rate is not None
    fresh = FakeBackend(limit=3, window=100.0, clock=backend.clock)  # a new process: no headers yet
    fresh._hits, fresh._window_end = backend._hits, backend._window_end
    before = fresh.clock()
    result, _ = run(make_posts(4, channels=CHANNELS[:1]), fresh, journal_path, limit=3)
    assert result.complete
    assert fresh.rejected_429 == 0
    assert fresh.clock() - before >= 99


def test_429_from_another_client_waits_retry_after_and_sends_nothing_meanwhile(
    journal_path: Path,
) -> None:
    backend = FakeBackend(limit=30, window=50.0, rate_limit_after=2)
    posts = make_posts(5, channels=CHANNELS[:1])
    events: list[Event] = []
    result, _ = run(posts, backend, journal_path, events=events)
    assert result.complete
    assert result.rate_limited == 1
    assert backend.rejected_429 == 1
    assert backend.self_inflicted_429 == 0
    assert backend.live_keys() == sorted(p.key for p in posts)
    assert any(e.kind == "rate-limited" for e in events)


def test_5xx_burst_is_retried_with_the_same_ids(journal_path: Path) -> None:
    backend = FakeBackend(fail_after=1, fail_times=2)
    posts = make_posts(3, channels=CHANNELS[:1])
    result, _ = run(posts, backend, journal_path)
    assert result.complete
    assert backend.calls == 5  # 3 requests + 2 failed attempts
    assert backend.live_keys() == sorted(p.key for p in posts)


def test_lost_answer_after_commit_is_not_duplicated(journal_path: Path) -> None:
    backend = FakeBackend(drop_after_commit=1)
    posts = make_posts(3, channels=CHANNELS[:1])
    result, _ = run(posts, backend, journal_path)
    assert result.complete
    assert backend.live_keys() == sorted(p.key for p in posts)
    assert max(s.writes for s in backend.store.values()) == 2  # the resend was an update


def test_persistent_5xx_reconciles_then_pauses(journal_path: Path) -> None:
    backend = FakeBackend(fail_after=0, fail_times=99)
    posts = make_posts(2, channels=CHANNELS[:1])
    result, _ = run(posts, backend, journal_path)
    assert result.stopped
    assert "keeps failing" in result.stop_reason
    state = read_state(journal_path)
    assert state.in_doubt == {}
    assert sorted(result.pending) == sorted(p.key for p in posts)
    healthy = FakeBackend(clock=backend.clock)
    healthy.store = backend.store
    result, _ = run(posts, healthy, journal_path)
    assert result.complete
    assert healthy.live_keys() == sorted(p.key for p in posts)


def test_auth_error_stops_at_once_with_a_consistent_journal(journal_path: Path) -> None:
    backend = FakeBackend(auth_fail_after=1)
    posts = make_posts(3, channels=CHANNELS[:1])
    with pytest.raises(AuthError):
        run(posts, backend, journal_path)
    state = read_state(journal_path)
    assert state.in_doubt == {}
    assert len(state.done) == 1
    assert backend.calls == 2


def test_validation_rejection_fails_that_channel_and_resends_the_rest(journal_path: Path) -> None:
    backend = FakeBackend(reject={"ch-li": "post is too long, please fix it"})
    posts = make_posts(2, per_slot=2)
    result, _ = run(posts, backend, journal_path)
    failed = {p.key for p in posts if p.channel.id == "ch-li"}
    assert set(result.failed) == failed
    assert "post is too long" in next(iter(result.failed.values()))
    assert backend.live_keys() == sorted(p.key for p in posts if p.key not in failed)
    assert result.pending == []
    assert set(read_state(journal_path).failed) == failed


def test_413_splits_the_request(journal_path: Path) -> None:
    backend = FakeBackend()
    posts = make_posts(8, per_slot=8, channels=CHANNELS[:1])
    backend.body_cap = 600  # the server's cap is lower than the one planned with
    result, the_plan = run(posts, backend, journal_path)
    assert the_plan.requests_counted == 1
    assert result.complete
    assert backend.live_keys() == sorted(p.key for p in posts)
    assert result.requests_sent > 1


def test_already_published_is_marked_not_failed(journal_path: Path) -> None:
    posts = make_posts(3, per_slot=3, channels=CHANNELS[:1])
    backend = FakeBackend(published={posts[1].key})
    backend._upsert(posts[1])
    backend.store[posts[1].value_id(backend.fingerprint, 0)].state = "PUBLISHED"
    result, _ = run(posts, backend, journal_path)
    assert result.already_published == [posts[1].key]
    assert sorted(result.done) == sorted([posts[0].key, posts[2].key])
    assert result.complete
    assert not result.failed


def test_media_uploaded_once_before_first_use(journal_path: Path) -> None:
    image = media_ref("a.png")
    backend = FakeBackend()
    posts = make_posts(3, media=[image, media_ref("b.png")])
    result, _ = run(posts, backend, journal_path)
    assert result.complete
    assert result.uploads == 2
    assert backend.upload_calls == 2
    run(make_posts(3, media=[image], text="v2 {n}"), backend, journal_path)
    assert backend.upload_calls == 2  # the journal remembers uploads


def test_failed_upload_fails_only_the_posts_using_it(journal_path: Path) -> None:
    backend = FakeBackend(upload_reject={"bad.tiff"})
    bad = make_posts(1, media=[media_ref("bad.tiff")], channels=CHANNELS[:1])
    good = [replace(make_posts(1, channels=CHANNELS[2:3])[0], entry_key="other")]
    result, _ = run(bad + good, backend, journal_path)
    assert list(result.failed) == [bad[0].key]
    assert "bad.tiff could not be uploaded" in next(iter(result.failed.values()))
    assert backend.live_keys() == ["other@ch-fb"]


def test_stop_callable_leaves_work_pending(journal_path: Path) -> None:
    backend = FakeBackend()
    posts = make_posts(4, channels=CHANNELS[:1])
    with Journal(journal_path, fingerprint=backend.fingerprint) as journal:
        the_plan = plan(posts, backend, done={}, now=NOW)
        result = execute(
            the_plan,
            backend,
            journal,
            clock=backend.clock,
            sleep=backend.clock.sleep,
            stop=lambda: backend.calls >= 2,
        )
    assert result.stopped
    assert result.stop_reason == "stopped on request"
    assert len(result.done) == 2
    assert len(result.pending) == 2
    assert read_state(journal_path).pending_keys() == result.pending


def test_in_doubt_call_is_reconciled_by_listing_not_resent(journal_path: Path) -> None:
    backend = FakeBackend(crash_after=1, crash_commits=True)
    posts = make_posts(3, channels=CHANNELS[:1])
    with pytest.raises(Crash):
        run(posts, backend, journal_path)
    assert len(read_state(journal_path).in_doubt) == 1
    backend.crash_after = None
    calls = backend.calls
    events: list[Event] = []
    result, _ = run(posts, backend, journal_path, events=events)
    assert result.recovered == [posts[1].key]
    assert backend.calls == calls + 1  # only the third post was sent
    assert "1 found on the server" in next(e.message for e in events if e.kind == "recovered")
    assert result.complete
    assert backend.live_keys() == sorted(p.key for p in posts)


def test_budget_waits_for_reset_and_block() -> None:
    clock = FakeClock()
    budget = Budget(limit=2, window_seconds=10, rate=RateState(2, 0, clock() + 4))
    assert 4 < budget.wait(clock()) < 5
    clock.now += 5
    assert budget.wait(clock()) == 0
    assert budget.available(clock()) == 2
    budget.block(clock() + 30)
    assert budget.wait(clock()) >= 30


def test_budget_keeps_the_earliest_reset_a_window_implied() -> None:
    budget = Budget(limit=3, window_seconds=60, margin=0.1)
    budget.spent(0.0)
    budget.adopt(RateState(3, 2, 0.2 + 60))  # the window's first call: "60 s from now"
    budget.spent(10.0)
    budget.adopt(RateState(3, 1, 10.2 + 51))  # 50 s left, rounded up
    budget.spent(20.0)
    budget.adopt(RateState(3, 0, 20.2 + 40))
    assert budget.reset_at == 60.2
    assert budget.wait(30.0) == pytest.approx(60.2 + 0.1 - 30.0)
    assert budget.wait(60.4) == 0
    assert budget.available(60.4) == 3


def test_budget_takes_a_new_window_as_it_comes() -> None:
    budget = Budget(limit=3, window_seconds=60, margin=0.1)
    budget.spent(0.0)
    budget.adopt(RateState(3, 2, 60.0))
    budget.spent(59.0)  # the server's window ended before ours did: this call opened a new one
    budget.adopt(RateState(3, 2, 119.5))
    assert (budget.reset_at, budget.remaining) == (119.5, 2)
    budget.adopt(RateState(3, 1, 119.0))  # same window, another client's call: tighter, fewer
    assert (budget.reset_at, budget.remaining) == (119.0, 1)


def test_budget_without_headers_waits_a_whole_window_and_the_safety() -> None:
    budget = Budget(limit=1, window_seconds=10, margin=drift_margin(10))
    budget.spent(0.0)
    assert budget.wait(0.1) == pytest.approx(10 + SAFETY - 0.1)
    budget.block(30.0)
    assert budget.wait(20.0) == pytest.approx(10 + drift_margin(10))


class RoundingBackend(FakeBackend):
    """Postiz's timing: 0.1 s to reach the server, 0.2 s back, Reset in whole seconds up."""

    def _throttle(self, number: int) -> None:
        self.clock.now += 0.1
        stamped = self.clock()
        super()._throttle(number)
        self.clock.now += 0.2
        assert self._rate is not None
        assert self._window_end is not None
        reset = math.ceil(self._window_end - stamped - 1e-9)
        self._rate = replace(self._rate, reset_at=self.clock() + reset)


def test_pacing_waits_for_the_reset_itself_not_the_rounded_ones(journal_path: Path) -> None:
    backend = RoundingBackend(limit=4, window=6.0)
    posts = make_posts(10, channels=CHANNELS[:1])  # 10 requests, 3 windows
    start = backend.clock()
    result, the_plan = run(posts, backend, journal_path, limit=4)
    assert result.complete
    assert backend.rejected_429 == 0  # never early
    # A window's reset counts from its first answer (sent + 0.3 s); the later answers' rounding
    # up to a second is not waited for (it was: 16.0 s). Two waits, then the last 2 calls.
    elapsed = backend.clock() - start
    assert elapsed == pytest.approx(2 * (0.3 + 6 + drift_margin(6)) + 2 * 0.3)
