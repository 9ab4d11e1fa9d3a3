"""The PostSyncer backend: one post per content to many accounts, every call counted.

One ``POST /posts`` carries one content thread to every account that shares its schedule
(date, time, timezone), schedule type, thread text and media, labels and repeat; each account
has its own ``settings``. Every call counts against 60 per minute (the client paces them all).
There are no client-chosen ids, so a call in doubt is reconciled by listing posts and matching
workspace, account, schedule and content (``match``); docs/postsyncer.md states the residual risk.
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Collection, Hashable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from calendar_sched import identity
from calendar_sched.errors import (
    AlreadyPublished,
    ConfigError,
    FatalApiError,
    InputError,
    RateLimited,
    RetriableApiError,
)
from calendar_sched.models import Channel, MediaRef, Post
from calendar_sched.targets.base import CostModel, RemotePost, SentPost, UploadedMedia
from calendar_sched.targets.http import ClientBackend
from calendar_sched.targets.postsyncer.client import (
    LIMIT,
    WINDOW_SECONDS,
    PostSyncerClient,
)
from calendar_sched.targets.postsyncer.shapes import (
    FAILED_STATUSES,
    SCHEDULE_TYPES,
    account_channel,
    account_settings,
    as_id,
    content_key,
    dumps,
    first_media,
    instant,
    items_of,
    label_key,
    media_item,
    media_url,
    rejected,
    remote_fingerprint,
    remote_posts,
    schedule_for,
    sent_posts,
    span,
    workspace_of,
)

#: Discovery calls every run makes before its plan: ``GET /workspaces`` and ``GET /accounts``.
DISCOVERY_CALLS = 2
#: URLs imported per ``POST /media/upload/url`` (the API sets no limit; keep bodies small).
URL_BATCH = 50
#: Posts per ``GET /posts`` page (the API's maximum).
PAGE_SIZE = 100
#: No documented body cap: a generous one, so packing is decided by the pack key alone.
BODY_CAP = 1_000_000
#: Room for the shared part of a body (content thread, schedule, labels) in size estimates.
ENVELOPE_RESERVE = 64_000


def postsyncer_costs(limit: int = LIMIT, window_seconds: float = WINDOW_SECONDS) -> CostModel:
    """Every call counts, 60 per minute; URL imports batch; discovery is two calls."""
    return CostModel(
        limit=limit,
        window_seconds=window_seconds,
        body_cap=BODY_CAP,
        counts_everything=True,
        upload_batch=URL_BATCH,
        fixed_calls=DISCOVERY_CALLS,
    )


class PostSyncerBackend(ClientBackend[PostSyncerClient]):
    """PostSyncer REST API v1: pure request building for the planner, I/O for the executor."""

    offline_message = "this PostSyncer backend is offline (no API token)"

    name = "postsyncer"

    def __init__(
        self,
        client: PostSyncerClient | None = None,
        *,
        costs: CostModel | None = None,
        fingerprint: str | None = None,
    ) -> None:
        self.client = client
        self.costs = costs or postsyncer_costs()
        base = client.base_url if client else "offline"
        self.fingerprint = fingerprint or postsyncer_fingerprint(base)
        self.workspaces: dict[str, str] = {}
        self._labels: dict[str, int] = {}  # label_key → id, as listed or created this run
        self._labels_loaded: set[str] = set()
        self.skipped_urls: list[str] = []
        self._in_doubt: set[str] = set()  # Post keys whose create may have landed unanswered

    def __repr__(self) -> str:
        return f"PostSyncerBackend(client={self.client!r}, costs={self.costs!r})"

    # pure: what the planner uses

    def pack_key(self, post: Post) -> Hashable:
        """(workspace, schedule, type, content thread and media, labels, repeat)."""
        when = schedule_for(post)
        return (
            workspace_of(post.channel),
            (when["date"], when["time"], when["timezone"]),
            post.type,
            content_key(post),
            tuple(post.tags),
            post.repeat_every_days,
        )

    def post_bytes(self, post: Post) -> int:
        """Size of this Post's ``accounts[]`` element plus its comma."""
        return len(dumps(self.account_element(post))) + 1

    def envelope_bytes(self) -> int:
        """A reserve for the shared part of a body: the content thread, schedule and labels."""
        return ENVELOPE_RESERVE

    def account_element(self, post: Post) -> dict[str, Any]:
        """One ``accounts[]`` element: the account id and its own settings."""
        element: dict[str, Any] = {"id": as_id(post.channel.id)}
        settings = account_settings(post.channel.identifier, post.settings)
        if settings:
            element["settings"] = settings
        return element

    def build_body(
        self,
        posts: Sequence[Post],
        media: Mapping[str, UploadedMedia],
        labels: Sequence[int] = (),
    ) -> dict[str, Any]:
        """The JSON body of one ``POST /posts`` carrying ``posts`` (which share a pack key)."""
        if not posts:
            raise ValueError("a request needs at least one post")
        if len({self.pack_key(p) for p in posts}) > 1:
            raise ValueError("posts of one request must share the pack key")
        first = posts[0]
        workspace = workspace_of(first.channel) or self._default_workspace()
        body: dict[str, Any] = {
            "workspace_id": as_id(workspace),
            "schedule_type": SCHEDULE_TYPES[first.type],
            "content": [
                {"text": value.text, "media": [media_item(ref, media) for ref in value.media]}
                for value in first.values
            ],
            "accounts": [self.account_element(post) for post in posts],
        }
        if first.type == "schedule":
            body["schedule_for"] = schedule_for(first)
        if labels:
            body["labels"] = list(labels)
        if first.repeat_every_days:
            body["repeatable"] = True
            body["repeatable_gap"] = first.repeat_every_days
            body["repeatable_gap_unit"] = "days"
        return body

    def match(self, posts: Sequence[Post], listing: Sequence[RemotePost]) -> dict[str, str]:
        """Post key → remote id, for listed posts with its workspace, account, schedule, content.

        With no client ids this is the only proof a post landed; among several equal candidates
        the oldest (lowest id) wins, so repeated reconciles answer the same.
        """
        out: dict[str, str] = {}
        for post in posts:
            want = self._fingerprint_of(post)
            candidates = [
                remote
                for remote in listing
                if remote.channel_id == post.channel.id
                and remote.state.lower() not in FAILED_STATUSES  # refused: not delivered
                and remote_fingerprint(remote) == want
            ]
            if candidates:
                out[post.key] = min(candidates, key=lambda r: (len(r.id), r.id)).id
        return out

    def _fingerprint_of(self, post: Post) -> tuple[Any, ...]:
        workspace = workspace_of(post.channel)
        return (
            workspace if workspace is not None else self._workspace_or_none(),
            SCHEDULE_TYPES[post.type],
            instant(schedule_for(post)) if post.type == "schedule" else None,
            tuple((v.text, len(v.media)) for v in post.values),
        )

    # I/O: what the executor uses

    def discover(self) -> list[Channel]:
        """``GET /workspaces`` and ``GET /accounts`` (two counted calls)."""
        workspaces = self._api().request("GET", "/workspaces").data
        accounts = self._api().request("GET", "/accounts").data
        self.workspaces = {
            str(w["id"]): str(w.get("name", "")) for w in items_of(workspaces) if "id" in w
        }
        return [account_channel(a, self.workspaces) for a in items_of(accounts) if "id" in a]

    def _workspace_or_none(self) -> str | None:
        return next(iter(self.workspaces)) if len(self.workspaces) == 1 else None

    def _default_workspace(self) -> str:
        if not self.workspaces:
            raise ConfigError("no PostSyncer workspace known: discover channels first")
        return next(iter(self.workspaces))

    def upload(self, media: MediaRef) -> UploadedMedia:
        """A local file to the upload host (multipart); a single URL through the batch import."""
        if not media.path:
            stored = self.upload_many([media])
            if not stored:
                raise FatalApiError(
                    f"the server skipped {media.source} (count_stored 0 of 1)",
                    path="/media/upload/url",
                )
            return stored[0]
        path = Path(media.path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read media {media.source}: {exc}") from exc
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        answer = self._api().request(
            "POST",
            "/media/upload/file",
            files={"file": (path.name, content, mime)},
            data={"workspace_id": self._default_workspace()},
            upload_host=True,
        )
        item = first_media(answer.data)
        if item is None:
            raise FatalApiError(f"upload of {media.source}: answer has no media id", path="/media")
        return UploadedMedia(key=media.dedupe_key, id=str(item["id"]), path=media_url(item))

    def upload_many(self, media: Sequence[MediaRef]) -> list[UploadedMedia]:
        """ONE ``POST /media/upload/url`` for up to ``URL_BATCH`` URLs; skipped ones are left out.

        The server answers 200 even when it skipped some URLs: ``count_stored`` is compared with
        the number sent, and the skipped URLs are kept in ``skipped_urls`` for the report.
        """
        urls = [m.url or m.source for m in media]
        answer = self._api().request(
            "POST",
            "/media/upload/url",
            json_body={"workspace_id": as_id(self._default_workspace()), "urls": urls},
        )
        data = answer.data if isinstance(answer.data, dict) else {}
        items = [i for i in items_of(data.get("media")) if "id" in i]
        by_source: dict[str, dict[str, Any]] = {}
        for item in items:
            source = str(item.get("source_url") or item.get("original_url") or "")
            by_source.setdefault(source, item)
        stored_count = int(data.get("count_stored", len(items)) or 0)
        out = []
        for ref, url in zip(media, urls, strict=True):
            found = by_source.get(url)
            if found is None and stored_count == len(urls) == len(items) and not by_source.get(""):
                found = items[urls.index(url)]
            if found is None:
                self.skipped_urls.append(url)
                continue
            out.append(
                UploadedMedia(key=ref.dedupe_key, id=str(found["id"]), path=media_url(found))
            )
        return out

    def create(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        """ONE counted ``POST /posts`` to every account of ``posts``.

        A resend would duplicate (no client ids), so after an answer that may have been lost the
        next call for the same Posts first lists and matches; only Posts proven absent are sent.
        """
        found: list[SentPost] = []
        if any(post.key in self._in_doubt for post in posts):
            matched = self.match(posts, self.list_posts(*span(posts)))
            found = [
                SentPost(post_key=p.key, remote_id=matched[p.key], channel_id=p.channel.id)
                for p in posts
                if p.key in matched
            ]
            self._in_doubt.difference_update(p.key for p in posts)
            posts = [p for p in posts if p.key not in matched]
            if not posts:
                return found
        return found + self._send(posts, media)

    def _send(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        body = self.build_body(posts, media, self._label_ids(posts[0], media))
        try:
            answer = self._api().request("POST", "/posts", json_body=body)
        except RateLimited:
            raise  # refused before the handler: nothing was written
        except RetriableApiError:
            self._in_doubt.update(p.key for p in posts)
            raise
        except FatalApiError as exc:
            raise rejected(exc, posts) from None
        return sent_posts(posts, answer.data, answer.status, "POST", "/posts")

    def update(
        self, posts: Sequence[Post], media: Mapping[str, UploadedMedia], remote_id: str
    ) -> list[SentPost]:
        """ONE counted ``PUT /posts/{id}``: the post takes the content, schedule and accounts sent.

        PostSyncer updates only posts not yet published; its refusal becomes AlreadyPublished.
        A post deleted on the server since is created again (the row is still in the calendar).
        """
        body = self.build_body(posts, media, self._label_ids(posts[0], media))
        path = f"/posts/{remote_id}"
        try:
            answer = self._api().request("PUT", path, json_body=body)
        except RateLimited:
            raise
        except FatalApiError as exc:
            if exc.status == 404:
                return self._send(posts, media)
            if exc.status == 422 and "published" in str(exc).lower():
                raise AlreadyPublished(
                    str(exc), status=exc.status, method="PUT", path=path, body=exc.body
                ) from None
            raise rejected(exc, posts) from None
        return sent_posts(posts, answer.data, answer.status, "PUT", path)

    def listing_calls(self, posts: int) -> int:
        """Pages of ``GET /posts`` (each counted) over an account holding ``posts`` posts."""
        return max(1, math.ceil(posts / PAGE_SIZE))

    # Labels: tags are server objects, found or created before the posts that use them

    def _label_workspace(self, post: Post) -> str:
        return workspace_of(post.channel) or self._workspace_or_none() or ""

    def label_calls(self, posts: Sequence[Post], known: Collection[str]) -> int:
        """Counted calls ``ensure_labels`` will make for ``posts`` (pure).

        Per workspace with a tag not ``known``: one ``GET /labels`` and one ``POST /labels`` per
        such tag. Exact on a fresh workspace; an upper bound when some labels exist on the
        server but not in the journal (made by hand, or by a run with another journal).
        """
        missing: dict[str, set[str]] = {}
        for post in posts:
            workspace = self._label_workspace(post)
            for tag in post.tags:
                key = label_key(workspace, tag)
                if key not in known and key not in self._labels:
                    missing.setdefault(workspace, set()).add(tag)
        return sum(
            len(tags) + (workspace not in self._labels_loaded)
            for workspace, tags in missing.items()
        )

    def ensure_labels(
        self, posts: Sequence[Post], known: Mapping[str, UploadedMedia]
    ) -> list[UploadedMedia]:
        """Find (one listing per workspace) or create (one call each) the labels of ``posts``.

        The API has no batch create; labels learnt are returned for the journal, so the next run
        neither lists nor creates them again.
        """
        learnt: list[UploadedMedia] = []
        for post in posts:
            workspace = workspace_of(post.channel) or self._default_workspace()
            for tag in post.tags:
                key = label_key(workspace, tag)
                if key in known or key in self._labels:
                    continue
                if workspace not in self._labels_loaded:
                    self._load_labels(workspace)
                if key not in self._labels:
                    made = self._api().request(
                        "POST", "/labels", json_body={"workspace_id": as_id(workspace), "name": tag}
                    )
                    label = first_media(made.data) or {}
                    if "id" not in label:
                        raise FatalApiError(
                            f"POST /labels: answer has no label id ({made.data!r:.200})",
                            path="/labels",
                        )
                    self._labels[key] = int(label["id"])
                learnt.append(UploadedMedia(key=key, id=str(self._labels[key]), path=""))
        return learnt

    def _load_labels(self, workspace: str) -> None:
        listed = self._api().request("GET", "/labels", params={"workspace_id": workspace})
        for label in items_of(listed.data):
            if "id" in label:
                self._labels[label_key(workspace, str(label.get("name", "")))] = int(label["id"])
        self._labels_loaded.add(workspace)

    def _label_ids(self, post: Post, known: Mapping[str, UploadedMedia]) -> list[int]:
        """Label ids of the post's tags: from the journal, else found or created now."""
        if not post.tags:
            return []
        workspace = workspace_of(post.channel) or self._default_workspace()
        self.ensure_labels([post], known)
        ids = []
        for tag in post.tags:
            key = label_key(workspace, tag)
            ids.append(int(known[key].id) if key in known else self._labels[key])
        return ids

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        """Every page of ``GET /posts`` (each page counted), one RemotePost per account.

        The API has no date filter: posts are filtered here by their schedule.
        """
        out: list[RemotePost] = []
        page = 1
        while True:
            params = {"page": str(page), "per_page": str(PAGE_SIZE)}
            data = self._api().request("GET", "/posts", params=params).data
            items = items_of(data.get("data") if isinstance(data, dict) else data)
            for item in items:
                out.extend(r for r in remote_posts(item) if start <= r.publish_at <= end)
            meta = data.get("meta", {}) if isinstance(data, dict) else {}
            last = int(meta.get("last_page", page)) if isinstance(meta, dict) else page
            if not items or page >= last:
                return out
            page += 1

    def delete(self, remote_id: str) -> None:
        """``DELETE /posts/{id}``: removes the post for every account it carries."""
        self._api().request("DELETE", f"/posts/{remote_id}")


def postsyncer_fingerprint(base_url: str) -> str:
    """sha256 of the API root: journals of two targets never mix."""
    return identity.target_fingerprint("postsyncer", base_url)
