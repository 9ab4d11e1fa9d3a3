"""The posting queue in ``plan`` and ``run``: queued Posts get their slots before anything else.

Rows with a date but no time (``Post.queued``) are placed by ``plan/slots.py`` around what is
already there: the calendar's timed posts (their instants are paid for: joining one is free),
the account's posts (one free ``GET /posts`` over the queued days, when a target is open) and
the times the journal recorded for these very posts, which are kept while still valid, so a
resume or a re-run sends nothing new and an added row moves no post. ``journaled_times`` gives
``export`` the same times offline.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from calendar_sched.check.validation import Validation
from calendar_sched.errors import ApiError, AuthError
from calendar_sched.load.normalize import row_of
from calendar_sched.load.slots import ChannelSlots
from calendar_sched.models import Entry, Post
from calendar_sched.plan.slots import QueuedEntry, next_free_slots, place
from calendar_sched.report import RowError
from calendar_sched.run import retry
from calendar_sched.run.journal import JournalState
from calendar_sched.run.pulled_media import add_problems
from calendar_sched.targets.base import Backend, RemotePost

#: Days after ``--queue-from`` the queue may use (and the account's listing covers).
QUEUE_DAYS = 92
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QueueOutcome:
    """Where the queue put a calendar's rows without a time, and what that saved."""

    times: dict[str, datetime]  # entry key → chosen instant (UTC)
    requests: int  # counted requests the queued posts add to the timed ones
    next_free_requests: int  # the same posts, each in its channel's next free slot (find-slot)
    lower_bound: int  # the fewest requests the slots allow for the date-only rows
    kept: int  # entries whose earlier time (journal or account) was kept
    posts: int  # queued posts
    listed: bool  # the account's posts were listed and their slots avoided

    @property
    def saved(self) -> int:
        """Requests saved compared with placing each post in its channel's next free slot."""
        return max(0, self.next_free_requests - self.requests)

    def to_dict(self) -> dict[str, object]:
        """The ``plan --json`` shape."""
        return {
            "entries": len(self.times),
            "posts": self.posts,
            "requests": self.requests,
            "next_free_slot_requests": self.next_free_requests,
            "saved": self.saved,
            "lower_bound": self.lower_bound,
            "kept": self.kept,
            "account_listed": self.listed,
            "times": {key: t.strftime("%Y-%m-%dT%H:%M:%SZ") for key, t in self.times.items()},
        }


def place_queued(
    checked: Validation,
    *,
    pack_key: Callable[[Post], Hashable],
    backend: Backend | None = None,
    state: JournalState | None = None,
    now: datetime,
) -> tuple[Validation, QueueOutcome | None]:
    """Give every queued Post of ``checked`` its slot; rows left without one become errors.

    Args:
        checked: the validation; its Posts with ``queued`` stand at their day's start.
        pack_key: the target's pack key (Posts with equal keys share a request).
        backend: lists the account's posts over the queued days (free on Postiz); None: offline.
        state: the journal's, whose planned times are kept while valid.
        now: slots before it are not offered.

    Returns:
        The validation with placed Posts (``no-free-slot`` errors added for the rest) and the
        outcome, or None when no Post is queued.

    Raises:
        ApiError: the account refused the listing's key (``AuthError``).
    """
    queued = [post for post in checked.posts if post.queued]
    if not queued:
        return checked, None
    entries = {e.key: e for e in checked.entries if e.queued is not None}
    specs = {summary.file: summary.slots for summary in checked.files}
    by_entry: dict[str, list[Post]] = {}
    for post in queued:
        by_entry.setdefault(post.entry_key, []).append(post)

    # Each channel's slots, each entry's group, what the timed posts take and pay for
    slots: dict[str, ChannelSlots] = {}
    items: list[QueuedEntry] = []
    for key, posts in by_entry.items():
        entry = entries[key]
        spec = specs.get(entry.position.file)
        assert entry.queued is not None
        assert spec is not None
        for post in posts:
            if post.channel.id not in slots:
                slots[post.channel.id] = spec.for_channel(post.channel)
        items.append(
            QueuedEntry(
                key,
                tuple(p.channel.id for p in posts),
                entry.queued.day,
                entry.queued.any_day,
                _group(posts[0], pack_key),
            )
        )
    taken: dict[str, list[datetime]] = {}
    paid: set[tuple[datetime, Hashable]] = set()
    busy: set[datetime] = set()
    for post in checked.posts:
        if not post.queued:
            moment = post.publish_at.astimezone(UTC)
            taken.setdefault(post.channel.id, []).append(moment)
            paid.add((moment, _group(post, pack_key)))
            busy.add(moment)

    # The account's posts: others' take their slots, ours say where they went before
    previous = _journaled(by_entry, state, now)
    remotes = None
    if backend is not None and not backend.costs.counts_everything:
        remotes = _listing(backend, items)
    if backend is not None and remotes is not None:
        fingerprint = backend.fingerprint
        ours = {p.value_id(fingerprint, 0): p for p in queued}
        timed = {p.value_id(fingerprint, 0) for p in checked.posts if not p.queued}
        for remote in remotes:
            mine = ours.get(remote.id)
            if mine is not None:
                previous.setdefault(mine.entry_key, remote.publish_at.astimezone(UTC))
            elif remote.id not in timed:
                moment = remote.publish_at.astimezone(UTC)
                taken.setdefault(remote.channel_id, []).append(moment)
                busy.add(moment)

    placed = place(
        items, slots, taken=taken, paid=paid, previous=previous, now=now, horizon_days=QUEUE_DAYS
    )
    baseline = next_free_slots(items, slots, busy=busy, paid=paid, now=now, horizon_days=QUEUE_DAYS)
    problems = [_unplaced(entries[key], why) for key, why in placed.unplaced.items()]
    add_problems(checked, problems)
    posts = [
        replace(post, publish_at=placed.times[post.entry_key])
        if post.queued and post.entry_key in placed.times
        else post
        for post in checked.posts
        if not (post.queued and post.entry_key in placed.unplaced)
    ]
    checked_entries = [
        replace(entry, publish_at=placed.times[entry.key])
        if entry.key in placed.times and entry.queued is not None
        else entry
        for entry in checked.entries
    ]
    outcome = QueueOutcome(
        times=dict(placed.times),
        requests=placed.requests,
        next_free_requests=baseline.requests,
        lower_bound=placed.lower_bound,
        kept=len(placed.kept),
        posts=len(queued),
        listed=remotes is not None,
    )
    return replace(checked, posts=posts, entries=checked_entries), outcome


def journaled_times(posts: Sequence[Post], state: JournalState) -> list[Post]:
    """Queued Posts at the times the journal planned for them (``export``, offline)."""
    out = []
    for post in posts:
        planned = state.planned.get(post.key) if post.queued else None
        if planned is not None and planned.publish_at is not None:
            post = replace(post, publish_at=planned.publish_at.astimezone(UTC))
        out.append(post)
    return out


def _group(post: Post, pack_key: Callable[[Post], Hashable]) -> Hashable:
    """The pack key less the instant: what else Posts must share to travel together."""
    return pack_key(replace(post, publish_at=_EPOCH))


def _journaled(
    by_entry: Mapping[str, list[Post]], state: JournalState | None, now: datetime
) -> dict[str, datetime]:
    """Entry key → the time the journal planned, when it is still to come or already sent."""
    out: dict[str, datetime] = {}
    if state is None:
        return out
    for key, posts in by_entry.items():
        times = [
            planned.publish_at.astimezone(UTC)
            for post in posts
            if (planned := state.planned.get(post.key)) is not None and planned.publish_at
        ]
        if not times:
            continue
        moment = min(times)
        sent = all(post.key in state.done for post in posts)
        if moment > now or sent:
            out[key] = moment
    return out


def _listing(backend: Backend, items: Iterable[QueuedEntry]) -> list[RemotePost] | None:
    """The account's posts over the queued days; None when the listing fails (not the key)."""
    days = [(item.day, item.any_day) for item in items]
    first = min(day for day, _ in days)
    last = max(day + timedelta(days=QUEUE_DAYS if any_day else 0) for day, any_day in days)
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    try:
        return retry.retrying(counted=False)(lambda: backend.list_posts(start, end))
    except AuthError:
        raise
    except ApiError:
        return None  # placed without it: the run's own listing reports the failure


def _unplaced(entry: Entry, why: str) -> RowError:
    return RowError(
        "no-free-slot",
        f"no posting slot for this row: {why}",
        row=row_of(entry.position),
        field="publish_at",
        file=entry.position.file,
    )
