"""Reconcile: what landed on the server for calls that were sent but never answered.

A call journaled ``started`` without an outcome (a lost answer, a killed process, retries run
out) is resolved by listing the posts around its publish times and matching them with the
backend's own proof of presence (Postiz: deterministic value ids; PostSyncer: workspace,
account, schedule and content). Only what is proven absent is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn

from calendar_sched.errors import ApiError, AuthError, RetriableApiError
from calendar_sched.identity import first_value_id
from calendar_sched.models import Post
from calendar_sched.run.journal import Journal
from calendar_sched.run.uploads import RunStopped, message_of
from calendar_sched.targets.base import Backend, RemotePost

#: Listings reach this far past the first and last publish time in doubt.
LISTING_MARGIN = timedelta(minutes=1)

FreeCall = Callable[[Callable[[], list[RemotePost]]], list[RemotePost]]


class Reconciler:
    """Lists and matches posts to settle calls in doubt, journaling what it proves."""

    def __init__(
        self,
        backend: Backend,
        journal: Journal,
        posts: Mapping[str, Post],
        hashes: Mapping[str, str],
        free_call: FreeCall,
        emit: Callable[..., Any],
    ) -> None:
        self.backend = backend
        self.journal = journal
        self.posts = posts
        self.hashes = hashes
        self.free_call = free_call
        self.emit = emit

    def in_doubt(self) -> list[str]:
        """Resolve every call the journal has in doubt; the keys found on the server."""
        in_doubt = dict(self.journal.state.in_doubt)
        if not in_doubt:
            return []
        # An update in doubt proves nothing by presence (the old version has the same id):
        # resend it, which is an in-place upsert.
        creates = [item for item in in_doubt.values() if not item.update]
        listed = self.listing([item.publish_at for item in creates]) if creates else []
        found = self.match([item.key for item in creates], listed)
        channels = {remote.id: remote.channel_id for remote in listed}
        recovered = []
        for item in in_doubt.values():
            remote_id = found.get(item.key) if not item.update else None
            if remote_id is None and not item.update and item.key not in self.posts:
                # Left the calendar since: only the id it was sent with can prove it.
                remote_id = item.value_id if item.value_id in channels else None
            if remote_id is not None:
                post = self.posts.get(item.key)
                self.journal.resolved(
                    item.key,
                    remote_id=remote_id,
                    content_hash=item.content_hash,
                    channel_id=post.channel.id if post else channels[remote_id],
                )
                recovered.append(item.key)
            else:
                self.journal.resolved(item.key, remote_id=None)
        resend = len(in_doubt) - len(recovered)
        self.emit(
            "recovered",
            f"resuming an interrupted run: {len(in_doubt)} posts were in flight; "
            f"{len(recovered)} found on the server, {resend} not applied (will send)",
            posts=recovered,
        )
        return recovered

    def match(self, keys: Iterable[str], listed: Sequence[RemotePost]) -> dict[str, str]:
        """Post key → remote id, by the backend's own proof of presence."""
        posts = [self.posts[key] for key in keys if key in self.posts]
        if not posts or not listed:
            return {}
        match = getattr(self.backend, "match", None)
        if match is None:  # backends written before match(): deterministic value ids
            ids = {remote.id for remote in listed}
            fingerprint = self.backend.fingerprint
            return {p.key: v for p in posts if (v := first_value_id(p, fingerprint)) in ids}
        found: dict[str, str] = match(posts, listed)
        return found

    def listing(self, moments: Sequence[datetime]) -> list[RemotePost]:
        """The server's posts around ``moments`` (a free call on Postiz, counted on PostSyncer)."""
        start, end = min(moments) - LISTING_MARGIN, max(moments) + LISTING_MARGIN
        try:
            listed = self.free_call(lambda: self.backend.list_posts(start, end))
        except AuthError:
            raise
        except ApiError as exc:
            raise RunStopped(f"could not list posts to check calls in doubt: {exc}") from exc
        return listed

    def unknown_outcome(self, group: list[Post], exc: RetriableApiError) -> NoReturn:
        """Retries ran out: find out by listing what landed, then pause the run."""
        creates = [p for p in group if p.key not in self.journal.state.done]
        listed = self.listing([p.publish_at for p in group]) if creates else []
        matched = self.match([p.key for p in creates], listed)
        found = []
        for post in group:
            in_doubt = self.journal.state.in_doubt.get(post.key)
            remote_id = matched.get(post.key)
            if in_doubt is not None and not in_doubt.update and remote_id is not None:
                self.journal.resolved(
                    post.key,
                    remote_id=remote_id,
                    content_hash=self.hashes[post.key],
                    channel_id=post.channel.id,
                )
                found.append(post.key)
            else:
                self.journal.resolved(post.key, remote_id=None)
        raise RunStopped(
            f"the server keeps failing ({message_of(exc)}); {len(found)} of {len(group)} posts of "
            "the last request were found on the server; run again later to resume"
        )
