"""PostSyncer's JSON, pure: request parts, answers, listings and 422 field errors.

Names and shapes of the REST API v1 (reference/postsyncer-api.md): accounts as Channels,
per-account settings, ``schedule_for`` in the row's zone, listed posts as RemotePosts, the
per-account status of a create or update answer, and 422 field errors as report codes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_sched.errors import ConfigError, FatalApiError, ValidationRejected
from calendar_sched.models import Channel, MediaRef, Post
from calendar_sched.targets.base import RemotePost, SentPost, UploadedMedia
from calendar_sched.targets.postsyncer.client import field_errors

#: PostSyncer platform names that differ from the calendar's (Postiz) identifiers.
PLATFORM_TO_IDENTIFIER = {"twitter": "x"}
IDENTIFIER_TO_PLATFORM = {v: k for k, v in PLATFORM_TO_IDENTIFIER.items()}

SCHEDULE_TYPES = {"schedule": "schedule", "draft": "draft", "now": "publish_now"}
#: Per-account statuses of a create or update answer that mean the account was refused.
FAILED_STATUSES = frozenset({"failed", "error", "rejected"})
_INSTAGRAM_TYPES = {"post": "POST", "story": "STORIES", "stories": "STORIES", "reel": "REELS"}


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
    elif identifier == "pinterest":
        if "board" in out:
            out.setdefault("board_id", out.pop("board"))
        board = out.get("board_id")
        if isinstance(board, str) and board.strip().isdigit():  # a spreadsheet cell: an id
            out["board_id"] = int(board)
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


def content_key(post: Post) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((v.text, tuple(m.dedupe_key for m in v.media)) for v in post.values)


def remote_posts(item: Mapping[str, Any]) -> list[RemotePost]:
    """A listed post as one RemotePost per account it carries."""
    when = item.get("schedule_for") or {}
    publish_at = instant(when) if isinstance(when, dict) else None
    accounts = [a for a in items_of(item.get("accounts")) if "id" in a]
    content = items_of(item.get("content"))
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


def remote_fingerprint(remote: RemotePost) -> tuple[Any, ...]:
    raw = remote.raw
    when = raw.get("schedule_for") or {}
    schedule = instant(when) if isinstance(when, dict) else None  # the instant, any zone
    workspace = raw.get("workspace_id")
    return (
        str(workspace) if workspace is not None else None,
        str(raw.get("schedule_type", "")),
        schedule if raw.get("schedule_type") == "schedule" else None,
        tuple(
            (str(c.get("text") or ""), len(c.get("media") or []))
            for c in items_of(raw.get("content"))
        ),
    )


def sent_posts(
    posts: Sequence[Post], data: Any, status: int, method: str, path: str
) -> list[SentPost]:
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
    answered = {str(a.get("id")): a for a in items_of(item.get("accounts")) if "id" in a}
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


def span(posts: Sequence[Post]) -> tuple[datetime, datetime]:
    moments = [p.publish_at.astimezone(UTC) for p in posts]
    return min(moments) - timedelta(minutes=1), max(moments) + timedelta(minutes=1)


def instant(when: Mapping[str, Any]) -> datetime | None:
    try:
        local = datetime.strptime(f"{when.get('date')} {when.get('time')}", "%Y-%m-%d %H:%M")
        zone = ZoneInfo(str(when.get("timezone") or "UTC"))
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


def rejected(exc: FatalApiError, posts: Sequence[Post]) -> FatalApiError:
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


def media_item(ref: MediaRef, media: Mapping[str, UploadedMedia]) -> int | str:
    uploaded = media.get(ref.dedupe_key)
    if uploaded is not None:
        return int(uploaded.id) if uploaded.id.isdigit() else uploaded.id
    if ref.url and ref.url.startswith("https://"):
        return ref.url  # the API takes https URLs inline too
    raise ConfigError(f"media {ref.source} was not uploaded before its post")


def media_url(item: Mapping[str, Any]) -> str:
    return str(item.get("url") or item.get("path") or item.get("source_url") or "")


def first_media(data: Any) -> dict[str, Any] | None:
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


def items_of(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def as_id(value: str) -> int | str:
    return int(value) if value.isdigit() else value
