"""The ``duplicate-existing`` check: calendar Posts that repeat a post the account already has.

Before sending, ``plan`` and ``run`` list the account's posts over the calendar's dates (one free
``GET /posts``, see ``listing_range``). A Post whose text equals an existing post's text on the
same channel, within an hour of it, is reported as a warning naming that post;
``--skip-duplicates`` drops such Posts with ``skip_duplicates``. A Post never duplicates the server
post it updates (its own ``value[0].id``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from calendar_sched.identity import remote_value_id
from calendar_sched.models import Post, utc_iso
from calendar_sched.report import RowError
from calendar_sched.targets.base import RemotePost
from calendar_sched.targets.remote import html_to_text, remote_channel_name

#: How close in time two equal texts on one channel must be to count as a duplicate.
WINDOW = timedelta(hours=1)

#: How a server state reads in a warning: "the same text is already <words> on <channel>".
STATE_WORDS = {
    "QUEUE": "scheduled",
    "PUBLISHED": "published",
    "DRAFT": "a draft",
    "ERROR": "failed",
}

#: The server id a Post is sent under (Postiz ``value[0].id``), to skip the post it updates.
OwnId = Callable[[Post], str | None]


@dataclass(frozen=True)
class Duplicate:
    """A calendar Post and the existing post it repeats."""

    post: Post
    existing: RemotePost


def same_text_key(text: str) -> str:
    """Text as compared: whitespace collapsed and case folded, so re-wrapped copies still match."""
    return " ".join(text.split()).casefold()


def listing_range(posts: Sequence[Post], window: timedelta = WINDOW) -> tuple[datetime, datetime]:
    """The ``GET /posts`` range that covers every Post's duplicate window."""
    if not posts:
        raise ValueError("no posts to list around")
    times = [p.publish_at for p in posts]
    return min(times) - window, max(times) + window


def find_duplicates(
    posts: Iterable[Post],
    existing: Iterable[RemotePost],
    *,
    own_id: OwnId | None = None,
    window: timedelta = WINDOW,
) -> list[Duplicate]:
    """Each Post with the same text as an existing post on its channel, within ``window``.

    A Post's own server post (``own_id(post)``, or the id a pulled ``postiz:<id>`` key names) is
    an update target, not a duplicate. The nearest existing post in time is reported.
    """
    index: dict[tuple[str, str], list[RemotePost]] = {}
    for remote in existing:
        key = (remote.channel_id, same_text_key(html_to_text(remote.content)))
        index.setdefault(key, []).append(remote)
    found: list[Duplicate] = []
    for post in posts:
        text = post.values[0].text if post.values else ""
        if not text.strip():
            continue  # media-only posts are not compared by text
        mine = {remote_value_id(post.entry_key), own_id(post) if own_id else None}
        candidates = [
            r
            for r in index.get((post.channel.id, same_text_key(text)), [])
            if r.id not in mine and abs(r.publish_at - post.publish_at) <= window
        ]
        if candidates:
            nearest = min(candidates, key=lambda r: (abs(r.publish_at - post.publish_at), r.id))
            found.append(Duplicate(post, nearest))
    return found


def duplicate_warnings(duplicates: Iterable[Duplicate]) -> list[RowError]:
    """One ``duplicate-existing`` warning per duplicate, listing the existing post."""
    warnings: list[RowError] = []
    for dup in duplicates:
        post, remote = dup.post, dup.existing
        text = post.values[0].text if post.values else ""
        warnings.append(
            RowError(
                "duplicate-existing",
                f"{post.describe()}: the same text is already {_state_words(remote.state)} on "
                f"{remote_channel_name(remote)} at {utc_iso(remote.publish_at)} (post "
                f"{remote.id}); remove the row, change its text, or use --skip-duplicates",
                row=post.position.row if post.position.row is not None else post.position.index,
                field="text",
                value=text if len(text) <= 60 else text[:57] + "...",
                file=post.position.file,
                note=remote.id,
            )
        )
    return warnings


def skip_duplicates(posts: Sequence[Post], duplicates: Iterable[Duplicate]) -> list[Post]:
    """``posts`` without the ones found to repeat an existing post (``--skip-duplicates``)."""
    dropped = {dup.post.key for dup in duplicates}
    return [post for post in posts if post.key not in dropped]


def _state_words(state: str) -> str:
    return STATE_WORDS.get(state.upper(), f"in Postiz ({state})")
