"""The retry policy: what retries, how many attempts, which waits (recorded, never slept)."""

from __future__ import annotations

import random

import httpx
import pytest

from calendar_sched import errors
from calendar_sched.run.retry import retrying, should_retry
from calendar_sched.targets.postiz.client import PostizClient
from tests.helpers.fakes import Canned, FakeApi


class Flaky:
    """Fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_retries_transient_errors_with_growing_jittered_waits() -> None:
    waits: list[float] = []
    call = Flaky(*(errors.RetriableApiError("503") for _ in range(3)))
    policy = retrying(attempts=5, initial=1.0, jitter=0.5, sleep=waits.append, rng=random.Random(7))
    assert policy(call) == "ok"
    assert call.calls == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 2**attempt <= wait <= 2**attempt + 0.5


def test_stops_after_attempts_and_reraises_the_last_error() -> None:
    waits: list[float] = []
    call = Flaky(*(errors.RetriableApiError(f"fail {i}") for i in range(10)))
    with pytest.raises(errors.RetriableApiError, match="fail 2"):
        retrying(attempts=3, sleep=waits.append)(call)
    assert call.calls == 3
    assert len(waits) == 2


def test_waits_are_capped() -> None:
    waits: list[float] = []
    call = Flaky(*(errors.RetriableApiError("x") for _ in range(6)))
    retrying(attempts=7, initial=10, max_wait=15, jitter=0, sleep=waits.append)(call)
    assert waits == [10, 15, 15, 15, 15, 15]


def test_retry_after_wins_over_backoff() -> None:
    waits: list[float] = []
    call = Flaky(
        errors.RetriableApiError("503", retry_after=42), errors.RateLimited("429", retry_after=7)
    )
    assert retrying(sleep=waits.append, jitter=0)(call) == "ok"
    assert waits == [42, 7]


@pytest.mark.parametrize(
    "failure",
    [
        errors.FatalApiError("400"),
        errors.AuthError("401"),
        errors.ValidationRejected("400"),
        errors.PayloadTooLarge("413"),
        ValueError("bug"),
    ],
)
def test_fatal_errors_are_not_retried(failure: Exception) -> None:
    waits: list[float] = []
    call = Flaky(failure)
    with pytest.raises(type(failure)):
        retrying(sleep=waits.append)(call)
    assert call.calls == 1
    assert waits == []


def test_rate_limit_on_counted_call_is_left_to_the_executor() -> None:
    waits: list[float] = []
    call = Flaky(errors.RateLimited("429", retry_after=3600))
    with pytest.raises(errors.RateLimited):
        retrying(counted=True, sleep=waits.append)(call)
    assert call.calls == 1
    assert waits == []
    assert should_retry(errors.RetriableApiError("500"), counted=True)
    assert should_retry(errors.RateLimited("429"), counted=False)


def test_policy_around_the_client_retries_a_flaky_server() -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[])])
    api = FakeApi().route("GET", "/public/v1/integrations", lambda request: next(answers))
    client = PostizClient("https://postiz.test", "key", transport=api.transport())
    waits: list[float] = []
    answer = retrying(sleep=waits.append, jitter=0)(client.request, "GET", "/integrations")
    assert answer.data == []
    assert api.counts[("GET", "/public/v1/integrations")] == 3
    assert waits == [1.0, 2.0]


def test_before_sleep_hook_sees_each_retry() -> None:
    seen: list[int] = []
    api = FakeApi().route("GET", "/public/v1/integrations", Canned(500))
    client = PostizClient("https://postiz.test", "key", transport=api.transport())
    policy = retrying(
        attempts=3, sleep=lambda s: None, before_sleep=lambda st: seen.append(st.attempt_number)
    )
    with pytest.raises(errors.RetriableApiError):
        policy(client.request, "GET", "/integrations")
    assert seen == [1, 2]
