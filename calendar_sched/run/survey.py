"""The account's existing posts: one free listing, compared (``plan/account.py``) and journaled."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from calendar_sched.models import Post
from calendar_sched.plan.account import ExistingCheck, compare
from calendar_sched.plan.duplicates import listing_range
from calendar_sched.run import retry
from calendar_sched.run.journal import Journal
from calendar_sched.targets.base import Backend, DonePost


def survey(
    posts: Sequence[Post],
    backend: Backend,
    *,
    done: Mapping[str, DonePost],
    republish: bool = False,
    skip_duplicates: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> ExistingCheck:
    """List the account's posts over the calendar's dates (one free call) and ``compare``.

    Transient failures of the listing are retried with the shared policy (``retry.py``).

    Raises:
        ApiError: the listing failed (``AuthError`` when the key was refused).
    """
    if not posts:
        return ExistingCheck(posts=[])
    start, end = listing_range(posts)
    listed = retry.retrying(counted=False, sleep=sleep)(lambda: backend.list_posts(start, end))
    return compare(
        posts,
        listed,
        done=done,
        fingerprint=backend.fingerprint,
        republish=republish,
        skip_duplicates=skip_duplicates,
    )


def record(check: ExistingCheck, journal: Journal) -> None:
    """Journal what the listing proved, so the planner skips free Posts and updates tied ones."""
    for item in check.resolutions:
        journal.resolved(
            item.key,
            remote_id=item.remote_id,
            content_hash=item.content_hash,
            channel_id=item.channel_id,
            already_published=item.already_published,
            how=item.how,
        )
