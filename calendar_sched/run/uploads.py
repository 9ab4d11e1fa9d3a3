"""Media uploads (and labels) of a run: each once, batched URL imports, free ones in parallel.

The executor owns pacing and the journal; an ``Uploader`` asks it, through the callbacks of a
``Pacer``, to wait for budget before each counted upload and to adopt the rate state after it.
Uploaded media are journaled so they are never uploaded twice; media that fail are remembered
with the reason, so the Posts that use them fail with it instead of being sent broken.
Labels (PostSyncer's tags) are server objects that posts refer to as well: found or created
before the first post and journaled beside the media.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from tenacity import Retrying

from calendar_sched.errors import ApiError, AuthError, FatalApiError, RetriableApiError
from calendar_sched.models import MediaRef, Post
from calendar_sched.run.journal import Journal
from calendar_sched.targets.base import Backend, BatchUploads, Labels, UploadedMedia

T = TypeVar("T")

#: Free uploads run this many at a time.
UPLOAD_WORKERS = 4


class RunStopped(Exception):
    """Internal: end the run early, leaving the rest pending."""


@dataclass(frozen=True)
class Pacer:
    """What an Uploader needs from the executor: pacing, retries, stop checks and events."""

    before_counted: Callable[[], None]  # wait for budget, spend it, count the request
    after_counted: Callable[[], None]  # adopt the rate state the answer carried
    retrying: Callable[[bool], Retrying]  # the retry policy (counted or free calls)
    check_stop: Callable[[], None]  # raises RunStopped when the user asked to stop
    emit: Callable[[str, str], None]  # (kind, message) for progress displays


class Uploader:
    """Uploads the media of a run through one backend, journaling each stored file."""

    def __init__(self, backend: Backend, journal: Journal, pacer: Pacer) -> None:
        self.backend = backend
        self.journal = journal
        self.pacer = pacer
        self.failed: dict[str, str] = {}  # media dedupe key → why it could not be stored
        self.uploads = 0
        self._lock = threading.Lock()

    @property
    def counted(self) -> bool:
        """True when the server counts uploads against the quota."""
        costs = self.backend.costs
        return costs.counts_uploads or costs.counts_everything

    def upload(self, media: Sequence[MediaRef]) -> None:
        """Store every item of ``media`` not stored (or failed) yet; URL media in batches."""
        uploaded = self.journal.state.uploaded
        todo = list(
            {
                m.dedupe_key: m
                for m in media
                if m.dedupe_key not in uploaded and m.dedupe_key not in self.failed
            }.values()
        )
        if not todo:
            return
        counted = self.counted
        size = self.backend.costs.upload_batch
        if size > 1 and isinstance(self.backend, BatchUploads):
            urls = [item for item in todo if item.url and not item.path]
            todo = [item for item in todo if item not in urls]
            for start in range(0, len(urls), size):
                self.pacer.check_stop()
                self._batch(self.backend, urls[start : start + size], counted=counted)
        if counted:
            for item in todo:
                self.pacer.check_stop()
                self._one(item, counted=True)
            return
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=min(UPLOAD_WORKERS, len(todo))) as pool:
            for future in [pool.submit(self._one, item, counted=False) for item in todo]:
                future.result()

    def labels(self, backend: Labels, posts: Sequence[Post]) -> None:
        """Find or create the labels ``posts`` use, each call counted; journal the ones learnt."""
        known = dict(self.journal.state.uploaded)
        calls = backend.label_calls(posts, known)
        if not calls:
            return
        for _ in range(calls):  # the budget of every call is spent before the first is made
            self.pacer.before_counted()
        try:
            learnt = self.pacer.retrying(False)(lambda: backend.ensure_labels(posts, known))
        except AuthError:
            raise
        except ApiError as exc:
            raise RunStopped(f"could not find or create the labels of the tags: {exc}") from exc
        finally:
            self.pacer.after_counted()
        for label in learnt:
            self.journal.uploaded(label)
        self.pacer.emit("labels", f"{len(learnt)} labels found or created for the tags")

    def _call(self, call: Callable[[], T], *, counted: bool) -> T:
        def once() -> T:
            if counted:
                self.pacer.before_counted()
            try:
                return call()
            finally:
                if counted:
                    self.pacer.after_counted()

        result: T = self.pacer.retrying(counted)(once)
        return result

    def _batch(self, backend: BatchUploads, media: list[MediaRef], *, counted: bool) -> None:
        try:
            stored = self._call(lambda: backend.upload_many(media), counted=counted)
        except AuthError:
            raise
        except FatalApiError as exc:
            for item in media:
                self.failed[item.dedupe_key] = message_of(exc)
            return
        except RetriableApiError as exc:
            raise RunStopped(
                f"importing {len(media)} media URLs keeps failing: {message_of(exc)}"
            ) from exc
        for done in stored:
            self.journal.uploaded(done)
        kept = {done.key for done in stored}
        skipped = [m for m in media if m.dedupe_key not in kept]
        for item in skipped:
            self.failed[item.dedupe_key] = (
                f"the server skipped it (stored {len(stored)} of {len(media)} URLs sent)"
            )
        with self._lock:
            self.uploads += len(stored)
        note = f"; skipped: {', '.join(m.source for m in skipped)}" if skipped else ""
        self.pacer.emit("uploaded", f"imported {len(stored)} of {len(media)} media URLs{note}")

    def _one(self, media: MediaRef, *, counted: bool) -> None:
        try:
            stored: UploadedMedia = self._call(lambda: self.backend.upload(media), counted=counted)
        except AuthError:
            raise
        except FatalApiError as exc:
            self.failed[media.dedupe_key] = message_of(exc)
            return
        except RetriableApiError as exc:
            raise RunStopped(f"uploading {media.source} keeps failing: {message_of(exc)}") from exc
        self.journal.uploaded(stored)
        with self._lock:
            self.uploads += 1
        self.pacer.emit("uploaded", media.source)


def message_of(exc: ApiError) -> str:
    """An API error's message with its HTTP status, as results and reports show it."""
    return str(exc) if exc.status is None else f"{exc} (HTTP {exc.status})"
