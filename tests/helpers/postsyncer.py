"""PostSyncer test helpers: the sandbox token, a client on a fake clock, Channels and Posts.

The fixtures built on these live in tests/postsyncer/conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.client import PostSyncerClient
from tests.helpers.clock import FakeClock

TOKEN = "ps-test-token-0123456789"
START = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


def make_client(sandbox: RunningPostSyncer, clock: FakeClock, **kw: Any) -> PostSyncerClient:
    """A client of ``sandbox`` on the fake clock."""
    return PostSyncerClient(sandbox.api_url, TOKEN, clock=clock, sleep=clock.sleep, **kw)


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
