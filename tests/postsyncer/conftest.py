"""Fixtures for the PostSyncer backend: a fake clock, a sandbox on it, a client and Posts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue
from calendar_sched.sandbox.config import Faults
from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_costs
from calendar_sched.targets.postsyncer.client import PostSyncerClient

TOKEN = "ps-test-token-0123456789"
START = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


class FakeClock:
    """Epoch seconds that only move when someone sleeps; records the sleeps."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


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


def make_client(sandbox: RunningPostSyncer, clock: FakeClock, **kw: Any) -> PostSyncerClient:
    """A client of ``sandbox`` on the fake clock."""
    return PostSyncerClient(sandbox.api_url, TOKEN, clock=clock, sleep=clock.sleep, **kw)


@pytest.fixture
def postsyncer_backend(
    postsyncer_sandbox: RunningPostSyncer, fake_clock: FakeClock
) -> Iterator[PostSyncerBackend]:
    """A backend bound to the default sandbox, channels discovered."""
    with make_client(postsyncer_sandbox, fake_clock) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs())
        backend.discover()
        yield backend


def channel(
    cid: str = "1", identifier: str = "x", profile: str = "acme", workspace: str | None = "1"
) -> Channel:
    """A PostSyncer account as a Channel."""
    customer = {"id": workspace, "name": "Acme"} if workspace else None
    return Channel(
        id=cid,
        name=f"{profile} ({identifier})",
        identifier=identifier,
        profile=profile,
        customer=customer,
    )


def post(
    key: str,
    ch: Channel,
    *,
    at: datetime | None = None,
    text: str = "Hello",
    media: list[MediaRef] | None = None,
    tags: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    thread: list[str] | None = None,
    timezone: str = "UTC",
) -> Post:
    """One Post on ``ch`` (default: tomorrow 09:00 UTC of the fake clock's day)."""
    values = [PostValue(text=text, media=media or [])]
    values += [PostValue(text=item) for item in thread or []]
    return Post(
        entry_key=key,
        position=Position(file="cal.csv", row=2),
        channel=ch,
        publish_at=at or START + timedelta(days=1, hours=1),
        timezone=timezone,
        values=values,
        tags=tags or [],
        settings=settings or {},
    )
