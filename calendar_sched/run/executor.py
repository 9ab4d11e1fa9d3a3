"""Run a Plan against a Backend, exactly once and paced to the quota: the only side effects.

Order of work: replay the journal and reconcile calls that were started without an outcome
(a free listing, matched by deterministic ids), report or prune Posts removed from the
calendar, then send what is still pending. Every counted call waits until the known budget
covers it; a 429 blocks all counted calls until ``Retry-After`` has passed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from tenacity import RetryCallState, Retrying

from calendar_sched.errors import (
    AlreadyPublished,
    ApiError,
    AuthError,
    FatalApiError,
    PayloadTooLarge,
    RateLimited,
    RetriableApiError,
    ValidationRejected,
)
from calendar_sched.identity import first_value_id
from calendar_sched.models import MediaRef, Post, utc_iso
from calendar_sched.report import count
from calendar_sched.run import retry
from calendar_sched.run.events import Event, RunResult
from calendar_sched.run.journal import Journal, JournalState, Pace
from calendar_sched.run.reconcile import Reconciler
from calendar_sched.run.uploads import Pacer, Uploader, message_of
from calendar_sched.run.uploads import RunStopped as _Stop
from calendar_sched.targets.base import (
    Backend,
    Labels,
    RateState,
    SentPost,
    Updates,
    UploadedMedia,
)
from calendar_sched.targets.pacing import Budget, drift_margin

if TYPE_CHECKING:
    from calendar_sched.plan.planner import Plan, PlannedRequest
    from calendar_sched.targets.ledger import QuotaLedger

Clock = Callable[[], float]
Sleep = Callable[[float], None]
T = TypeVar("T")

__all__ = ["Event", "RunResult", "execute"]


def execute(
    plan: Plan,
    backend: Backend,
    journal: Journal,
    *,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
    on_event: Callable[[Event], None] | None = None,
    stop: Callable[[], bool] | None = None,
    prune: bool = False,
    delete: Collection[str] = (),
    attempts: int = retry.DEFAULT_ATTEMPTS,
    ledger: QuotaLedger | None = None,
) -> RunResult:
    """Apply ``plan`` through ``backend``, journaling every call; safe to run again to resume.

    Args:
        plan: what to send, from ``planner.plan`` (computed with this journal's done state).
        backend: the API to call.
        journal: the open, locked journal of this calendar and target.
        clock: epoch seconds (injected so tests run on a fake clock).
        sleep: how to wait (injected so tests run instantly).
        on_event: called for each step, e.g. to drive a progress display.
        stop: polled between calls and while waiting; True ends the run cleanly.
        prune: delete Posts the journal holds that the calendar no longer has.
        delete: delete these of them even without ``prune`` (edited rows: ``--edits replace``).
        attempts: tries per call for transient failures.
        ledger: the account's quota ledger: every counted request is also taken from it, so
            runs at once against one account stay within its limit together.

    Returns:
        The ``RunResult``; ``stopped`` is set when interrupted or paused with work pending.

    Raises:
        AuthError: the key was refused; nothing is lost and a re-run resumes.
    """
    runner = _Runner(
        plan,
        backend,
        journal,
        clock,
        sleep,
        on_event,
        stop,
        prune,
        frozenset(delete),
        attempts,
        ledger,
    )
    return runner.run()


class _Runner:
    def __init__(
        self,
        plan: Plan,
        backend: Backend,
        journal: Journal,
        clock: Clock,
        sleep: Sleep,
        on_event: Callable[[Event], None] | None,
        stop: Callable[[], bool] | None,
        prune: bool,
        delete: frozenset[str],
        attempts: int,
        ledger: QuotaLedger | None,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.journal = journal
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event
        self.stop = stop or (lambda: False)
        self.prune = prune
        self.delete = delete
        self.attempts = attempts
        self.posts = {post.key: post for post in plan.posts}
        self.hashes = {post.key: post.content_hash() for post in plan.posts}
        self.result = RunResult(total=len(self.posts) + len(plan.skipped))
        self.result.requests_sent = plan.fixed_calls  # discovery, made (and counted) before
        self.budget = Budget(
            limit=plan.limit,
            window_seconds=plan.window_seconds,
            reserve=plan.reserve,
            rate=journal.state.rate,
            # Resets in seconds from each answer (Postiz) need no more than a drift margin; a
            # backend whose client gives clock times paces each of its calls itself as well.
            margin=drift_margin(plan.window_seconds),
        )
        # Every counted request is also taken from the account's ledger (other runs on it);
        # shared after the journal's last rate is adopted: that one is old news to the ledger.
        self.budget.shared = ledger
        self._seen_rate = backend.rate_state
        self.failed_now: set[str] = set()
        self._lock = threading.Lock()
        self.uploader = Uploader(
            backend,
            journal,
            Pacer(
                before_counted=self._spend_one,
                after_counted=self._adopt_rate,
                retrying=lambda counted: self._retrying(counted=counted),
                check_stop=self._check_stop,
                emit=lambda kind, message: self._emit(kind, message),
            ),
        )
        self.media_failed = self.uploader.failed
        self.reconciler = Reconciler(
            backend, journal, self.posts, self.hashes, self._free_call, self._emit
        )

    # Driver

    def run(self) -> RunResult:
        numbers = [r.number for r in self.plan.requests if r.kind == "post"]
        pace = Pace(
            limit=self.plan.limit,
            reserve=self.plan.reserve,
            window_seconds=self.plan.window_seconds,
            last_request=max(numbers, default=self.journal.state.last_request),
        )
        self.journal.planned(self.plan.posts, self.plan.skipped, pace)
        try:
            self.result.recovered = self.reconciler.in_doubt()
            self._removed()
            self._send_all()
        except _Stop as stop:
            self.result.stopped = True
            self.result.stop_reason = str(stop)
        except KeyboardInterrupt:
            self.result.stopped = True
            self.result.stop_reason = "interrupted"
        self._finish()
        return self.result

    def _finish(self) -> None:
        state = self.journal.state
        result = self.result
        for key in self.posts:
            done = state.done.get(key)
            if done is not None and done.content_hash == self.hashes[key]:
                (result.already_published if done.already_published else result.done).append(key)
            elif key in state.failed:
                result.failed[key] = state.failed[key].message
            else:
                result.pending.append(key)
        result.done.extend(key for key in self.plan.skipped if key not in self.posts)
        result.uploads = self.uploader.uploads
        result.rate = self.budget.as_rate()
        if result.pending and not result.stopped:
            result.stopped = True
            result.stop_reason = result.stop_reason or "work left pending"
        self._emit("finished", self._summary())

    def _summary(self) -> str:
        r = self.result
        parts = [f"{len(r.done) + len(r.already_published)}/{count(r.total, 'post')} scheduled"]
        if r.failed:
            parts.append(f"{len(r.failed)} failed")
        if r.pending:
            parts.append(f"{len(r.pending)} pending")
        parts.append(count(r.requests_sent, "counted request"))
        return ", ".join(parts)

    def _emit(
        self, kind: str, message: str, *, posts: Iterable[str] = (), until: float | None = None
    ) -> None:
        if self.on_event is None:
            return
        with self._lock:
            self._emit_locked(kind, message, posts, until)

    def _emit_locked(
        self, kind: str, message: str, posts: Iterable[str], until: float | None
    ) -> None:
        assert self.on_event is not None
        state = self.journal.state
        done = sum(
            1
            for key, content_hash in self.hashes.items()
            if (d := state.done.get(key)) is not None and d.content_hash == content_hash
        ) + sum(1 for key in self.plan.skipped if key not in self.posts)
        self.on_event(
            Event(
                kind,
                message,
                tuple(posts),
                until,
                done=done,
                total=self.result.total,
                requests_sent=self.result.requests_sent,
                requests_planned=self.plan.requests_counted,
                remaining=self.budget.available(self.clock()),
                extra_requests=self.result.extra_requests,
                rate=self._rate_now(),
            )
        )

    def _check_stop(self) -> None:
        if self.stop():
            raise _Stop("stopped on request")

    # Resume

    def _removed(self) -> None:
        state = self.journal.state
        removed = removed_keys(self.plan, state)
        self.result.removed = removed
        self.result.names.update({key: state.names.get(key, key) for key in removed})
        if not removed:
            return
        deleting = removed if self.prune else [key for key in removed if key in self.delete]
        kept = [key for key in removed if key not in deleting]
        if kept:
            self._emit(
                "removed",
                f"{len(kept)} posts are no longer in the calendar (kept on the server; "
                "--prune deletes them)",
                posts=kept,
            )
        for key in deleting:
            self._check_stop()
            self._prune(key, state.done[key].remote_id)

    def _prune(self, key: str, remote_id: str) -> None:
        try:
            self._free_call(lambda: self.backend.delete(remote_id))
        except AuthError:
            raise
        except ApiError as exc:
            name = self.journal.state.names.get(key, key)
            self._emit("failed", f"could not delete {name}: {message_of(exc)}", posts=[key])
            return
        self.journal.deleted(key, remote_id)
        self.result.pruned.append(key)
        name = self.journal.state.names.get(key, key)
        self._emit("pruned", f"deleted {name} (removed from the calendar)", posts=[key])

    # Work

    def _needs(self, post: Post) -> bool:
        done = self.journal.state.done.get(post.key)
        if done is not None and done.content_hash == self.hashes[post.key]:
            return False
        return post.key not in self.failed_now

    def _send_all(self) -> None:
        if isinstance(self.backend, Labels):
            posts = [post for post in self.plan.posts if post.tags and self._needs(post)]
            self.uploader.labels(self.backend, posts)
        requests = list(self.plan.requests)
        index = 0
        while index < len(requests):
            self._check_stop()
            if requests[index].kind == "upload":
                # Consecutive uploads go together: free ones run in parallel.
                batch = []
                while index < len(requests) and requests[index].kind == "upload":
                    request = requests[index]
                    keys = request.media_keys or [request.media_key or ""]
                    for key in keys:
                        if key in self.plan.media:
                            batch.append(self.plan.media[key])
                    index += 1
                self.uploader.upload(batch)
                continue
            request = requests[index]
            index += 1
            self._send([self.posts[key] for key in request.post_keys if key in self.posts], request)

    def _send(self, posts: list[Post], request: PlannedRequest) -> None:
        queue: deque[list[Post]] = deque([posts])
        first = True  # the request as planned; the parts of a split are extra calls
        while queue:
            self._check_stop()
            group = [post for post in queue.popleft() if self._needs(post)]
            group = self._with_media(group)
            if group:
                queue.extendleft(reversed(self._send_group(group, request.number, not first)))
                first = False

    def _media_of(self, post: Post) -> list[MediaRef]:
        return [m for value in post.values for m in value.media if m.dedupe_key in self.plan.media]

    def _with_media(self, group: list[Post]) -> list[Post]:
        """Upload what ``group`` uses (if not yet done); fail the Posts whose media failed."""
        self.uploader.upload([m for post in group for m in self._media_of(post)])
        keep = []
        for post in group:
            bad = [m for m in self._media_of(post) if m.dedupe_key in self.media_failed]
            if bad:
                reason = self.media_failed[bad[0].dedupe_key]
                self._fail(
                    [post], f"media {bad[0].source} could not be uploaded: {reason}", "media"
                )
            else:
                keep.append(post)
        return keep

    def _remote_groups(self, group: list[Post]) -> dict[str | None, list[Post]]:
        """Posts by the remote post an update changes in place (None: create anew).

        Only a backend that updates by remote id (PostSyncer) needs this; a remote post is
        updated only when the group carries all of its accounts, else it would lose some.
        """
        if not isinstance(self.backend, Updates):
            return {None: group}
        done = self.journal.state.done
        parts: dict[str | None, list[Post]] = {}
        for post in group:
            known = done.get(post.key)
            remote = known.remote_id if known and not known.already_published else None
            parts.setdefault(remote, []).append(post)
        for remote in [r for r in parts if r is not None]:
            carried = {key for key, d in done.items() if d.remote_id == remote}
            if not carried <= {p.key for p in parts[remote]}:
                moved = parts.pop(remote)
                parts.setdefault(None, []).extend(moved)
                self._emit(
                    "split",
                    f"post {remote} also carries unchanged rows: the changed accounts are sent "
                    "as a new post (the old one keeps them; --prune or PostSyncer removes it)",
                    posts=[p.key for p in moved],
                )
        return parts

    def _send_group(self, group: list[Post], number: int, extra: bool) -> list[list[Post]]:
        """Send (part of) request ``number``; returns the sub-groups still to send."""
        parts = self._remote_groups(group)
        if len(parts) > 1:
            return list(parts.values())
        remote_id = next(iter(parts))
        media = dict(self.journal.state.uploaded)
        try:
            sent = self._counted_create(group, media, number, extra, remote_id)
        except ValidationRejected as exc:
            bad = [p for p in group if exc.channel and p.channel.name == exc.channel]
            bad = bad or [p for p in group if p.channel.id == exc.channel]
            if not bad and len(group) == 1:
                bad = group
            if not bad:
                return _halves(group)  # the server did not say which: isolate it
            self._fail(bad, message_of(exc), "rejected", exc.status)
            return [[p for p in group if p not in bad]]
        except PayloadTooLarge as exc:
            if len(group) == 1:
                self._fail(group, f"too large for the server even alone: {exc}", "too-large", 413)
                return []
            self._emit("split", f"request too large (413): splitting {len(group)} posts in two")
            return _halves(group)
        except AlreadyPublished as exc:
            return self._already_published(group, exc, remote_id)
        except AuthError:
            raise
        except FatalApiError as exc:
            self._fail(group, message_of(exc), f"http-{exc.status}", exc.status)
            return []
        except RetriableApiError as exc:
            self.reconciler.unknown_outcome(group, exc)
            return []
        by_key = {post.key: post for post in group}
        for refused in (s for s in sent if s.error):
            self._fail([by_key[refused.post_key]], refused.error or "", "refused-account")
        keys = [s.post_key for s in sent if not s.error]
        verb = "updated" if remote_id else "scheduled"
        self._emit("sent", f"{verb} {count(len(keys), 'post')} in request {number}", posts=keys)
        return []

    def _counted_create(
        self,
        group: list[Post],
        media: dict[str, UploadedMedia],
        number: int,
        extra: bool,
        remote_id: str | None = None,
    ) -> list[SentPost]:
        attempt = 0
        backend = self.backend

        def send() -> list[SentPost]:
            if remote_id is not None and isinstance(backend, Updates):
                return backend.update(group, media, remote_id)
            return backend.create(group, media)

        def once() -> list[SentPost]:
            nonlocal attempt
            attempt += 1
            self._await_budget()
            self.budget.spent(self.clock())
            beyond = extra or attempt > 1  # a counted call the plan did not have
            call = self.journal.started(
                group, attempt=attempt, rate=self._rate_now(), request=number, extra=beyond
            )
            self.result.requests_sent += 1
            self.result.extra_requests += beyond
            try:
                sent = send()
            except RateLimited as exc:
                self._adopt_rate()
                # The throttler rejects before the handler runs: nothing was written.
                self.journal.failed(
                    call, message=str(exc), status=429, code="rate-limited", transient=False
                )
                raise
            except ApiError as exc:
                self._adopt_rate()
                transient = isinstance(exc, RetriableApiError)
                self.journal.failed(
                    call,
                    message=message_of(exc),
                    status=exc.status,
                    code=type(exc).__name__,
                    transient=transient,
                )
                raise
            self._adopt_rate()
            self.journal.succeeded(call, [s for s in sent if not s.error])
            return sent

        while True:
            try:
                sent: list[SentPost] = self._retrying(counted=True)(once)
                return sent
            except RateLimited as exc:
                self.result.rate_limited += 1
                until = self.clock() + (exc.retry_after or self.plan.window_seconds)
                self.budget.block(until)
                self._record_rate()
                self._emit(
                    "rate-limited",
                    "429: another client spent the budget; sending nothing counted until "
                    f"{_clock_text(until)}",
                    until=until,
                )

    def _already_published(
        self, group: list[Post], exc: AlreadyPublished, remote_id: str | None = None
    ) -> list[list[Post]]:
        if len(group) == 1 or remote_id is not None:
            published = group  # an update refused: its one remote post is published
        else:
            # Postiz writes posts one by one: those before the refused one were created.
            listed = self.reconciler.listing([p.publish_at for p in group])
            states = {remote.id: remote.state for remote in listed}
            found = self.reconciler.match([p.key for p in group], listed)
            published = [p for p in group if states.get(found.get(p.key, "")) == "PUBLISHED"]
            if not published:
                return _halves(group)
        for post in published:
            self.journal.resolved(
                post.key,
                remote_id=remote_id or first_value_id(post, self.backend.fingerprint),
                content_hash=self.hashes[post.key],
                channel_id=post.channel.id,
                already_published=True,
                how="already-published",
            )
        self._emit(
            "already-published",
            f"{len(published)} posts were already published; left as they are ({exc})",
            posts=[p.key for p in published],
        )
        rest = [p for p in group if p not in published]
        return [rest] if rest else []

    def _fail(
        self, posts: Sequence[Post], message: str, code: str, status: int | None = None
    ) -> None:
        for post in posts:
            self.journal.post_failed(post.key, message, code=code, status=status)
            self.failed_now.add(post.key)
        self._emit(
            "failed",
            f"{count(len(posts), 'post')} refused: {message}",
            posts=[p.key for p in posts],
        )

    # Pacing

    def _retrying(self, *, counted: bool) -> Retrying:
        def report(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self._emit("retry", f"attempt {state.attempt_number} failed ({exc}); retrying")

        return retry.retrying(
            counted=counted, attempts=self.attempts, sleep=self._nap, before_sleep=report
        )

    def _free_call(self, call: Callable[[], T]) -> T:
        result: T = self._retrying(counted=False)(call)
        return result

    def _spend_one(self) -> None:
        """Wait for the budget of one counted call, spend it and count the request."""
        self._await_budget()
        self.budget.spent(self.clock())
        with self._lock:
            self.result.requests_sent += 1

    def _nap(self, seconds: float) -> None:
        self._wait_until(self.clock() + seconds)

    def _await_budget(self) -> None:
        """Block until the known budget covers one counted call."""
        while True:
            now = self.clock()
            wait = self.budget.wait(now)
            if wait <= 0:
                return
            until = now + wait
            self._emit(
                "waiting",
                f"quota for this window used: next counted call at {_clock_text(until)}",
                until=until,
            )
            self._wait_until(until)

    def _wait_until(self, until: float) -> None:
        while True:
            self._check_stop()
            left = until - self.clock()
            if left <= 0:
                return
            self.sleep(min(left, 1.0))

    def _adopt_rate(self) -> None:
        current = self.backend.rate_state
        if current is not None and current != self._seen_rate:
            self._seen_rate = current
            self.budget.adopt(current)
            self._record_rate()

    def _record_rate(self) -> None:
        self.journal.rate(self._rate_now())

    def _rate_now(self) -> RateState:
        """The budget as known, with the window it paces to (for ``status``'s ETA)."""
        return replace(self.budget.as_rate(), window_seconds=self.plan.window_seconds)


def removed_keys(plan: Plan, state: JournalState) -> list[str]:
    """Posts the journal holds as done that the calendar no longer has (``--prune`` deletes)."""
    keep = {post.key for post in plan.posts} | set(plan.skipped)
    return [key for key in state.done if key not in keep]


def _halves(group: list[Post]) -> list[list[Post]]:
    middle = len(group) // 2
    return [group[:middle], group[middle:]]


def _clock_text(moment: float) -> str:
    return utc_iso(datetime.fromtimestamp(moment, UTC))
