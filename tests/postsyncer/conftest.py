"""Fixtures for the PostSyncer backend: a fake clock, a sandbox on it, a bound backend.

The plain helpers (token, client, Channels, Posts) are in tests/helpers/postsyncer.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from calendar_sched.sandbox.config import Faults
from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_costs
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import START, TOKEN, make_client


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock at 2030-03-01 08:00 UTC that advances only by sleeping."""
    return FakeClock(START.timestamp())


@pytest.fixture
def postsyncer_factory(
    tmp_path: Path, fake_clock: FakeClock
) -> Iterator[Callable[..., RunningPostSyncer]]:
    """Start PostSyncer sandboxes on the fake clock; all are stopped after the test."""
    started: list[RunningPostSyncer] = []

    def make(**overrides: Any) -> RunningPostSyncer:
        faults = overrides.pop("faults", Faults())
        config = PostSyncerConfig(
            token=TOKEN,
            db_path=overrides.pop("db_path", tmp_path / f"ps{len(started)}.db"),
            faults=faults,
            **overrides,
        )
        sandbox = RunningPostSyncer(config, clock=fake_clock).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def postsyncer_sandbox(postsyncer_factory: Callable[..., RunningPostSyncer]) -> RunningPostSyncer:
    """A default PostSyncer sandbox (60 per 60 s, demo accounts in workspace 1)."""
    return postsyncer_factory()


@pytest.fixture
def postsyncer_backend(
    postsyncer_sandbox: RunningPostSyncer, fake_clock: FakeClock
) -> Iterator[PostSyncerBackend]:
    """A backend bound to the default sandbox, channels discovered."""
    with make_client(postsyncer_sandbox, fake_clock) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs())
        backend.discover()
        yield backend
