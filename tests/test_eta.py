"""The one ETA (plan/eta.py) on a fake clock, and every display that uses it (#13 item 6)."""

from __future__ import annotations

import pytest

from calendar_sched.cli.progress import RunProgress
from calendar_sched.cli.progress import eta_seconds as live_eta
from calendar_sched.cli.render import console, duration, offset
from calendar_sched.plan.eta import PER_REQUEST_SECONDS, eta_seconds, next_window_at
from calendar_sched.run.events import Event
from calendar_sched.run.journal import Pace, replay
from calendar_sched.targets.base import RateState
from tests.helpers.clock import FakeClock

P = PER_REQUEST_SECONDS
HEADER = {"event": "header", "format_version": 1, "fingerprint": "f"}


def test_nothing_left_takes_no_time() -> None:
    assert eta_seconds(0, per_window=5, window_seconds=10) == 0.0


def test_fresh_windows_start_now() -> None:
    # 12 requests at 5 per 10 s window: 5 now, 5 at +10 s, 2 at +20 s.
    assert eta_seconds(12, per_window=5, window_seconds=10) == 20 + 2 * P
    assert eta_seconds(5, per_window=5, window_seconds=3600) == 5 * P


def test_the_current_window_covers_what_it_can_then_the_server_reset() -> None:
    clock = FakeClock()
    rate = RateState(limit=5, remaining=2, reset_at=clock() + 4)
    assert eta_seconds(2, per_window=5, window_seconds=10, rate=rate, now=clock()) == 2 * P
    # 2 go now, the next 5 at the reset (+4 s), the last 1 a window later.
    assert eta_seconds(8, per_window=5, window_seconds=10, rate=rate, now=clock()) == 4 + 10 + P
    clock.advance(3)
    assert eta_seconds(8, per_window=5, window_seconds=10, rate=rate, now=clock()) == 1 + 10 + P


def test_a_spent_window_waits_for_its_reset_not_a_window_more() -> None:
    clock = FakeClock()
    rate = RateState(limit=30, remaining=0, reset_at=clock() + 600)
    # 30 left on an hour's window that resets in 10 minutes: all of them go at the reset.
    assert eta_seconds(30, per_window=30, window_seconds=3600, rate=rate, now=clock()) == (
        600 + 30 * P
    )


def test_a_reset_that_has_passed_is_a_fresh_window() -> None:
    clock = FakeClock()
    rate = RateState(limit=5, remaining=0, reset_at=clock() - 1)
    assert eta_seconds(5, per_window=5, window_seconds=10, rate=rate, now=clock()) == 5 * P
    assert next_window_at(rate, clock()) is None


def test_a_spent_window_with_no_reset_waits_a_whole_window_as_the_pacer_does() -> None:
    rate = RateState(limit=5, remaining=0, reset_at=None)
    assert eta_seconds(1, per_window=5, window_seconds=10, rate=rate, now=0.0) == 10 + P


def test_a_429_block_counts_from_retry_after() -> None:
    clock = FakeClock()
    rate = RateState(limit=5, remaining=3, reset_at=clock() + 2, blocked_until=clock() + 7)
    assert eta_seconds(6, per_window=5, window_seconds=10, rate=rate, now=clock()) == 7 + 10 + P
    assert next_window_at(rate, clock()) == clock() + 7
    clock.advance(8)
    assert next_window_at(rate, clock()) is None


def test_the_reserve_is_left_out_of_the_current_window() -> None:
    rate = RateState(limit=5, remaining=3, reset_at=5.0)
    # 2 of the 3 left are ours (1 reserved); the third request waits for the reset.
    assert eta_seconds(3, per_window=4, window_seconds=10, rate=rate, now=0.0, reserve=1) == 5 + P


def test_the_live_eta_during_a_wait_is_not_a_window_too_high() -> None:
    """The bug: waiting for the reset, then counting one more whole window for what's left."""
    clock = FakeClock()
    rate = RateState(limit=5, remaining=0, reset_at=clock() + 8)
    event = Event(
        "waiting", "quota used", until=clock() + 8, requests_sent=5, requests_planned=10, rate=rate
    )
    # Five left at 5 per window: they all go when the wait ends, an hour's window or not.
    assert live_eta(event, per_window=5, window_seconds=3600, now=clock()) == 8 + 5 * P


def test_retries_neither_shorten_nor_lengthen_the_live_eta() -> None:
    clock = FakeClock()
    rate = RateState(limit=30, remaining=20, reset_at=clock() + 100)
    plain = Event("sent", "", requests_sent=4, requests_planned=10, rate=rate)
    retried = Event("sent", "", requests_sent=7, extra_requests=3, requests_planned=10, rate=rate)
    assert live_eta(plain, per_window=30, window_seconds=3600, now=clock()) == 6 * P
    assert live_eta(retried, per_window=30, window_seconds=3600, now=clock()) == 6 * P


def test_the_status_line_and_the_log_line_count_planned_requests_and_retries_apart() -> None:
    clock = FakeClock()
    rate = RateState(limit=2, remaining=0, reset_at=clock() + 3)
    progress = RunProgress(console(), per_window=2, window_seconds=3, live=False, clock=clock)
    event = Event(
        "waiting",
        "quota used",
        until=clock() + 3,
        done=4,
        total=10,
        requests_sent=5,
        extra_requests=1,
        requests_planned=5,
        remaining=0,
        rate=rate,
    )
    progress.last = event
    # 4 of the 5 planned requests went (one call was a retry); the fifth goes at the reset.
    assert progress.status_line() == "budget left this window: 0 · next window in 3s · ETA 4s"
    assert progress.line(event).endswith("[4/10 posts, 4/5 requests +1 retried]")


def test_status_eta_comes_from_the_journal_of_a_stopped_run() -> None:
    clock = FakeClock()
    pace = {"limit": 2, "reserve": 0, "window_seconds": 3.0, "last_request": 5}
    planned = {"event": "planned", "pace": pace, "skipped": [], "posts": [_planned("a")]}
    started = {
        "event": "started",
        "call": "c1",
        "counted": True,
        "attempt": 1,
        "request": 2,
        "rate": {"limit": 2, "remaining": 0, "reset_at": clock() + 2, "window_seconds": 3.0},
        "posts": [],
    }
    state = replay([HEADER, planned, started])
    assert state.pace == Pace(limit=2, reserve=0, window_seconds=3.0, last_request=5)
    assert state.last_request == 2
    assert state.rate is not None
    assert state.rate.window_seconds == 3.0
    # Requests 3, 4, 5 are left: 2 at the reset (+2 s), 1 a 3 s window later.
    assert state.eta_seconds(clock()) == 2 + 3 + P
    assert state.next_window_at(clock()) == clock() + 2


def test_old_journals_number_requests_by_their_first_tries() -> None:
    def started(attempt: int) -> dict[str, object]:
        return {"event": "started", "call": f"c{attempt}", "attempt": attempt, "posts": []}

    state = replay([HEADER, started(1), started(2), started(1), {"event": "rate", "limit": 5}])
    assert (state.requests_sent, state.extra_requests, state.last_request) == (3, 1, 2)
    assert state.rate == RateState(5, None, None, None, None)
    assert state.eta_seconds(0.0) is None  # no pace recorded: unknown, not a guess


def _planned(key: str) -> dict[str, str]:
    return {"key": key, "hash": "h", "publish_at": "2030-01-01T00:00:00+00:00", "channel": "c"}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.2, "1s"),
        (20, "20s"),
        (59.5, "1m00s"),
        (245, "4m05s"),
        (3600, "1h00m"),
        (7260.5, "2h02m"),
    ],
)
def test_one_duration_format(seconds: float, text: str) -> None:
    assert duration(seconds) == text
    assert offset(seconds) == "+" + text
