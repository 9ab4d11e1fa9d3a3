"""The Backend protocol and the value types backends, planner and executor share.

A backend says which calls count against which quota (``CostModel``), which Posts may share one
request (``pack_key``), how big each Post is once serialized (``post_bytes``), and performs the
I/O: discovery, uploads, creates, listings and deletes. The planner uses only the pure part.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from calendar_sched.models import Channel, MediaRef, Post


@dataclass(frozen=True)
class CostModel:
    """Which calls count against the quota, how many per window, and the body cap."""

    limit: int = 30  # counted calls per window (from headers once seen)
    window_seconds: float = 3600.0
    body_cap: int = 100_000  # bytes of one request body
    counts_uploads: bool = False  # older Postiz servers counted uploads
    counts_everything: bool = False  # PostSyncer: every call counts
    upload_batch: int = 1  # URL media one upload request can import (PostSyncer: a batch)
    fixed_calls: int = 0  # counted calls every run makes before its plan (discovery)


@dataclass(frozen=True)
class RateState:
    """What the last counted answer said about the quota."""

    limit: int | None
    remaining: int | None
    reset_at: float | None  # epoch seconds when the window resets (converted from relative)
    blocked_until: float | None = None  # epoch seconds, after a 429 (Retry-After)
    window_seconds: float | None = None  # the window a run paces to (journaled for status)


@dataclass(frozen=True)
class UploadedMedia:
    """A media file the server stored: its id and public path."""

    key: str  # MediaRef.dedupe_key
    id: str
    path: str  # URL the server gave


@dataclass(frozen=True)
class SentPost:
    """One Post the server accepted, with the id it stored it under."""

    post_key: str  # Post.key
    remote_id: str  # server post id (Postiz: postId = value[0].id)
    channel_id: str
    error: str | None = None  # the server took the post but refused this account (PostSyncer)


@dataclass(frozen=True)
class RemotePost:
    """A post as the server lists it."""

    id: str
    channel_id: str
    publish_at: datetime  # UTC
    state: str  # QUEUE | PUBLISHED | ERROR | DRAFT
    content: str
    group: str | None
    raw: dict[str, Any]


class Backend(Protocol):
    """A scheduling API: cost model, packing rules and the calls the executor makes."""

    name: str
    costs: CostModel
    fingerprint: str  # sha256 of base URL + org/channel ids — never the key

    def pack_key(self, post: Post) -> Hashable:
        """Posts with equal keys may travel in one request."""
        ...

    def post_bytes(self, post: Post) -> int:
        """Serialized size of this Post's element of a request body."""
        ...

    def envelope_bytes(self) -> int:
        """Size of a request body that carries no posts."""
        ...

    def match(self, posts: Sequence[Post], listing: Sequence[RemotePost]) -> dict[str, str]:
        """Post key → remote id of the listed post that proves it landed (pure)."""
        ...

    def discover(self) -> list[Channel]:
        """The account's channels (free)."""
        ...

    def upload(self, media: MediaRef) -> UploadedMedia:
        """Store one media file on the server."""
        ...

    def create(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        """Create or update ``posts`` in ONE counted request."""
        ...

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        """Posts scheduled between ``start`` and ``end`` (inclusive)."""
        ...

    def delete(self, remote_id: str) -> None:
        """Delete one post (and its thread)."""
        ...

    @property
    def rate_state(self) -> RateState | None:
        """The quota as the last counted answer reported it, if any."""
        ...


@runtime_checkable
class BatchUploads(Protocol):
    """A backend that imports several URL media in one counted request (PostSyncer)."""

    def upload_many(self, media: Sequence[MediaRef]) -> list[UploadedMedia]:
        """Import ``media`` (URLs) in ONE request; the ones the server skipped are left out."""
        ...


@runtime_checkable
class Updates(Protocol):
    """A backend that changes a stored post in place by its remote id (PostSyncer's PUT)."""

    def update(
        self, posts: Sequence[Post], media: Mapping[str, UploadedMedia], remote_id: str
    ) -> list[SentPost]:
        """Replace remote post ``remote_id`` with ``posts`` (its every account) in ONE request."""
        ...


@runtime_checkable
class CountedListings(Protocol):
    """A backend whose post listings count against the quota (PostSyncer: every page)."""

    def listing_calls(self, posts: int) -> int:
        """Counted calls of one full listing of an account that holds ``posts`` posts (pure)."""
        ...


@runtime_checkable
class Labels(Protocol):
    """A backend whose tags are server objects found or created before the posts (PostSyncer)."""

    def label_calls(self, posts: Sequence[Post], known: Collection[str]) -> int:
        """Counted calls ``ensure_labels`` makes for ``posts`` given the labels ``known`` (pure)."""
        ...

    def ensure_labels(
        self, posts: Sequence[Post], known: Mapping[str, UploadedMedia]
    ) -> list[UploadedMedia]:
        """Find or create the labels of ``posts``; the ones learnt, for the journal."""
        ...


@dataclass(frozen=True)
class DonePost:
    """A Post the server holds: its id and the content hash that was applied."""

    key: str
    remote_id: str
    content_hash: str
    channel_id: str = ""
    already_published: bool = False
