"""PostizClient against httpx.MockTransport: auth, status mapping, headers, secrecy; config."""

from __future__ import annotations

import httpx
import pytest

from calendar_sched import errors
from calendar_sched.targets.config import (
    DEFAULT_API_URL,
    normalize_base_url,
    resolve_target,
    target_fingerprint,
)
from calendar_sched.targets.http import parse_retry_after
from calendar_sched.targets.postiz.client import PostizClient, classify, parse_rate_state
from tests.helpers.fakes import Canned, FakeApi

KEY = "k3y-SECRET-0123456789"
NOW = 1_800_000_000.0


def make_client(api: FakeApi, base: str = "https://postiz.test") -> PostizClient:
    return PostizClient(base, KEY, transport=api.transport(), clock=lambda: NOW)


def test_raw_key_in_authorization_and_public_v1_prefix() -> None:
    api = FakeApi().route("GET", "/api/public/v1/is-connected", Canned(200, {"connected": True}))
    client = make_client(api, "https://host.example/api/")
    answer = client.request("GET", "/is-connected")
    assert answer.data == {"connected": True}
    sent = api.requests[0]
    assert sent.headers["Authorization"] == KEY
    assert str(sent.url) == "https://host.example/api/public/v1/is-connected"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"msg": "Invalid API key"}, errors.AuthError),
        (401, None, errors.AuthError),
        (403, {"msg": "Forbidden"}, errors.AuthError),
        (429, {"statusCode": 429, "message": "Too Many"}, errors.RateLimited),
        (500, {"statusCode": 500, "message": "Internal server error"}, errors.RetriableApiError),
        (502, None, errors.RetriableApiError),
        (503, None, errors.RetriableApiError),
        (413, {"message": "request entity too large"}, errors.PayloadTooLarge),
        (
            400,
            {"statusCode": 400, "provider": "x", "name": "Acme on X", "message": "too long"},
            errors.ValidationRejected,
        ),
        (
            400,
            {"statusCode": 400, "message": "This post was already published; use republish"},
            errors.AlreadyPublished,
        ),
        (400, {"message": ["posts.0.settings.title should not be empty"]}, errors.FatalApiError),
        (402, {"message": "quota"}, errors.FatalApiError),
        (404, {"msg": "Integration not found"}, errors.FatalApiError),
    ],
)
def test_every_status_maps_to_one_exception(status: int, body: object, expected: type) -> None:
    api = FakeApi().route("POST", "/public/v1/posts", Canned(status, body))
    with pytest.raises(errors.ApiError) as caught:
        make_client(api).request("POST", "/posts", json_body={"posts": []})
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.method == "POST"
    assert caught.value.path == "/posts"
    assert str(status) in str(caught.value)


def test_success_statuses_are_not_errors() -> None:
    for status in (200, 201, 204):
        assert classify(status, None, method="GET", path="/x") is None


def test_validation_rejected_names_provider_and_channel() -> None:
    body = {"statusCode": 400, "provider": "x", "name": "Acme on X", "message": "too long"}
    exc = classify(400, body, method="POST", path="/posts")
    assert isinstance(exc, errors.ValidationRejected)
    assert (exc.provider, exc.channel) == ("x", "Acme on X")
    assert "Acme on X" in str(exc)
    assert "too long" in str(exc)


def test_list_messages_are_joined() -> None:
    body = {"message": ["posts.0.date must be a date", "tags must be an array"], "statusCode": 400}
    exc = classify(400, body, method="POST", path="/posts")
    assert str(exc) == ("POST /posts: 400 posts.0.date must be a date; tags must be an array")


def test_rate_headers_become_absolute_reset() -> None:
    api = FakeApi(limit=30).route("POST", "/public/v1/posts", Canned(201, []))
    client = make_client(api)
    answer = client.request("POST", "/posts", json_body={})
    assert answer.rate is not None
    assert (answer.rate.limit, answer.rate.remaining) == (30, 29)
    assert answer.rate.reset_at == NOW + 3600
    assert client.rate_state == answer.rate


def test_429_sets_blocked_until_from_retry_after_and_keeps_limit() -> None:
    api = FakeApi(limit=5, rate_limit_after=1, retry_after=1234)
    api.route("POST", "/public/v1/posts", Canned(201, []))
    client = make_client(api)
    client.request("POST", "/posts", json_body={})
    with pytest.raises(errors.RateLimited) as caught:
        client.request("POST", "/posts", json_body={})
    assert caught.value.retry_after == 1234
    state = client.rate_state
    assert state is not None
    assert (state.limit, state.remaining, state.blocked_until) == (5, 0, NOW + 1234)


def test_free_answers_without_headers_leave_rate_state_alone() -> None:
    api = FakeApi().route("GET", "/public/v1/integrations", Canned(200, []))
    client = make_client(api)
    assert client.request("GET", "/integrations").rate is None
    assert client.rate_state is None


def test_parse_rate_state_and_retry_after_forms() -> None:
    assert parse_rate_state({}, NOW) is None
    state = parse_rate_state({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "10"}, NOW)
    assert state is not None
    assert (state.limit, state.remaining, state.reset_at) == (None, 3, NOW + 10)
    assert parse_retry_after({"retry-after": "120"}, NOW) == 120
    assert parse_retry_after({"retry-after": "Thu, 15 Jan 2027 08:00:00 GMT"}, 1_799_999_000.0) > 0
    assert parse_retry_after({"retry-after": "soon"}, NOW) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"}), NOW) == 7


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")],
)
def test_transport_failures_are_retriable(failure: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    client = PostizClient("https://postiz.test", KEY, transport=httpx.MockTransport(handler))
    with pytest.raises(errors.RetriableApiError) as caught:
        client.request("GET", "/integrations")
    assert not isinstance(caught.value, errors.RateLimited)
    assert caught.value.path == "/integrations"


def test_key_never_in_messages_or_repr() -> None:
    echo = {"msg": f"Invalid API key {KEY}"}
    api = FakeApi().route("GET", "/public/v1/integrations", Canned(401, echo))

    def leaky(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"failed with header {KEY}")

    client = make_client(api)
    with pytest.raises(errors.AuthError) as caught:
        client.request("GET", "/integrations")
    assert KEY not in str(caught.value)
    assert "Bearer" in str(caught.value)  # the hint tells how the key is sent
    leaky_client = PostizClient("https://postiz.test", KEY, transport=httpx.MockTransport(leaky))
    with pytest.raises(errors.RetriableApiError) as caught2:
        leaky_client.request("GET", "/integrations")
    assert KEY not in str(caught2.value)
    assert KEY not in repr(client)
    assert "***" in repr(client)


def test_non_json_error_bodies_are_shortened() -> None:
    api = FakeApi().route(
        "GET", "/public/v1/integrations", lambda r: httpx.Response(502, text="<html>bad gw")
    )
    with pytest.raises(errors.RetriableApiError, match="bad gw"):
        make_client(api).request("GET", "/integrations")


# config


def test_resolve_target_variants() -> None:
    assert resolve_target({}).embedded
    hosted = resolve_target({"POSTIZ_API_KEY": KEY})
    assert (hosted.base_url, hosted.embedded) == (DEFAULT_API_URL, False)
    own = resolve_target({"POSTIZ_API_URL": "https://host.example/api/", "POSTIZ_API_KEY": KEY})
    assert own.base_url == "https://host.example/api"
    assert KEY not in repr(own)
    with pytest.raises(errors.ConfigError, match="POSTIZ_API_KEY is missing"):
        resolve_target({"POSTIZ_API_URL": "https://host.example/api"})
    with pytest.raises(errors.ConfigError, match="http"):
        resolve_target({"POSTIZ_API_URL": "host.example", "POSTIZ_API_KEY": KEY})


def test_normalize_and_fingerprint() -> None:
    assert normalize_base_url("https://h.example/api/public/v1/") == "https://h.example/api"
    assert target_fingerprint("https://a") != target_fingerprint("https://b")
    assert resolve_target({"POSTIZ_API_KEY": "one"}).fingerprint == (
        resolve_target({"POSTIZ_API_KEY": "two"}).fingerprint
    )
