"""The calendar against the account's existing posts, checked before planning.

``run`` (and ``plan --check-existing``) list the account's posts over the calendar's dates with
one free ``GET /posts`` (``duplicates.listing_range``) and compare them with the calendar:

- a Post tied to a server post (a pulled ``postiz:<id>`` entry) that still matches it costs
  nothing: it is journaled as done (``how: pulled``);
- a Post this journal never sent whose deterministic id (``first_value_id``) is already listed
  with the same content — the same calendar sent from another file (december.xlsx after
  december.csv: another journal) — costs nothing either (``how: listed``, see ``listed_same``);
- an edited pulled Post is an in-place update of its server post (``value[0].id`` upsert);
- an edited Post whose server post is already PUBLISHED is held back and reported, unless
  ``republish`` is asked (Postiz then gets ``republish: true`` for it);
- any other Post whose text is already on its channel within an hour is a
  ``duplicate-existing`` warning; ``skip_duplicates`` drops it if it was never sent.

``compare`` is pure; ``run/survey.py`` lists the account and journals what the listing proved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from calendar_sched.identity import first_value_id, remote_value_id
from calendar_sched.models import Post, utc_iso
from calendar_sched.plan.duplicates import (
    Duplicate,
    duplicate_warnings,
    find_duplicates,
)
from calendar_sched.report import RowError
from calendar_sched.targets.base import DonePost, RemotePost
from calendar_sched.targets.remote import html_to_text, remote_media, remote_settings, remote_tags

#: Content hash journaled for a server post whose version this calendar never sent: no Post
#: hashes to it, so the planner sends the Post as an update and a resend stays an upsert.
SERVER_VERSION = "server-version"


@dataclass(frozen=True)
class Resolution:
    """One ``resolved`` journal event the listing proved (see ``Journal.resolved``)."""

    key: str
    remote_id: str
    content_hash: str
    channel_id: str
    already_published: bool
    how: str


@dataclass
class ExistingCheck:
    """What the account's existing posts say about a calendar; Post keys in each list."""

    posts: list[Post]  # what to plan: the calendar less the duplicates skipped
    listed: int = 0
    unchanged: list[str] = field(default_factory=list)  # pulled, still as on the server: free
    known: list[str] = field(default_factory=list)  # listed under their own id, the same: free
    updates: list[str] = field(default_factory=list)  # pulled and edited: updated in place
    held: list[str] = field(default_factory=list)  # edited but PUBLISHED: left as they are
    republish: list[str] = field(default_factory=list)  # PUBLISHED, to publish again
    missing: list[str] = field(default_factory=list)  # pulled, but their post is not listed
    duplicates: list[Duplicate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # duplicates dropped
    resolutions: list[Resolution] = field(default_factory=list)

    @property
    def warnings(self) -> list[RowError]:
        """One ``duplicate-existing`` warning per duplicate."""
        return duplicate_warnings(self.duplicates)

    def to_dict(self) -> dict[str, Any]:
        """What the comparison found, as ``existing`` in ``plan --json`` and the MCP plan."""
        return {
            "listed": self.listed,
            "unchanged": self.unchanged,
            "updates": self.updates,
            "held_published": self.held,
            "republish": self.republish,
            "missing": self.missing,
            "skipped_duplicates": self.skipped,
            "duplicates": [
                {
                    "post": dup.post.key,
                    "entry": dup.post.entry_key,
                    "channel": dup.post.channel.id,
                    "existing_id": dup.existing.id,
                    "existing_state": dup.existing.state,
                    "existing_publish_at": utc_iso(dup.existing.publish_at),
                }
                for dup in self.duplicates
            ],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def done(self, journaled: Mapping[str, str]) -> dict[str, str]:
        """The planner's ``done`` once ``record`` ran: ``journaled`` with the resolutions."""
        done = dict(journaled)
        done.update({r.key: r.content_hash for r in self.resolutions})
        return done


def compare(
    posts: Sequence[Post],
    remotes: Sequence[RemotePost],
    *,
    done: Mapping[str, DonePost],
    fingerprint: str,
    republish: bool = False,
    skip_duplicates: bool = False,
) -> ExistingCheck:
    """Compare ``posts`` with the account's listed posts (pure).

    Args:
        posts: the calendar's Posts.
        remotes: the account's posts over their dates (``listing_range``).
        done: what the journal holds (``JournalState.done``).
        fingerprint: the target's fingerprint, for each Post's ``value[0].id``.
        republish: publish again the PUBLISHED posts the calendar changes.
        skip_duplicates: leave out the Posts that repeat an existing post.

    Returns:
        The comparison: Posts to plan, the ties found and the journal events they prove.
    """
    check = ExistingCheck(posts=list(posts), listed=len({r.id for r in remotes}))
    by_id = {remote.id: remote for remote in remotes}
    for post in posts:
        remote_id = remote_value_id(post.entry_key)
        prior = done.get(post.key)
        remote = by_id.get(remote_id or (prior.remote_id if prior else ""))
        if remote is None and remote_id is None and prior is None:
            # Never sent by this journal: maybe sent from another file (ids ignore the path).
            remote = by_id.get(first_value_id(post, fingerprint))
        if remote is None:
            if remote_id is not None:
                check.missing.append(post.key)
            continue
        _tie(check, post, remote, prior, republish=republish)
    # Own posts (this calendar's ids, or any the journal holds) are never duplicates.
    own = {first_value_id(p, fingerprint) for p in posts} | {d.remote_id for d in done.values()}
    tied = {r.key for r in check.resolutions} | set(check.held)
    to_send = [
        p
        for p in posts
        if p.key not in tied and (p.key not in done or done[p.key].content_hash != p.content_hash())
    ]
    others = [remote for remote in remotes if remote.id not in own]
    check.duplicates = find_duplicates(
        to_send, others, own_id=lambda p: first_value_id(p, fingerprint)
    )
    if skip_duplicates:
        # A Post already sent is an update of our own post: dropping it would read as removed.
        dropped = {d.post.key for d in check.duplicates if d.post.key not in done}
        check.skipped = [p.key for p in posts if p.key in dropped]
        check.posts = [p for p in posts if p.key not in dropped]
    return check


def _tie(
    check: ExistingCheck,
    post: Post,
    remote: RemotePost,
    prior: DonePost | None,
    *,
    republish: bool,
) -> None:
    """Decide one Post tied to a listed server post: free, update, held or republished."""
    current = post.content_hash()
    published = remote.state.upper() == "PUBLISHED"

    def resolve(content_hash: str, how: str, *, already_published: bool = published) -> None:
        if prior is None or (prior.content_hash, prior.already_published) != (
            content_hash,
            already_published,
        ):
            check.resolutions.append(
                Resolution(
                    post.key, remote.id, content_hash, post.channel.id, already_published, how
                )
            )

    if remote_value_id(post.entry_key) is not None and pulled_unchanged(post, remote):
        check.unchanged.append(post.key)
        resolve(current, "pulled")
    elif prior is None and remote_value_id(post.entry_key) is None and listed_same(post, remote):
        check.known.append(post.key)
        resolve(current, "listed")
    elif prior is not None and prior.content_hash == current:
        # The journal holds this version; only a post held back as published is sent again.
        if published and republish and prior.already_published:
            check.republish.append(post.key)
            resolve(SERVER_VERSION, "republish")
    elif published and not republish:
        check.held.append(post.key)
        resolve(current, "published", already_published=True)
    elif published:
        check.republish.append(post.key)
        resolve(SERVER_VERSION, "republish")
    elif remote_value_id(post.entry_key) is not None:
        check.updates.append(post.key)
        if prior is None:
            resolve(SERVER_VERSION, "pulled", already_published=False)


def pulled_unchanged(post: Post, remote: RemotePost) -> bool:
    """True when a calendar Post already matches the server's post: sending it would change nothing.

    Compares what a pulled file carries: instant, type, main text, media paths, tags, settings.
    """
    if remote_value_id(post.entry_key) != remote.id or post.channel.id != remote.channel_id:
        return False
    if post.publish_at != remote.publish_at:
        return False
    if (post.type == "draft") != (remote.state.upper() == "DRAFT"):
        return False
    main = post.values[0] if post.values else None
    if main is None or main.text != html_to_text(remote.content):
        return False
    paths = [m.url or m.source for m in main.media]
    if paths != remote_media(remote) or sorted(post.tags) != sorted(remote_tags(remote)):
        return False
    return post.settings == remote_settings(remote)


def listed_same(post: Post, remote: RemotePost) -> bool:
    """True when the listed post under a Post's own id shows exactly what the Post would send.

    The id (``first_value_id``) already ties them: it is derived from the target, the entry key
    (the ``id`` cell, else a hash of instant, text and channels, never the file's path or
    format) and the channel. On top of it everything the listing shows must match: channel,
    instant, draft or not, main text (``html_to_text``), tags and settings. What the listing
    cannot show is judged conservatively where it can be: media it lists must be as many as
    the Post's, and its URL media must be those very URLs; uploaded files come back under
    server paths, and ``GET /posts`` often lists no media at all, so a listing without media
    cannot disprove them. Comments (thread items) are not listed: a Post with a thread is
    never taken as the same, and is sent again as an upsert of its own ids.
    """
    if len(post.values) != 1 or post.channel.id != remote.channel_id:
        return False
    if post.publish_at != remote.publish_at:
        return False
    if (post.type == "draft") != (remote.state.upper() == "DRAFT"):
        return False
    if post.values[0].text != html_to_text(remote.content):
        return False
    if sorted(post.tags) != sorted(remote_tags(remote)) or post.settings != remote_settings(remote):
        return False
    listed = remote_media(remote)
    if not listed:
        return True
    media = post.values[0].media
    urls = [m.url for m in media if m.url]
    return len(listed) == len(media) and all(url in listed for url in urls)
