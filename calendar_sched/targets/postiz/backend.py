"""The Postiz backend: request bodies, the pack key, and the Public API calls.

One ``POST /public/v1/posts`` carries every Post that shares a publish instant, type, short-link
flag, tags and repeat interval; each Post is one ``posts[]`` element with its own integration,
values (main post + thread items with ``delay``) and settings. Only that call counts against the
quota on current servers (reference/postiz-api.md §2–3).
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from calendar_sched.check.rules import rule_for
from calendar_sched.errors import ConfigError, FatalApiError, InputError
from calendar_sched.identity import first_value_id, url_media_id
from calendar_sched.load.channels import validate_channels
from calendar_sched.models import Channel, MediaRef, Post, PostValue, utc_iso
from calendar_sched.targets.base import (
    CostModel,
    RemotePost,
    SentPost,
    UploadedMedia,
)
from calendar_sched.targets.config import target_fingerprint
from calendar_sched.targets.http import ClientBackend
from calendar_sched.targets.postiz.client import ApiResponse, PostizClient

#: Stand-ins for media not uploaded yet, as long as real Postiz answers, so sizes are honest.
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_MEDIA_ID = PLACEHOLDER_ID
PLACEHOLDER_MEDIA_PATH = "https://uploads.postiz.com/2026/12/01/" + "0" * 32

#: Room kept in every body for the top-level fields (date, type, tags, inter).
ENVELOPE_RESERVE = 1024

#: Distinct texts whose sizes ``post_bytes`` remembers: the channels of one row share a text;
#: the cache is emptied when full, so memory stays bounded.
_CACHE_SIZE = 4096
#: Distinct channels and settings whose element sizes ``post_bytes`` remembers: an agency
#: account has thousands of channels, each used all month (emptied when full, as above).
_SKELETONS = 65536


def to_html(text: str) -> str:
    """Each line as an escaped ``<p>`` paragraph, so ``& < >`` are published as typed."""
    if not text:
        return ""
    if "\n" not in text and "\r" not in text:
        return f"<p>{html.escape(text, quote=False)}</p>"
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines)


def dumps(data: Any) -> bytes:
    """JSON exactly as sent (compact, UTF-8), so measured sizes are the real ones."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


# Sizes of the fixed parts of a ``posts[]`` element, as ``dumps`` writes them: a value with empty
# content, no image and delay 0 (less the ``""`` and the ``0``), and one placeholder image per kind.
_VALUE_BASE = len(dumps({"id": PLACEHOLDER_ID, "content": "", "image": [], "delay": 0})) - 3
_IMAGE_BYTES = len(dumps({"id": PLACEHOLDER_MEDIA_ID, "path": PLACEHOLDER_MEDIA_PATH + ".png"}))
_VIDEO_BYTES = len(dumps({"id": PLACEHOLDER_MEDIA_ID, "path": PLACEHOLDER_MEDIA_PATH + ".mp4"}))
#: Printable ASCII but ``" & < > \\``: such a text's content is ``"<p>" + text + "</p>"`` quoted.
_PLAIN = re.compile(r"[ !#-%'-;=?-\[\]-~]*")
_ONE_PARAGRAPH = len('"<p></p>"')


class PostizBackend(ClientBackend[PostizClient]):
    """Postiz Public API v1: pure request building for the planner, I/O for the executor."""

    offline_message = "this Postiz backend is offline (no API URL and key)"

    name = "postiz"

    def __init__(
        self,
        client: PostizClient | None = None,
        *,
        costs: CostModel | None = None,
        fingerprint: str | None = None,
        republish: Collection[str] = (),
    ) -> None:
        self.client = client
        self.costs = costs or CostModel()
        self._republish = frozenset(republish)
        base = client.base_url if client else "offline"
        self.fingerprint = fingerprint or target_fingerprint(base)
        self._content_bytes: dict[str, int] = {}  # text → size of its JSON "content" string
        self._skeleton_bytes: dict[Hashable, int] = {}  # element without values
        # The last values sized: an entry's Posts, planned one after the other, share them.
        self._last_values: tuple[list[PostValue], int] | None = None

    def __repr__(self) -> str:
        return f"PostizBackend(client={self.client!r}, costs={self.costs!r})"

    @property
    def republish(self) -> frozenset[str]:
        """Keys of Posts to publish again although they are PUBLISHED (``republish: true``)."""
        return self._republish

    def with_republish(self, keys: Collection[str]) -> PostizBackend:
        """This backend (same client, quota and fingerprint) republishing ``keys`` instead."""
        return PostizBackend(
            self.client, costs=self.costs, fingerprint=self.fingerprint, republish=keys
        )

    # pure: what the planner uses

    def pack_key(self, post: Post) -> Hashable:
        """(publish instant, type, short link, tags, repeat, republish): one request shares it."""
        return (
            post.publish_at.astimezone(UTC),
            post.type,
            post.short_link,
            tuple(post.tags),
            post.repeat_every_days,
            bool(self._republish) and post.key in self._republish,
        )

    def post_bytes(self, post: Post) -> int:
        """Size of this Post's ``posts[]`` element plus its comma, with placeholder media.

        Exactly ``len(dumps(post_element(post, {}, placeholders=True))) + 1``, added up from
        the parts' sizes rather than by serialising the element: the planner sizes every Post.
        """
        size = self._skeleton_size(post.channel, post.settings)
        values = post.values
        last = self._last_values
        if last is not None and last[0] is values:  # held here, so never another list's id
            return size + last[1]
        size_of_values = self._values_size(values)
        self._last_values = (values, size_of_values)
        return size + size_of_values

    def _values_size(self, values: list[PostValue]) -> int:
        size = len(values) or 1  # commas between values, and the element's own
        content_size = self._content_size
        for value in values:
            size += _VALUE_BASE + content_size(value.text)
            delay = value.delay
            size += len(str(delay)) if type(delay) is int else len(dumps(delay))
            if value.media:
                size += len(value.media) - 1  # commas between images
                for ref in value.media:
                    size += _VIDEO_BYTES if ref.kind == "video" else _IMAGE_BYTES
        return size

    def _skeleton_size(self, channel: Channel, settings: dict[str, Any]) -> int:
        # The element with no values: integration and settings, as ``post_element`` writes them.
        # Cached per channel and settings; the values' types are in the key, since 1, 1.0 and
        # True are equal but written differently. Unhashable settings are measured each time.
        try:
            key: Hashable = (
                (channel.id, channel.identifier)
                if not settings
                else (
                    channel.id,
                    channel.identifier,
                    tuple(settings.items()),
                    tuple(map(type, settings.values())),
                )
            )
            found = self._skeleton_bytes.get(key)
        except TypeError:
            key = found = None
        if found is not None:
            return found
        element = {
            "integration": {"id": channel.id},
            "value": [],
            "settings": {"__type": channel.identifier, **settings},
        }
        size = len(dumps(element))
        if key is not None:
            if len(self._skeleton_bytes) >= _SKELETONS:
                self._skeleton_bytes.clear()
            self._skeleton_bytes[key] = size
        return size

    def _content_size(self, text: str) -> int:
        cache = self._content_bytes
        size = cache.get(text)
        if size is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            if text and _PLAIN.fullmatch(text):  # escaped by neither HTML nor JSON, one line
                size = cache[text] = len(text) + _ONE_PARAGRAPH
            else:
                size = cache[text] = _utf8_len(encode_basestring(to_html(text)))
        return size

    def envelope_bytes(self) -> int:
        """Size of a body with no posts, plus a reserve for tags."""
        sample = {
            "type": "schedule",
            "shortLink": False,
            "date": "2026-12-01T09:00:00Z",
            "tags": [],
            "posts": [],
            "inter": 365,
        }
        return len(dumps(sample)) + ENVELOPE_RESERVE

    def build_body(
        self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]
    ) -> dict[str, Any]:
        """The JSON body of one ``POST /posts`` carrying ``posts`` (which share a pack key)."""
        if not posts:
            raise ValueError("a request needs at least one post")
        first = posts[0]
        keys = {self.pack_key(p) for p in posts}
        if len(keys) > 1:
            raise ValueError("posts of one request must share the pack key")
        body: dict[str, Any] = {
            "type": first.type,
            "shortLink": first.short_link,
            "date": utc_iso(first.publish_at),
            "tags": [{"value": tag, "label": tag} for tag in first.tags],
            "posts": [self.post_element(post, media) for post in posts],
        }
        if first.repeat_every_days:
            body["inter"] = first.repeat_every_days
        if first.key in self._republish:
            body["republish"] = True
        return body

    def post_element(
        self, post: Post, media: Mapping[str, UploadedMedia], *, placeholders: bool = False
    ) -> dict[str, Any]:
        """One ``posts[]`` element: integration, values with deterministic ids, settings."""
        values = [
            {
                # Every UUID string has 36 characters: sizing needs no real id.
                "id": PLACEHOLDER_ID if placeholders else self._value_id(post, position),
                "content": to_html(value.text),
                "image": [self._image(ref, media, placeholders) for ref in value.media],
                "delay": value.delay,
            }
            for position, value in enumerate(post.values)
        ]
        return {
            "integration": {"id": post.channel.id},
            "value": values,
            "settings": {"__type": post.channel.identifier, **post.settings},
        }

    def _value_id(self, post: Post, position: int) -> str:
        if position == 0:
            return first_value_id(post, self.fingerprint)
        return post.value_id(self.fingerprint, position)

    def _image(
        self, ref: MediaRef, media: Mapping[str, UploadedMedia], placeholders: bool
    ) -> dict[str, str]:
        uploaded = media.get(ref.dedupe_key)
        if uploaded is not None:
            return {"id": uploaded.id, "path": uploaded.path}
        if placeholders:  # sizing before uploads: a realistic stand-in
            suffix = ".mp4" if ref.kind == "video" else ".png"
            return {"id": PLACEHOLDER_MEDIA_ID, "path": PLACEHOLDER_MEDIA_PATH + suffix}
        if ref.url:  # Postiz accepts any fetchable URL with a media extension
            return {"id": url_media_id(ref.url), "path": ref.url}
        raise ConfigError(f"media {ref.source} was not uploaded before its post")

    def match(self, posts: Sequence[Post], listing: Sequence[RemotePost]) -> dict[str, str]:
        """Post key → listed id, by the ``value[0].id`` each Post was sent with."""
        listed = {remote.id for remote in listing}
        ids = {post.key: first_value_id(post, self.fingerprint) for post in posts}
        return {key: value_id for key, value_id in ids.items() if value_id in listed}

    # I/O: what the executor uses

    def discover(self) -> list[Channel]:
        """``GET /integrations`` (free): every channel, disabled ones included."""
        data = self._api().request("GET", "/integrations").data
        if not isinstance(data, list):
            raise FatalApiError("GET /integrations: expected a list", path="/integrations")
        return validate_channels(data)

    def integration_settings(self, channel_id: str) -> dict[str, Any]:
        """``GET /integration-settings/:id`` (free): rules, maxLength and settings schema."""
        data = self._api().request("GET", f"/integration-settings/{channel_id}").data
        output = data.get("output", data) if isinstance(data, dict) else {}
        return output if isinstance(output, dict) else {}

    def required_settings(self, channel: Channel, *, live: bool = True) -> list[str]:
        """Settings the provider requires: from the server's schema, else from rules.py."""
        if live and self.client is not None:
            schema = self.integration_settings(channel.id).get("settings")
            if isinstance(schema, dict):
                return [str(key) for key in schema.get("required", [])]
            return []
        return [setting.key for setting in rule_for(channel.identifier).settings]

    def upload(self, media: MediaRef) -> UploadedMedia:
        """``POST /upload`` for a local file, ``/upload-from-url`` for a URL."""
        if media.path:
            path = Path(media.path)
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read media {media.source}: {exc}") from exc
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            answer = self._api().request(
                "POST", "/upload", files={"file": (path.name, content, mime)}
            )
        else:
            answer = self._api().request(
                "POST", "/upload-from-url", json_body={"url": media.url or media.source}
            )
        self._note_upload_cost(answer)
        data = answer.data if isinstance(answer.data, dict) else {}
        if not data.get("id") or not data.get("path"):
            raise FatalApiError(f"upload of {media.source}: answer has no id/path", path="/upload")
        return UploadedMedia(key=media.dedupe_key, id=str(data["id"]), path=str(data["path"]))

    def _note_upload_cost(self, answer: ApiResponse) -> None:
        # Older servers throttle uploads too; their answers then carry X-RateLimit-* headers.
        if answer.rate is not None and not self.costs.counts_uploads:
            self.costs = replace(self.costs, counts_uploads=True)

    def create(self, posts: Sequence[Post], media: Mapping[str, UploadedMedia]) -> list[SentPost]:
        """ONE counted ``POST /posts``; a resend upserts thanks to deterministic value ids."""
        body = dumps(self.build_body(posts, media))
        answer = self._api().request("POST", "/posts", content=body)
        items = answer.data
        if not isinstance(items, list) or len(items) != len(posts):
            raise FatalApiError(
                f"POST /posts: expected {len(posts)} results, got {items!r:.200}",
                status=answer.status,
                method="POST",
                path="/posts",
                body=items,
            )
        sent = []
        for post, answered in zip(posts, items, strict=True):
            item = answered if isinstance(answered, dict) else {}
            remote = item.get("postId")
            sent.append(
                SentPost(
                    post_key=post.key,
                    remote_id=str(remote or first_value_id(post, self.fingerprint)),
                    channel_id=str(item.get("integration", post.channel.id)),
                )
            )
        return sent

    def list_posts(self, start: datetime, end: datetime) -> list[RemotePost]:
        """``GET /posts`` between two instants, both inclusive (free; root posts only)."""
        params = {"startDate": utc_iso(start), "endDate": utc_iso(end)}
        data = self._api().request("GET", "/posts", params=params).data
        items = data.get("posts", []) if isinstance(data, dict) else []
        return [_remote(item) for item in items if isinstance(item, dict)]

    def delete(self, remote_id: str) -> None:
        """``DELETE /posts/:id``: soft-deletes the post's whole group (its thread)."""
        self._api().request("DELETE", f"/posts/{remote_id}")


def _remote(item: dict[str, Any]) -> RemotePost:
    integration = item.get("integration") or {}
    raw_date = str(item.get("publishDate", ""))
    try:
        publish_at = datetime.fromisoformat(raw_date.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        publish_at = datetime.fromtimestamp(0, UTC)
    return RemotePost(
        id=str(item.get("id", "")),
        channel_id=str(integration.get("id", "")) if isinstance(integration, dict) else "",
        publish_at=publish_at,
        state=str(item.get("state", "")),
        content=str(item.get("content", "")),
        group=item.get("group"),
        raw=item,
    )
