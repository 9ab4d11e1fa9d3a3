"""Per-Post outcomes: what happened to each Post, from the run journal or the server's listing.

Every export starts from one ``PostOutcome`` per Post: ``journal_outcomes`` replays the journal
(done, failed, in doubt, skipped or pending), ``refresh_outcomes`` applies the states a free
``GET /posts`` reports, and ``row_status`` folds a row's Posts into one status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from calendar_sched.models import Position, Post
from calendar_sched.run import journal
from calendar_sched.run.journal import JournalState
from calendar_sched.run.queue import journaled_times
from calendar_sched.targets.base import RemotePost

#: ``invalid``: a row validation refused (export only: such rows have no Posts).
Status = Literal[
    "scheduled", "draft", "published", "failed", "pending", "skipped", "partial", "invalid"
]

#: Post statuses that mean the server holds the post.
DONE_STATUSES = frozenset({"scheduled", "draft", "published"})

_NOT_DONE: tuple[Status, ...] = ("failed", "pending", "skipped")
_STATUS_ORDER: tuple[Status, ...] = ("scheduled", "draft", "published", *_NOT_DONE)

_REMOTE_STATES: dict[str, Status] = {
    "QUEUE": "scheduled",
    "DRAFT": "draft",
    "PUBLISHED": "published",
    "ERROR": "failed",
}


@dataclass(frozen=True)
class PostOutcome:
    """What happened to one Post: the explicit input of every export."""

    post_key: str
    entry_key: str
    channel_id: str
    channel_name: str
    status: Status
    remote_id: str | None = None
    publish_at_utc: datetime | None = None
    request: int | None = None  # the number of the post request that carried it
    error: str | None = None
    position: Position | None = None


def row_status(statuses: Sequence[Status]) -> Status | None:
    """One row's status from its Posts' statuses; ``partial`` when some are done and some not."""
    done = [s for s in statuses if s in DONE_STATUSES]
    if done and len(done) < len(statuses):
        return "partial"
    # Mixed but all done: the least advanced state is what still lies ahead for the row.
    order: tuple[Status, ...] = ("draft", "scheduled", "published") if done else _NOT_DONE
    return next((status for status in order if status in statuses), None)


def pending_outcomes(posts: Iterable[Post]) -> list[PostOutcome]:
    """Outcomes for Posts nothing has been sent for yet (export before or without a run)."""
    return [
        PostOutcome(
            post_key=p.key,
            entry_key=p.entry_key,
            channel_id=p.channel.id,
            channel_name=p.channel.name,
            status="pending",
            publish_at_utc=p.publish_at,
            position=p.position,
        )
        for p in posts
    ]


def journal_outcomes(posts: Sequence[Post], journal_path: Path) -> list[PostOutcome]:
    """Each Post's outcome as the run journal records it (all pending without a journal)."""
    if not journal_path.exists():
        return pending_outcomes(posts)
    lines, _ = journal.read_lines(journal_path, [])  # damaged lines left out, as status does
    state = journal.read_state(journal_path)
    posts = journaled_times(posts, state)  # rows without a time: where the queue put them
    return outcomes_from_state(posts, state, request_numbers(lines))


def request_numbers(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Post key → number of the last post request that carried it (README "Numbers").

    The number the run's plan gave the request, as ``plan --json`` and the run's log show it;
    in journals written before it was recorded: counted requests from 1, retries not counted.
    """
    numbers: dict[str, int] = {}
    first_tries = 0
    for event in lines:
        if event.get("event") == "started" and event.get("counted", True):
            if not event.get("extra", event.get("attempt", 1) > 1):
                first_tries += 1
            number = int(event.get("request") or first_tries)
            for item in event.get("posts", []):
                numbers[str(item.get("key"))] = number
    return numbers


def outcomes_from_state(
    posts: Sequence[Post], state: JournalState, requests: Mapping[str, int] | None = None
) -> list[PostOutcome]:
    """Outcomes from a replayed journal: done, failed, in doubt, skipped or pending per Post.

    A Post done with another content hash (edited since) is pending: its update is not sent yet.
    A Post missing from a recorded plan and never done was left out of the run (skipped).
    """
    outcomes: list[PostOutcome] = []
    for post in posts:
        key = post.key
        done = state.done.get(key)
        status: Status = "pending"
        error: str | None = None
        if key in state.failed:
            status, error = "failed", state.failed[key].message
        elif key in state.in_doubt:
            error = "sent, but the answer was lost; run again to reconcile"
        elif done is not None and done.content_hash == post.content_hash():
            status = "published" if done.already_published else _sent_status(post)
        elif done is not None:
            error = "edited since it was sent; run again to update it"
        elif state.planned and key not in state.planned:
            status = "skipped"
        outcomes.append(
            PostOutcome(
                post_key=key,
                entry_key=post.entry_key,
                channel_id=post.channel.id,
                channel_name=post.channel.name,
                status=status,
                remote_id=done.remote_id if done is not None else None,
                publish_at_utc=post.publish_at,
                request=(requests or {}).get(key),
                error=error,
                position=post.position,
            )
        )
    return outcomes


def _sent_status(post: Post) -> Status:
    return "draft" if post.type == "draft" else "scheduled"


def refresh_outcomes(
    outcomes: Iterable[PostOutcome], remotes: Iterable[RemotePost]
) -> list[PostOutcome]:
    """Current server states (one free GET /posts) applied to outcomes, matched by post id."""
    by_id = {r.id: r for r in remotes}
    fresh: list[PostOutcome] = []
    for outcome in outcomes:
        remote = by_id.get(outcome.remote_id or "")
        if remote is not None:
            status = _REMOTE_STATES.get(remote.state.upper(), outcome.status)
            error = outcome.error
            if status == "failed" and not error:
                error = str(remote.raw.get("error") or "the server marked the post ERROR")
            outcome = replace(outcome, status=status, publish_at_utc=remote.publish_at, error=error)
        elif outcome.remote_id and outcome.status in DONE_STATUSES:
            outcome = replace(outcome, error="not listed by the server any more (deleted?)")
        fresh.append(outcome)
    return fresh


def summarize(outcomes: Sequence[PostOutcome]) -> dict[str, int]:
    """Post counts by status, in the order of ``Status``."""
    counts = Counter(o.status for o in outcomes)
    return {status: counts[status] for status in _STATUS_ORDER if counts[status]}
