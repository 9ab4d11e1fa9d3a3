"""Fault injection (issue 4 §5): 5xx before commit, answer lost after commit, latency, seeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from calendar_sched.sandbox.config import Faults
from calendar_sched.sandbox.faults import ConnectionDropped, FaultInjector
from calendar_sched.sandbox.server import RunningSandbox
from tests.helpers.bodies import create, post, value
from tests.helpers.media_server import serving
from tests.helpers.sandbox import InProcessSandbox

WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"}


@pytest.fixture
def client(sandbox_server: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{sandbox_server.url}/public/v1",
        headers={"Authorization": sandbox_server.api_key},
    ) as http:
        yield http


def test_drop_after_commit_over_real_http(
    sandbox_server: RunningSandbox, client: httpx.Client
) -> None:
    """The write happens, the connection closes with no answer; a resend by id updates."""
    sandbox_server.set_faults(drop_after_commit=1.0)
    body = create(post(value("hello", id="lost1")))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/posts", json=body)
    sandbox_server.set_faults(drop_after_commit=0.0)
    listed = client.get("/posts", params=WINDOW).json()["posts"]
    assert [p["id"] for p in listed] == ["lost1"]
    assert client.post("/posts", json=body).status_code == 201
    assert len(client.get("/posts", params=WINDOW).json()["posts"]) == 1
    stats = sandbox_server.stats()
    assert stats["dropped_after_commit"] == 1
    assert (stats["posts_created"], stats["posts_updated"]) == (1, 1)
    assert stats["counted_requests"] == 2


def test_naive_retry_after_a_drop_duplicates(
    sandbox_server: RunningSandbox, client: httpx.Client
) -> None:
    """Without value ids, retrying a lost answer creates a second post: the case to avoid."""
    sandbox_server.set_faults(drop_after_commit=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/posts", json=create(post(value("no id"))))
    sandbox_server.set_faults(drop_after_commit=0.0)
    client.post("/posts", json=create(post(value("no id"))))
    assert len(client.get("/posts", params=WINDOW).json()["posts"]) == 2


def test_5xx_before_commit_writes_nothing(
    sandbox_server: RunningSandbox, client: httpx.Client
) -> None:
    """An injected 500 is counted, carries the rate headers and writes nothing."""
    sandbox_server.set_faults(fault_5xx=1.0)
    response = client.post("/posts", json=create(post(value(id="f1"))))
    assert response.status_code == 500
    assert response.json() == {"statusCode": 500, "message": "Internal server error"}
    assert response.headers["X-RateLimit-Remaining"] == "29"
    stats = sandbox_server.stats()
    assert (stats["posts_total"], stats["faults_5xx"], stats["counted_requests"]) == (0, 1, 1)


def test_drop_on_upload(sandbox_server_factory: Callable[..., RunningSandbox]) -> None:
    """Uploads can lose their answer too; the file (fetched from a local server) is stored."""
    server = sandbox_server_factory(fetch_urls=True, allow_loopback_urls=True)
    server.set_faults(drop_after_commit=1.0)
    with (
        serving() as files,
        httpx.Client(
            base_url=f"{server.url}/public/v1", headers={"Authorization": server.api_key}
        ) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("/upload-from-url", json={"url": files.url("/cat.png")})
    assert server.stats()["uploads"] == 1


def test_drop_in_process_raises_a_protocol_error(sandbox_app: InProcessSandbox) -> None:
    """In-process clients see the same httpx.RemoteProtocolError family."""
    sandbox_app.set_faults(fault_drop_after_commit=1.0)
    with pytest.raises(ConnectionDropped) as caught:
        sandbox_app.api.post("/posts", json=create(post(value(id="ip1"))))
    assert isinstance(caught.value, httpx.RemoteProtocolError)
    assert sandbox_app.state.store.post("ip1") is not None


def test_faults_are_deterministic_with_a_seed() -> None:
    """--seed: the same seed gives the same sequence of faults."""

    def run(seed: int) -> list[tuple[bool, bool]]:
        injector = FaultInjector(Faults(fault_5xx=0.3, drop_after_commit=0.3), seed)
        return [(r.fail_5xx, r.drop_after_commit) for r in (injector.roll() for _ in range(50))]

    assert run(7) == run(7)
    assert run(7) != run(8)
    outcomes = run(7)
    assert any(fail for fail, _ in outcomes)
    assert not all(fail for fail, _ in outcomes)


def test_seeded_server_runs_repeat(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """Two sandboxes with the same seed fail the same requests."""

    def statuses(sandbox: InProcessSandbox) -> list[int]:
        return [sandbox.api.post("/posts", json=create()).status_code for _ in range(20)]

    first = statuses(sandbox_app_factory(faults=Faults(fault_5xx=0.5), seed=3))
    second = statuses(sandbox_app_factory(faults=Faults(fault_5xx=0.5), seed=3))
    assert first == second
    assert set(first) == {201, 500}


def test_fault_settings_round_trip(sandbox_app: InProcessSandbox) -> None:
    """POST /_sandbox/faults changes rates at runtime and answers the current settings."""
    answer = sandbox_app.set_faults(fault_latency_ms=5, fault_5xx=0.25, seed=1)
    assert answer == {"fault_5xx": 0.25, "fault_drop_after_commit": 0.0, "fault_latency_ms": 5}
    assert sandbox_app.state.faults.faults.latency_ms == 5
    bad = sandbox_app.http.post("/_sandbox/faults", json={"fault_5xx": 2})
    assert bad.status_code == 400
    unknown = sandbox_app.http.post("/_sandbox/faults", json={"boom": 1})
    assert unknown.status_code == 400


def test_latency_is_applied(sandbox_app: InProcessSandbox) -> None:
    """Latency sleeps the configured time before each public request (no timing asserted)."""
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    sandbox_app.state.faults.sleep = fake_sleep
    sandbox_app.set_faults(fault_latency_ms=250)
    sandbox_app.api.get("/is-connected")
    assert slept == [0.25]


def test_stats_shape(sandbox_app: InProcessSandbox) -> None:
    """GET /_sandbox/stats needs no key and has the issue's keys (plus extras)."""
    stats = sandbox_app.http.get("/_sandbox/stats").json()
    for key in ("counted_requests", "rejected_429", "posts_created", "posts_updated", "uploads"):
        assert stats[key] == 0
