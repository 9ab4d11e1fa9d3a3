"""The PostSyncer client: Bearer auth, Unix reset, pacing of every call, status map."""

from __future__ import annotations

import httpx
import pytest

from calendar_sched.errors import AuthError, FatalApiError, RateLimited, RetriableApiError
from calendar_sched.targets.config import resolve_postsyncer_target
from calendar_sched.targets.postsyncer.client import (
    PostSyncerClient,
    field_errors,
    parse_rate_state,
)
from tests.helpers.clock import FakeClock

TOKEN = "secret-token-abc"


def _client(handler, clock: FakeClock, **kw) -> PostSyncerClient:  # type: ignore[no-untyped-def]
    return PostSyncerClient(
        "https://ps.test/api/v1",
        TOKEN,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        **kw,
    )


def test_sends_bearer_token_and_reads_unix_reset() -> None:
    clock = FakeClock(1_000_000_000.0)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        headers = {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "59",
            "X-RateLimit-Reset": "1000000060",
        }
        return httpx.Response(200, json=[], headers=headers)

    with _client(handler, clock) as client:
        answer = client.request("GET", "/workspaces")
    assert seen == [f"Bearer {TOKEN}"]
    assert answer.rate is not None
    assert answer.rate.reset_at == 1_000_000_060.0
    assert answer.rate.remaining == 59


def test_paces_every_call_inside_the_window() -> None:
    clock = FakeClock(1_000_000_000.0)
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return httpx.Response(200, json=[])

    with _client(handler, clock, limit=3, window_seconds=60) as client:
        for _ in range(7):
            client.request("GET", "/accounts")
    assert len(sent_at) == 7
    # never more than 3 calls in any 60-second span
    for i in range(len(sent_at) - 3):
        assert sent_at[i + 3] - sent_at[i] >= 60


def test_429_is_rate_limited_with_retry_after_and_blocks_the_budget() -> None:
    clock = FakeClock(1_000_000_000.0)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Retry-After": "42", "X-RateLimit-Reset": "1000000042"}
        return httpx.Response(429, json={"message": "Too Many Attempts."}, headers=headers)

    with _client(handler, clock) as client:
        with pytest.raises(RateLimited) as info:
            client.request("GET", "/posts")
        assert info.value.retry_after == 42
        assert client.budget.wait(clock.now) >= 42


def test_daily_platform_limit_is_fatal_not_retried() -> None:
    clock = FakeClock(1_000_000_000.0)
    body = {
        "error": "rate_limit_exceeded",
        "details": {
            "platform": "twitter",
            "plan": "free",
            "daily_limit": 5,
            "posts_in_last_24h": 5,
            "reset_time": "2030-01-01T00:00:00Z",
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json=body)

    with _client(handler, clock) as client, pytest.raises(FatalApiError) as info:
        client.request("POST", "/posts", json_body={})
    assert not isinstance(info.value, RetriableApiError)
    assert "daily post limit of twitter" in str(info.value)


@pytest.mark.parametrize(("status", "needle"), [(401, "POSTSYNCER_API_TOKEN"), (403, "ability")])
def test_auth_errors_name_the_fix_but_never_the_token(status: int, needle: str) -> None:
    clock = FakeClock(1_000_000_000.0)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"message": f"bad token {TOKEN}"})

    with _client(handler, clock) as client, pytest.raises(AuthError) as info:
        client.request("GET", "/workspaces")
    assert needle in str(info.value)
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(client)


def test_422_field_errors_are_parsed() -> None:
    body = {"message": "The content field is required.", "errors": {"content": ["required"]}}
    parsed = field_errors(body)
    assert parsed is not None
    assert parsed.fields == {"content": ["required"]}
    assert field_errors({"message": "x"}) is None


def test_reset_in_seconds_is_tolerated() -> None:
    rate = parse_rate_state({"x-ratelimit-reset": "30"}, 1_000_000_000.0)
    assert rate is not None
    assert rate.reset_at == 1_000_000_030.0


def test_target_from_environment() -> None:
    assert resolve_postsyncer_target({}).embedded
    target = resolve_postsyncer_target({"POSTSYNCER_API_TOKEN": "s3cr3t"})
    assert target.base_url == "https://postsyncer.com/api/v1"
    assert target.upload_url == "https://upload.postsyncer.com/api/v1"
    assert "s3cr3t" not in repr(target)
