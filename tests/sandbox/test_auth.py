"""§1 authentication, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from calendar_sched.sandbox.server import RunningSandbox
from tests.helpers.bodies import create


def _get(server: RunningSandbox, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{server.url}/public/v1/is-connected", headers=headers)


def test_raw_key_is_accepted(sandbox_server: RunningSandbox) -> None:
    """§1: the Authorization header carries the key as is."""
    response = _get(sandbox_server, {"Authorization": sandbox_server.api_key})
    assert response.status_code == 200
    assert response.json() == {"connected": True}


def test_bearer_prefix_is_an_invalid_key(sandbox_server: RunningSandbox) -> None:
    """§1: `Bearer <key>` is not stripped, so it is an unknown key."""
    response = _get(sandbox_server, {"Authorization": f"Bearer {sandbox_server.api_key}"})
    assert response.status_code == 401
    assert response.json() == {"msg": "Invalid API key"}


def test_missing_header(sandbox_server: RunningSandbox) -> None:
    """§1: no header → 401 No API Key found."""
    response = _get(sandbox_server, {})
    assert response.status_code == 401
    assert response.json() == {"msg": "No API Key found"}
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_pos_prefix_is_an_oauth_token(sandbox_server: RunningSandbox) -> None:
    """§1: values starting with pos_ are looked up as OAuth tokens."""
    response = _get(sandbox_server, {"Authorization": "pos_unknown"})
    assert response.status_code == 401
    assert response.json() == {"msg": "Invalid OAuth token"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/integrations"),
        ("GET", "/posts?startDate=2027-01-01&endDate=2027-01-02"),
        ("DELETE", "/posts/x"),
        ("POST", "/upload"),
    ],
)
def test_every_public_route_needs_the_key(
    sandbox_server: RunningSandbox, method: str, path: str
) -> None:
    """§1: the middleware guards every route of the public controller."""
    response = httpx.request(method, f"{sandbox_server.url}/public/v1{path}")
    assert response.status_code == 401
    assert response.json() == {"msg": "No API Key found"}


def test_revoked_key_stops_working_mid_run(sandbox_server: RunningSandbox) -> None:
    """§1: a key that is no longer the org's answers 401 Invalid API key (and is not counted)."""
    headers = {"Authorization": sandbox_server.api_key}
    url = f"{sandbox_server.url}/public/v1/posts"
    assert httpx.post(url, json=create(), headers=headers).status_code == 201
    sandbox_server.revoke()
    response = httpx.post(url, json=create(), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"msg": "Invalid API key"}
    assert "X-RateLimit-Limit" not in response.headers
    assert sandbox_server.stats()["counted_requests"] == 1
    sandbox_server.revoke(False)
    assert _get(sandbox_server, headers).status_code == 200


def test_unauthorised_posts_are_not_counted(sandbox_server: RunningSandbox) -> None:
    """§2: 401s fail in the middleware, before the throttler."""
    for headers in ({}, {"Authorization": "wrong"}):
        httpx.post(f"{sandbox_server.url}/public/v1/posts", json=create(), headers=headers)
    assert sandbox_server.stats()["counted_requests"] == 0
