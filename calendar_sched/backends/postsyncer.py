"""The PostSyncer backend: one post per content to many accounts, every call counted.

One ``POST /posts`` carries one content thread to every account that shares its schedule
(date, time, timezone), schedule type, thread text and media, labels and repeat; each account
has its own ``settings``. Every call counts against 60 per minute (the client paces them all).
There are no client-chosen ids, so a call in doubt is reconciled by listing posts and matching
workspace, account, schedule and content (``match``); docs/postsyncer.md states the residual risk.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_sched.backends.base import CostModel, RateState, RemotePost, SentPost, UploadedMedia
from calendar_sched.errors import (
    AlreadyPublished,
    ConfigError,
    FatalApiError,
    InputError,
    RateLimited,
    RetriableApiError,
    ValidationRejected,
)
from calendar_sched.models import Channel, MediaRef, Post
from calendar_sched.postsyncer_client import (
    LIMIT,
    WINDOW_SECONDS,
    PostSyncerClient,
    PostSyncerTarget,
    field_errors,
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

#: PostSyncer platform names that differ from the calendar's (Postiz) identifiers.
PLATFORM_TO_IDENTIFIER = {"twitter": "x"}
IDENTIFIER_TO_PLATFORM = {v: k for k, v in PLATFORM_TO_IDENTIFIER.items()}

SCHEDULE_TYPES = {"schedule": "schedule", "draft": "draft", "now": "publish_now"}
#: Per-account statuses of a create or update answer that mean the account was refused.
FAILED_STATUSES = frozenset({"failed", "error", "rejected"})
_INSTAGRAM_TYPES = {"post": "POST", "story": "STORIES", "stories": "STORIES", "reel": "REELS"}


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


def dumps(data: Any) -> bytes:
    """JSON as sent (compact, UTF-8)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def account_channel(account: Mapping[str, Any], workspaces: Mapping[str, str]) -> Channel:
    """A ``GET /accounts`` item as a Channel: platform → identifier, username → profile."""
    platform = str(account.get("platform", "")).lower()
    username = str(account.get("username") or "")
    workspace = str(account.get("workspace_id", ""))
    identifier = PLATFORM_TO_IDENTIFIER.get(platform, platform)
    return Channel(
        id=str(account["id"]),
        name=str(account.get("name") or f"{username} ({platform})"),
        identifier=identifier,
        profile=username or None,
        disabled=bool(account.get("disabled", False)),
        customer={"id": workspace, "name": workspaces.get(workspace, "")},
    )


def account_settings(identifier: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Calendar settings as PostSyncer expects them; Postiz spellings are translated."""
    out = {k: v for k, v in settings.items() if not k.startswith("__")}
    if identifier.startswith("instagram") and isinstance(out.get("post_type"), str):
        kind = out["post_type"].strip()
        out["post_type"] = _INSTAGRAM_TYPES.get(kind.lower(), kind.upper())
    elif identifier == "pinterest" and "board" in out:
        out.setdefault("board_id", out["board"])
        del out["board"]
    elif identifier.startswith("linkedin") and isinstance(out.get("visibility"), str):
        out["visibility"] = out["visibility"].upper()
    elif identifier == "x" and "who_can_reply_post" in out:
        out.setdefault("reply_settings", out["who_can_reply_post"])
        del out["who_can_reply_post"]
    return out


def workspace_of(channel: Channel) -> str | None:
    """The workspace id a channel (account) belongs to, when discovery said."""
    customer = channel.customer or {}
    value = customer.get("id")
    return str(value) if value not in (None, "") else None


def label_key(workspace: str | None, name: str) -> str:
    """The journal key of a label (kept with the uploaded media: both are server objects)."""
    return f"label:{workspace or ''}:{name}"


def schedule_for(post: Post) -> dict[str, str]:
    """``{date, time, timezone}``: local time in the row's zone, to the minute (``HH:MM``)."""
    try:
        zone: tzinfo = ZoneInfo(post.timezone)
        name = post.timezone
    except (ValueError, ZoneInfoNotFoundError):
        zone, name = UTC, "UTC"  # a zone this machine does not know: the instant in UTC
    moment = post.publish_at.astimezone(zone)
    return {"date": moment.strftime("%Y-%m-%d"), "time": moment.strftime("%H:%M"), "timezone": name}


def _content_key(post: Post) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((v.text, tuple(m.dedupe_key for m in v.media)) for v in post.values)


class PostSyncerBackend:
    """PostSyncer REST API v1: pure request building for the planner, I/O for the executor."""

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
            _content_key(post),
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
        element: dict[str, Any] = {"id": _id(post.channel.id)}
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
            "workspace_id": _id(workspace),
            "schedule_type": SCHEDULE_TYPES[first.type],
            "content": [
                {"text": value.text, "media": [_media_item(ref, media) for ref in value.media]}
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
                and _remote_fingerprint(remote) == want
            ]
            if candidates:
                out[post.key] = min(candidates, key=lambda r: (len(r.id), r.id)).id
        return out

    def _fingerprint_of(self, post: Post) -> tuple[Any, ...]:
        workspace = workspace_of(post.channel)
        return (
            workspace if workspace is not None else self._workspace_or_none(),
            SCHEDULE_TYPES[post.type],
            _instant(schedule_for(post)) if post.type == "schedule" else None,
            tuple((v.text, len(v.media)) for v in post.values),
        )

    # I/O: what the executor uses

    def _api(self) -> PostSyncerClient:
        if self.client is None:
            raise ConfigError("this PostSyncer backend is offline (no API token)")
        return self.client

    @property
    def rate_state(self) -> RateState | None:
        """The quota as the last answer reported it."""
        return self.client.rate_state if self.client else None

    def discover(self) -> list[Channel]:
        """``GET /workspaces`` and ``GET /accounts`` (two counted calls)."""
        workspaces = self._api().request("GET", "/workspaces").data
        accounts = self._api().request("GET", "/accounts").data
        self.workspaces = {
            str(w["id"]): str(w.get("name", "")) for w in _items(workspaces) if "id" in w
        }
        return [account_channel(a, self.workspaces) for a in _items(accounts) if "id" in a]

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
        item = _first_media(answer.data)
        if item is None:
            raise FatalApiError(f"upload of {media.source}: answer has no media id", path="/media")
        return UploadedMedia(key=media.dedupe_key, id=str(item["id"]), path=_media_url(item))

    def upload_many(self, media: Sequence[MediaRef]) -> list[UploadedMedia]:
        """ONE ``POST /media/upload/url`` for up to ``URL_BATCH`` URLs; skipped ones are left out.

        The server answers 200 even when it skipped some URLs: ``count_stored`` is compared with
        the number sent, and the skipped URLs are kept in ``skipped_urls`` for the report.
        """
        urls = [m.url or m.source for m in media]
        answer = self._api().request(
            "POST",
            "/media/upload/url",
            json_body={"workspace_id": _id(self._default_workspace()), "urls": urls},
        )
        data = answer.data if isinstance(answer.data, dict) else {}
        items = [i for i in _items(data.get("media")) if "id" in i]
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
                UploadedMedia(key=ref.dedupe_key, id=str(found["id"]), path=_media_url(found))
            )
        return out

    def create(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        """ONE counted ``POST /posts`` to every account of ``posts``.

        A resend would duplicate (no client ids), so after an answer that may have been lost the
        next call for the same Posts first lists and matches; only Posts proven absent are sent.
        """
        found: list[SentPost] = []
        if any(post.key in self._in_doubt for post in posts):
            matched = self.match(posts, self.list_posts(*_span(posts)))
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
            raise _rejected(exc, posts) from None
        return _sent(posts, answer.data, answer.status, "POST", "/posts")

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
            raise _rejected(exc, posts) from None
        return _sent(posts, answer.data, answer.status, "PUT", path)

    # Labels: tags are server objects, found or created before the posts that use them

    def _label_workspace(self, post: Post) -> str:
        return workspace_of(post.channel) or self._workspace_or_none() or ""

    def label_calls(self, posts: Sequence[Post], known: Collection[str]) -> int:
        """Counted calls ``ensure_labels`` makes: per workspace with a tag not ``known``, one
        ``GET /labels`` and one ``POST /labels`` per such tag (exact on a fresh workspace; an
        upper bound when some labels exist on the server but not in the journal)."""
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
                        "POST", "/labels", json_body={"workspace_id": _id(workspace), "name": tag}
                    )
                    label = _first_media(made.data) or {}
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
        for label in _items(listed.data):
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
            items = _items(data.get("data") if isinstance(data, dict) else data)
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
    return hashlib.sha256(f"postsyncer|{base_url}".encode()).hexdigest()


def remote_posts(item: Mapping[str, Any]) -> list[RemotePost]:
    """A listed post as one RemotePost per account it carries."""
    when = item.get("schedule_for") or {}
    publish_at = _instant(when) if isinstance(when, dict) else None
    accounts = [a for a in _items(item.get("accounts")) if "id" in a]
    content = _items(item.get("content"))
    return [
        RemotePost(
            id=str(item.get("id", "")),
            channel_id=str(account["id"]),
            publish_at=publish_at or datetime.fromtimestamp(0, UTC),
            state=str(account.get("status") or item.get("status") or ""),
            content=str(content[0].get("text", "")) if content else "",
            group=None,
            raw=dict(item),
        )
        for account in accounts
    ]


def _remote_fingerprint(remote: RemotePost) -> tuple[Any, ...]:
    raw = remote.raw
    when = raw.get("schedule_for") or {}
    schedule = _instant(when) if isinstance(when, dict) else None  # the instant, any zone
    workspace = raw.get("workspace_id")
    return (
        str(workspace) if workspace is not None else None,
        str(raw.get("schedule_type", "")),
        schedule if raw.get("schedule_type") == "schedule" else None,
        tuple(
            (str(c.get("text") or ""), len(c.get("media") or []))
            for c in _items(raw.get("content"))
        ),
    )


def _sent(posts: Sequence[Post], data: Any, status: int, method: str, path: str) -> list[SentPost]:
    """The SentPosts of a create or update answer, each account's own status checked.

    The server may store the post yet refuse some accounts (a disconnected account, a platform
    rule): those come back with ``error`` set to the server's message, the others as sent.
    """
    outer = data if isinstance(data, dict) else {}
    item = outer["data"] if isinstance(outer.get("data"), dict) else outer
    remote = item.get("id")
    if remote is None:
        raise FatalApiError(
            f"{method} {path}: answer has no post id ({data!r:.200})",
            status=status,
            method=method,
            path=path,
            body=data,
        )
    answered = {str(a.get("id")): a for a in _items(item.get("accounts")) if "id" in a}
    out = []
    for post in posts:
        account = answered.get(post.channel.id, {})
        state = str(account.get("status") or "").lower()
        error = None
        if state in FAILED_STATUSES:
            reason = account.get("error") or account.get("message") or account.get("reason")
            error = f"{post.channel.name}: {reason or state}"
        out.append(SentPost(post.key, str(remote), post.channel.id, error=error))
    return out


def _span(posts: Sequence[Post]) -> tuple[datetime, datetime]:
    moments = [p.publish_at.astimezone(UTC) for p in posts]
    return min(moments) - timedelta(minutes=1), max(moments) + timedelta(minutes=1)


def _instant(when: Mapping[str, Any]) -> datetime | None:
    try:
        local = datetime.strptime(f"{when.get('date')} {when.get('time')}", "%Y-%m-%d %H:%M")
        zone = ZoneInfo(str(when.get("timezone") or "UTC"))
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


def _rejected(exc: FatalApiError, posts: Sequence[Post]) -> FatalApiError:
    """A 422 naming ``accounts.N`` becomes a refusal of that account's Post only."""
    fields = field_errors(exc.body)
    if exc.status != 422 or fields is None:
        return exc
    for name, messages in fields.fields.items():
        parts = name.split(".")
        if parts[0] == "accounts" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(posts):
                channel = posts[index].channel
                code = report_code(name, messages)
                return ValidationRejected(
                    f"[{code}] {channel.name}: {name}: {' '.join(messages)}",
                    provider=channel.identifier,
                    channel=channel.id,
                    status=422,
                    method="POST",
                    path="/posts",
                    body=exc.body,
                )
    return exc


def report_code(field: str, messages: Sequence[str]) -> str:
    """The validation report's code for a 422 field error (``text-too-long``, …)."""
    text = " ".join(messages).lower()
    if "may not be greater than" in text or "too long" in text or "characters" in text:
        return "text-too-long"
    if field.startswith("accounts") and field.endswith(".id"):
        return "unknown-channel"
    if ".media" in field:
        return "bad-media-type" if "type" in text or "format" in text else "too-many-media"
    if "settings" in field:
        return "missing-setting" if "required" in text else "bad-value"
    if "schedule_for" in field:
        return "bad-datetime"
    if "required" in text:
        return "missing-field"
    return "bad-value"


def _media_item(ref: MediaRef, media: Mapping[str, UploadedMedia]) -> int | str:
    uploaded = media.get(ref.dedupe_key)
    if uploaded is not None:
        return int(uploaded.id) if uploaded.id.isdigit() else uploaded.id
    if ref.url and ref.url.startswith("https://"):
        return ref.url  # the API takes https URLs inline too
    raise ConfigError(f"media {ref.source} was not uploaded before its post")


def _media_url(item: Mapping[str, Any]) -> str:
    return str(item.get("url") or item.get("path") or item.get("source_url") or "")


def _first_media(data: Any) -> dict[str, Any] | None:
    if isinstance(data, dict):
        for key in ("media", "data"):
            inner = data.get(key)
            if isinstance(inner, list) and inner and isinstance(inner[0], dict):
                return inner[0]
            if isinstance(inner, dict) and "id" in inner:
                return inner
        if "id" in data:
            return data
    return None


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


@contextmanager
def connect(
    target: PostSyncerTarget, costs: CostModel, state_dir: Path
) -> Iterator[tuple[PostSyncerBackend, str]]:
    """A backend for ``target`` and a line saying where it points; embedded starts a sandbox.

    The embedded sandbox keeps its state in ``state_dir`` (posts, media, the window), so a
    re-run resumes against the same server state.
    """
    limit, window = costs.limit, costs.window_seconds
    if not target.embedded:
        with PostSyncerClient(
            target.base_url,
            target.token,
            upload_url=target.upload_url,
            limit=limit,
            window_seconds=window,
        ) as client:
            yield PostSyncerBackend(client, costs=costs), client.base_url
        return
    from calendar_sched.sandbox.postsyncer.server import start_embedded_postsyncer

    with (
        start_embedded_postsyncer(state_dir, limit=limit, window=window) as sandbox,
        PostSyncerClient(
            sandbox.api_url, sandbox.api_key, limit=limit, window_seconds=window
        ) as client,
    ):
        where = (
            f"the built-in PostSyncer sandbox ({limit} calls per {window:g} s, every call "
            f"counted; state in {state_dir}/) — nothing is published. Set "
            "POSTSYNCER_API_TOKEN to use your account."
        )
        yield (
            PostSyncerBackend(client, costs=costs, fingerprint=postsyncer_fingerprint("embedded")),
            where,
        )
