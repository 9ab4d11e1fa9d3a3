"""Rows that look edited: a post left the calendar and a new one took its place.

A row without an ``id`` is known by a hash of its time, text and channels, so editing its text
or time makes a new post, and the old one stays scheduled: both would be published. A run pairs
each post that left the calendar with a new post on the same channel in the same row, or at the
same time, so the user can choose to replace the old post or keep both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from calendar_sched.models import Post
from calendar_sched.run.journal import JournalState


def likely_edits(
    posts: Sequence[Post], state: JournalState, removed: Iterable[str]
) -> dict[str, str]:
    """New Post key → the key of the post it looks like an edit of (same channel; same row or time).

    Args:
        posts: the calendar's Posts as planned now.
        state: the journal before this run (its done posts, names and last plan).
        removed: keys of done posts that are no longer in the calendar.
    """
    new = [post for post in posts if post.key not in state.done]
    by_name = {post.describe(): post for post in new}
    by_slot = {(post.channel.id, post.publish_at): post for post in new}
    pairs: dict[str, str] = {}
    for key in removed:
        done = state.done[key]
        planned = state.planned.get(key)
        found = by_name.get(state.names.get(key, ""))
        if found is None and planned is not None and planned.publish_at is not None:
            found = by_slot.get((done.channel_id, planned.publish_at))
        if found is not None and found.channel.id == done.channel_id and found.key not in pairs:
            pairs[found.key] = key
    return pairs
