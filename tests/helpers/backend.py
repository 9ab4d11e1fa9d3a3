"""An in-memory Postiz-like Backend with fault knobs, for executor and journal tests.

``FakeBackend`` upserts by the deterministic ``value[0]`` id like Postiz, throttles counted calls
in fixed windows (the first excess call blocks the org for a window, and calls during a block
still count), and injects faults by call number:

- ``fail_after=N``: counted calls after the N-th answer 500 (``fail_times`` of them);
- ``drop_after_commit=N``: the call after N commits, then the answer is lost;
- ``crash_after=N``: the process "dies" (``Crash``) at call N+1, before or after committing;
- ``rate_limit_after=N``: after N calls another client spends the rest of the window;
- ``auth_fail_after=N``: the key is revoked after N calls;
- ``reject={channel id: message}``: 400 naming that channel;
- ``published={post key, ...}``: posts already published (the republish guard refuses them).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from calendar_sched.errors import (
    AlreadyPublished,
    AuthError,
    FatalApiError,
    PayloadTooLarge,
    RateLimited,
    RetriableApiError,
    ValidationRejected,
)
from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue
from calendar_sched.targets.base import CostModel, RateState, RemotePost, SentPost, UploadedMedia
from tests.helpers.clock import FakeClock

CHANNELS = [
    Channel(id="ch-x", name="Acme on X", identifier="x"),
    Channel(id="ch-li", name="Acme LinkedIn", identifier="linkedin"),
    Channel(id="ch-fb", name="Acme Facebook", identifier="facebook"),
    Channel(id="ch-ma", name="Acme Mastodon", identifier="mastodon"),
]
START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


class Crash(BaseException):
    """The process died here (not an Exception: nothing may catch it on the way out)."""


@dataclass
class Stored:
    """One post the fake server holds."""

    id: str
    key: str
    channel_id: str
    publish_at: datetime
    content: str
    state: str = "QUEUE"
    deleted: bool = False
    writes: int = 1


@dataclass
class FakeBackend:
    """A configurable in-memory Backend (see the module docstring for the knobs)."""

    clock: FakeClock = field(default_factory=FakeClock)
    limit: int = 30
    window: float = 3600.0
    body_cap: int = 100_000
    fail_after: int | None = None
    fail_times: int = 1
    drop_after_commit: int | None = None
    crash_after: int | None = None
    crash_commits: bool = False
    rate_limit_after: int | None = None
    auth_fail_after: int | None = None
    reject: dict[str, str] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    upload_reject: set[str] = field(default_factory=set)
    fingerprint: str = "fp-fake"
    name: str = "fake"

    def __post_init__(self) -> None:
        self.costs = CostModel(limit=self.limit, window_seconds=self.window, body_cap=self.body_cap)
        self.store: dict[str, Stored] = {}
        self.media: dict[str, UploadedMedia] = {}
        self.upload_calls = 0
        self.calls = 0  # create calls that reached the server (counted)
        self.answered = 0
        self.rejected_429 = 0
        self.foreign_429 = 0
        self.listings = 0
        self.deletes: list[str] = []
        self._hits = 0
        self._window_end: float | None = None
        self._blocked_until: float | None = None
        self._rate: RateState | None = None
        self._failures_left = self.fail_times
        self._lock = threading.Lock()

    # pure part

    def pack_key(self, post: Post) -> Hashable:
        """Posts at the same instant with the same options share a request."""
        return (post.publish_at, post.type, post.short_link, tuple(post.tags))

    def post_bytes(self, post: Post) -> int:
        """Size of the post's JSON element."""
        return len(json.dumps([v.text for v in post.values])) + 120

    def envelope_bytes(self) -> int:
        """Size of an empty request body."""
        return 80

    def match(self, posts: Sequence[Post], listing: Sequence[RemotePost]) -> dict[str, str]:
        """Post key → listed id, by the deterministic ``value[0].id``."""
        listed = {remote.id for remote in listing}
        ids = {post.key: post.value_id(self.fingerprint, 0) for post in posts}
        return {key: value_id for key, value_id in ids.items() if value_id in listed}

    # I/O

    def discover(self) -> list[Channel]:
        """The fixed channels."""
        return list(CHANNELS)

    def upload(self, media: MediaRef) -> UploadedMedia:
        """Store a media file (free)."""
        with self._lock:
            self.upload_calls += 1
            if media.source in self.upload_reject:
                raise FatalApiError("Unsupported file type.", status=400, path="/upload")
            stored = UploadedMedia(
                media.dedupe_key,
                f"m{self.upload_calls}",
                f"https://fake.invalid/{self.upload_calls}.png",
            )
            self.media[media.dedupe_key] = stored
            return stored

    def create(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        """One counted request: throttle, faults, validation, then upsert one by one."""
        size = self.envelope_bytes() + sum(self.post_bytes(p) for p in posts)
        if size > self.body_cap:
            raise PayloadTooLarge("request entity too large", status=413, path="/posts")
        self.calls += 1
        number = self.calls
        if self.auth_fail_after is not None and number > self.auth_fail_after:
            raise AuthError("Invalid API key", status=401, path="/posts")
        self._throttle(number)
        crash = self.crash_after is not None and number == self.crash_after + 1
        if crash and not self.crash_commits:
            raise Crash(f"killed before call {number} committed")
        if self.fail_after is not None and number > self.fail_after and self._failures_left > 0:
            self._failures_left -= 1
            raise RetriableApiError("Internal Server Error", status=500, path="/posts")
        for post in posts:
            if post.channel.id in self.reject:
                raise ValidationRejected(
                    self.reject[post.channel.id],
                    provider=post.channel.identifier,
                    channel=post.channel.name,
                    status=400,
                    path="/posts",
                )
            for value in post.values:
                for item in value.media:
                    if item.dedupe_key not in media:
                        raise AssertionError(f"{item.source} used before it was uploaded")
        sent = []
        for post in posts:
            if post.key in self.published:
                raise AlreadyPublished("post already published", status=400, path="/posts")
            sent.append(self._upsert(post))
        if crash:
            raise Crash(f"killed after call {number} committed")
        if self.drop_after_commit is not None and number == self.drop_after_commit + 1:
            raise RetriableApiError("connection dropped after commit", path="/posts")
        self.answered += 1
        return sent

    def _throttle(self, number: int) -> None:
        now = self.clock()
        if self._window_end is not None and now >= self._window_end:
            self._hits, self._window_end = 0, None
        if self._window_end is None:
            self._window_end = now + self.window
        self._hits += 1  # calls during a block count too, as on Postiz
        if self.rate_limit_after is not None and number == self.rate_limit_after + 1:
            self._hits = max(self._hits, self.limit + 1)  # another client spent the budget
            self.foreign_429 += 1
        blocked = self._blocked_until is not None and now < self._blocked_until
        if not blocked and self._hits > self.limit:
            self._blocked_until = now + self.window
            blocked = True
        if blocked:
            assert self._blocked_until is not None
            self.rejected_429 += 1
            self._rate = RateState(None, None, None, self._blocked_until)
            raise RateLimited(
                "Too Many Requests", status=429, retry_after=self._blocked_until - now
            )
        self._rate = RateState(self.limit, max(0, self.limit - self._hits), self._window_end)

    @property
    def self_inflicted_429(self) -> int:
        """429s not caused by the simulated other client."""
        return self.rejected_429 - self.foreign_429

    def _upsert(self, post: Post) -> SentPost:
        remote_id = post.value_id(self.fingerprint, 0)
        content = post.values[0].text
        existing = self.store.get(remote_id)
        if existing is not None:
            existing.publish_at, existing.content = post.publish_at, content
            existing.writes += 1
        else:
            self.store[remote_id] = Stored(
                remote_id, post.key, post.channel.id, post.publish_at, content
            )
        return SentPost(post.key, remote_id, post.channel.id)

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        """Live posts between the two instants (free)."""
        self.listings += 1
        return [
            RemotePost(s.id, s.channel_id, s.publish_at, s.state, s.content, None, {})
            for s in self.store.values()
            if not s.deleted and start <= s.publish_at <= end
        ]

    def delete(self, remote_id: str) -> None:
        """Soft-delete a post (free)."""
        self.deletes.append(remote_id)
        self.store[remote_id].deleted = True

    @property
    def rate_state(self) -> RateState | None:
        """What the last counted answer said."""
        return self._rate

    # assertions

    def live_keys(self) -> list[str]:
        """Keys of the posts the server holds, one entry per stored post."""
        return sorted(s.key for s in self.store.values() if not s.deleted)


def make_posts(
    count: int,
    *,
    channels: Sequence[Channel] = CHANNELS[:2],
    per_slot: int = 1,
    text: str = "Post {n}",
    media: Sequence[MediaRef] = (),
) -> list[Post]:
    """``count`` entries × ``channels``; ``per_slot`` entries share each publish instant."""
    posts = []
    for n in range(count):
        when = START + timedelta(hours=n // per_slot)
        for channel in channels:
            posts.append(
                Post(
                    entry_key=f"e{n}",
                    position=Position(file="cal.csv", row=n + 2),
                    channel=channel,
                    publish_at=when,
                    values=[PostValue(text=text.format(n=n), media=list(media))],
                )
            )
    return posts


def media_ref(name: str) -> MediaRef:
    """A local image reference with a content hash."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return MediaRef(source=name, path=f"/tmp/{name}", sha256=digest, size=100)


def as_dict(obj: Any) -> Any:
    """Plain data for comparisons."""
    return json.loads(json.dumps(obj, default=str))
