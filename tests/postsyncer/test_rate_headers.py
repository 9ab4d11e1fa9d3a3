"""Pacing against PostSyncer whatever rate headers its successes carry (#14).

PostSyncer looks like Laravel, whose ``ThrottleRequests`` middleware may send the rate headers
on the 429 only (a gateway strips them), Limit/Remaining without Reset (stock Laravel), or all
of them (PostSyncer's docs). The client's ``Budget`` must keep under the limit in every case:
by the headers when there are some, by its own count of a window when there are none.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from calendar_sched.errors import RateLimited
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.sandbox.postsyncer.throttle import RATE_HEADERS, RateHeaders
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import TOKEN, make_client

LIMIT, WINDOW = 5, 60.0


@pytest.mark.parametrize(
    ("mode", "on_success"),
    [
        ("always", {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}),
        ("laravel", {"x-ratelimit-limit", "x-ratelimit-remaining"}),
        ("429-only", set()),
    ],
)
def test_sandbox_success_headers_are_switchable(
    postsyncer_factory: Callable[..., RunningPostSyncer], mode: RateHeaders, on_success: set[str]
) -> None:
    """Successes carry the mode's headers; the 429 always carries all and Retry-After."""
    sandbox = postsyncer_factory(limit=1, window=WINDOW, rate_headers=mode)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ok = httpx.get(f"{sandbox.api_url}/accounts", headers=auth)
    refused = httpx.get(f"{sandbox.api_url}/accounts", headers=auth)
    assert ok.status_code == 200
    assert {k for k in ok.headers if k.startswith("x-ratelimit")} == on_success
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert {"x-ratelimit-limit", "x-ratelimit-reset", "retry-after"} <= set(refused.headers)


@pytest.mark.parametrize("mode", RATE_HEADERS)
def test_client_paces_without_a_429_in_every_mode(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, mode: RateHeaders
) -> None:
    """13 calls at 5 per 60 s: three windows, no 429, and no whole window wasted."""
    sandbox = postsyncer_factory(limit=LIMIT, window=WINDOW, rate_headers=mode)
    start = fake_clock.now
    with make_client(sandbox, fake_clock, limit=LIMIT, window_seconds=WINDOW) as client:
        for _ in range(13):
            client.request("GET", "/accounts")
    stats = sandbox.stats()
    assert (stats["counted_requests"], stats["rejected_429"]) == (13, 0)
    elapsed = fake_clock.now - start
    assert 2 * WINDOW <= elapsed < 2 * WINDOW + 2  # two waits of one window, plus margins


@pytest.mark.parametrize(
    ("mode", "expected_429s"), [("always", 0), ("laravel", 0), ("429-only", 1)]
)
def test_client_learns_a_lower_limit(
    postsyncer_factory: Callable[..., RunningPostSyncer],
    fake_clock: FakeClock,
    mode: RateHeaders,
    expected_429s: int,
) -> None:
    """A client that assumes 60 per minute meets a server allowing 5. With Limit on successes
    it never sees a 429; without, the one 429 says Limit 5 and Retry-After, and from then on
    it paces at 5 per window."""
    sandbox = postsyncer_factory(limit=LIMIT, window=WINDOW, rate_headers=mode)
    refused = 0
    with make_client(sandbox, fake_clock) as client:
        done = 0
        while done < 16:
            try:
                client.request("GET", "/accounts")
            except RateLimited:
                refused += 1
                continue
            done += 1
    assert refused == expected_429s
    assert sandbox.stats()["rejected_429"] == expected_429s
    assert sandbox.stats()["counted_requests"] == 16


def test_serve_rate_headers_option(tmp_path: Path) -> None:
    """`sandbox serve --api postsyncer --rate-headers 429-only` serves successes bare."""
    command = [
        sys.executable, "-c", "from calendar_sched.cli import main; main()",
        "sandbox", "serve", "--api", "postsyncer", "--port", "0", "--api-key", "ps-token",
        "--rate-headers", "429-only", "--db", str(tmp_path / "ps.db"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(3)]
            url = lines[2].strip().removeprefix("export POSTSYNCER_API_URL=")
            answer = httpx.get(f"{url}/accounts", headers={"Authorization": "Bearer ps-token"})
            assert answer.status_code == 200
            assert not [k for k in answer.headers if k.startswith("x-ratelimit")]
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
