"""Sandbox fixtures: an in-process app with a fake clock, and a real uvicorn server.

A pytest plugin (the root conftest.py lists it in ``pytest_plugins``), so every test can ask
for ``sandbox_app``, ``sandbox_app_factory``, ``sandbox_server`` or ``sandbox_server_factory``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from calendar_sched.sandbox.app import Sandbox, create_app
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.server import RunningSandbox
from tests.helpers.clock import FakeClock

with warnings.catch_warnings():
    # Starlette asks for httpx2 at import time; plain httpx works and is what we ship with.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

#: 2027-01-15T08:00:00Z, a fixed "now" for in-process sandboxes.
SANDBOX_EPOCH = 1_800_000_000.0
SANDBOX_KEY = "test-sandbox-key"


@dataclass
class InProcessSandbox:
    """An app served in-process: ``api`` is authorised at /public/v1, ``http`` is bare."""

    config: SandboxConfig
    clock: FakeClock
    api: TestClient
    http: TestClient

    @property
    def state(self) -> Sandbox:
        """The app's sandbox object (store, faults, key)."""
        sandbox: Sandbox = self.api.app.state.sandbox  # type: ignore[attr-defined]
        return sandbox

    def stats(self) -> dict[str, int]:
        """The ``/_sandbox/stats`` counters."""
        result: dict[str, int] = self.http.get("/_sandbox/stats").json()
        return result

    def set_faults(self, **body: Any) -> dict[str, Any]:
        """POST ``/_sandbox/faults``."""
        result: dict[str, Any] = self.http.post("/_sandbox/faults", json=body).json()
        return result

    def revoke(self, revoked: bool = True) -> None:
        """Invalidate (or restore) the key."""
        self.http.post("/_sandbox/revoke", json={"revoked": revoked})


def listing(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Every live root post on a running sandbox, publishing in 2030."""
    answer = httpx.get(
        f"{sandbox.url}/public/v1/posts",
        params={"startDate": "2030-01-01T00:00:00Z", "endDate": "2031-01-01T00:00:00Z"},
        headers={"Authorization": sandbox.api_key},
        timeout=10,
    )
    answer.raise_for_status()
    posts: list[dict[str, Any]] = answer.json()["posts"]
    return posts


def sandbox_test_config(tmp_path: Path, **overrides: Any) -> SandboxConfig:
    """A config for tests: fixed key, state in ``tmp_path``, two org tags."""
    config = SandboxConfig(
        api_key=SANDBOX_KEY, db_path=tmp_path / "sandbox.db", tags=("launch", "news")
    )
    return replace(config, **overrides)


@pytest.fixture
def sandbox_app_factory(tmp_path: Path) -> Iterator[Callable[..., InProcessSandbox]]:
    """Build in-process sandboxes with config overrides; all are closed after the test."""
    made: list[InProcessSandbox] = []

    def make(**overrides: Any) -> InProcessSandbox:
        clock = FakeClock(SANDBOX_EPOCH)
        config = sandbox_test_config(tmp_path / f"app{len(made)}", **overrides)
        app = create_app(config, clock=clock)
        api = TestClient(
            app,
            base_url="http://testserver/public/v1",
            headers={"Authorization": config.api_key},
        )
        # Entered clients share one event-loop thread instead of starting one per request.
        sandbox = InProcessSandbox(config, clock, api.__enter__(), TestClient(app).__enter__())
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.api.__exit__(None, None, None)
        sandbox.http.__exit__(None, None, None)
        sandbox.state.close()


@pytest.fixture
def sandbox_app(sandbox_app_factory: Callable[..., InProcessSandbox]) -> InProcessSandbox:
    """An in-process sandbox with default settings (30 per hour) and a fake clock."""
    return sandbox_app_factory()


@pytest.fixture
def sandbox_server_factory(tmp_path: Path) -> Iterator[Callable[..., RunningSandbox]]:
    """Start real uvicorn sandboxes on free 127.0.0.1 ports; all are stopped after the test."""
    started: list[RunningSandbox] = []

    def make(*, clock: Callable[[], float] | None = None, **overrides: Any) -> RunningSandbox:
        config = sandbox_test_config(tmp_path / f"server{len(started)}", **overrides)
        server = RunningSandbox(config, clock=clock) if clock else RunningSandbox(config)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox_server(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    """A real sandbox server: ``url``, ``api_key``, ``stats()``, ``set_faults()``, ``revoke()``."""
    return sandbox_server_factory()
