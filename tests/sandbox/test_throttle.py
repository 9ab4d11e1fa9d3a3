"""§2 the throttler: the pure window logic, then the route in-process and over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from hypothesis import given
from hypothesis import strategies as st

from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.sandbox.throttle import ThrottleState, hit
from tests.helpers.bodies import create
from tests.helpers.clock import FakeClock
from tests.helpers.media_server import serving
from tests.helpers.sandbox import InProcessSandbox

TOO_MANY = {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}


def test_window_is_fixed_from_the_first_hit() -> None:
    """§2: the expiry is set on a window's first hit only (fixed, not sliding)."""
    state = ThrottleState()
    first = hit(state, 100.0, limit=3, window=60)
    second = hit(state, 130.0, limit=3, window=60)
    assert (first.reset, second.reset) == (60, 30)
    after = hit(state, 160.0, limit=3, window=60)
    assert (after.hits, after.reset) == (1, 60)


def test_first_excess_hit_blocks_for_a_window_from_that_moment() -> None:
    """§2: hits > limit sets the block for one window from the excess hit."""
    state = ThrottleState()
    hit(state, 0.0, limit=1, window=100)
    refused = hit(state, 40.0, limit=1, window=100)
    assert not refused.allowed
    assert refused.retry_after == 100
    assert refused.new_block
    assert state.blocked_until == 140.0


def test_hits_during_the_block_count_and_can_reblock() -> None:
    """§2: blocked hits still count; a new window can start during the block and re-trigger it."""
    state = ThrottleState()
    hit(state, 0.0, limit=1, window=100)
    hit(state, 90.0, limit=1, window=100)  # blocks until 190
    during = hit(state, 120.0, limit=1, window=100)  # new hits window [120, 220)
    assert not during.allowed
    assert during.retry_after == 70
    assert state.hits == 1
    hit(state, 150.0, limit=1, window=100)  # hits = 2 in the new window
    after_block = hit(state, 195.0, limit=1, window=100)
    assert not after_block.allowed
    assert after_block.new_block
    assert after_block.retry_after == 100


def test_retry_after_rounds_up() -> None:
    """§2: Retry-After is the remaining block in whole seconds, rounded up."""
    state = ThrottleState()
    hit(state, 0.0, limit=1, window=10)
    hit(state, 0.5, limit=1, window=10)
    assert hit(state, 5.25, limit=1, window=10).retry_after == 6


def test_headers_on_counted_answers(sandbox_app: InProcessSandbox) -> None:
    """§2: X-RateLimit-Limit/-Remaining/-Reset (seconds left in the window) on counted answers."""
    first = sandbox_app.api.post("/posts", json=create())
    assert first.status_code == 201
    assert first.headers["X-RateLimit-Limit"] == "30"
    assert first.headers["X-RateLimit-Remaining"] == "29"
    assert first.headers["X-RateLimit-Reset"] == "3600"
    sandbox_app.clock.advance(600)
    second = sandbox_app.api.post("/posts", json=create())
    assert second.headers["X-RateLimit-Remaining"] == "28"
    assert second.headers["X-RateLimit-Reset"] == "3000"


def test_validation_failures_count(sandbox_app: InProcessSandbox) -> None:
    """§2: 400s reach the guard, so they count and carry the headers."""
    response = sandbox_app.api.post("/posts", json={"posts": []})
    assert response.status_code == 400
    assert response.headers["X-RateLimit-Remaining"] == "29"
    assert sandbox_app.stats()["counted_requests"] == 1


def test_server_errors_count(sandbox_app: InProcessSandbox) -> None:
    """§2: 500s count."""
    sandbox_app.set_faults(fault_5xx=1.0)
    response = sandbox_app.api.post("/posts", json=create())
    assert response.status_code == 500
    assert response.headers["X-RateLimit-Remaining"] == "29"
    assert sandbox_app.stats()["counted_requests"] == 1


def test_body_cap_is_body_parsers_100kb(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """§3 body size limit (MAIN: Nest's default Express json(), body-parser's "100kb"):
    102,400 bytes pass the parser, 102,401 are 413 before auth."""
    sandbox = sandbox_app_factory()
    assert sandbox.config.body_cap == 102_400
    raw = b'{"pad":"' + b"x" * (102_400 - 10) + b'"}'
    assert len(raw) == 102_400
    headers = {"Content-Type": "application/json"}
    fits = sandbox.http.post("/public/v1/posts", content=raw, headers=headers)
    over = sandbox.http.post("/public/v1/posts", content=raw + b" ", headers=headers)
    assert (fits.status_code, fits.json()) == (401, {"msg": "No API Key found"})
    assert (over.status_code, over.json()) == (
        413,
        {"statusCode": 413, "message": "request entity too large"},
    )


def test_parse_failures_are_not_counted(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """§2: 413 and malformed JSON fail in the body parser, before auth and the guard."""
    sandbox = sandbox_app_factory(body_cap=1000)
    big = sandbox.api.post("/posts", json=create(date="2027-02-01T09:30:00Z", pad="x" * 2000))
    bad = sandbox.api.post("/posts", content=b"{nope", headers={"Content-Type": "application/json"})
    assert (big.status_code, bad.status_code) == (413, 400)
    assert "X-RateLimit-Limit" not in big.headers
    assert sandbox.stats()["counted_requests"] == 0


def test_only_post_posts_is_throttled(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """§2: GETs, deletes, PUTs and uploads pass unthrottled and carry no X-RateLimit headers."""
    sandbox_app = sandbox_app_factory(fetch_urls=True, allow_loopback_urls=True)
    with serving() as files:
        answers = [
            sandbox_app.api.get("/integrations"),
            sandbox_app.api.get(
                "/posts", params={"startDate": "2027-01-01", "endDate": "2027-03-01"}
            ),
            sandbox_app.api.delete("/posts/group/nothing"),
            sandbox_app.api.post("/upload-from-url", json={"url": files.url("/cat.png")}),
            sandbox_app.api.put("/posts/nothing/status", json={"status": "draft"}),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 201, 400]
    assert all("X-RateLimit-Limit" not in a.headers for a in answers)
    assert sandbox_app.stats()["counted_requests"] == 0


def test_new_window_after_expiry(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§2: when the window expires without a block, the budget is whole again."""
    sandbox = sandbox_app_factory(limit=2, window=3600)
    for _ in range(2):
        sandbox.api.post("/posts", json=create())
    sandbox.clock.advance(3600)
    response = sandbox.api.post("/posts", json=create())
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Remaining"] == "1"


def test_lockout_lasts_a_window_from_the_excess_call(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """§2: the org is locked for 60 min from the first excess request, not from the window."""
    sandbox = sandbox_app_factory(limit=2, window=3600)
    clock: FakeClock = sandbox.clock
    sandbox.api.post("/posts", json=create())
    clock.advance(3000)
    sandbox.api.post("/posts", json=create())
    clock.advance(100)
    excess = sandbox.api.post("/posts", json=create())
    assert excess.status_code == 429
    assert excess.headers["Retry-After"] == "3600"
    clock.advance(1000)  # the hits window expired at 3600; still blocked until 6700
    during = sandbox.api.post("/posts", json=create())
    assert (during.status_code, during.headers["Retry-After"]) == (429, "2600")
    clock.advance(2600)
    assert sandbox.api.post("/posts", json=create()).status_code == 201
    stats = sandbox.stats()
    assert (stats["counted_requests"], stats["rejected_429"], stats["lockouts"]) == (5, 2, 1)


def test_429_over_real_http(sandbox_server_factory: Callable[..., RunningSandbox]) -> None:
    """§2: 429 body, Retry-After and no X-RateLimit headers; 429s themselves count."""
    server = sandbox_server_factory(limit=2)
    with httpx.Client(
        base_url=f"{server.url}/public/v1", headers={"Authorization": server.api_key}
    ) as client:
        statuses = [client.post("/posts", json=create()).status_code for _ in range(2)]
        refused = client.post("/posts", json=create())
        again = client.post("/posts", json=create())
    assert statuses == [201, 201]
    assert refused.status_code == 429
    assert refused.json() == TOO_MANY
    assert refused.headers["Retry-After"] == "3600"
    assert not any(h.lower().startswith("x-ratelimit") for h in refused.headers)
    assert again.status_code == 429
    stats = server.stats()
    assert (stats["counted_requests"], stats["rejected_429"], stats["lockouts"]) == (4, 2, 1)


def test_lockout_survives_a_restart(
    tmp_path_factory: object, sandbox_app_factory: Callable[..., InProcessSandbox]
) -> None:
    """§2: the block lives in storage (Redis on Postiz, SQLite here), not in the process."""
    first = sandbox_app_factory(limit=1)
    first.api.post("/posts", json=create())
    assert first.api.post("/posts", json=create()).status_code == 429
    second = sandbox_app_factory(limit=1, db_path=first.config.db_path)
    second.clock.advance(10)
    response = second.api.post("/posts", json=create())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3590"


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), max_size=80),
    limit=st.integers(min_value=1, max_value=5),
)
def test_no_window_ever_allows_more_than_the_limit(gaps: list[float], limit: int) -> None:
    """§2 invariant: at most `limit` allowed calls per hits window; nothing passes a block."""
    state = ThrottleState()
    now = 0.0
    allowed_per_window: dict[float, int] = {}
    blocked_until = -1.0
    for gap in gaps:
        now += gap
        decision = hit(state, now, limit=limit, window=100)
        assert state.window_end is not None
        if decision.allowed:
            assert now >= blocked_until
            allowed_per_window[state.window_end] = allowed_per_window.get(state.window_end, 0) + 1
        else:
            assert decision.retry_after > 0
            blocked_until = now + decision.retry_after - 1  # whole seconds, rounded up
    assert all(count <= limit for count in allowed_per_window.values())
