"""Validation of ``POST /posts`` bodies with the server's 400 answers (reference §3, §8).

Stages run in the server's order over the whole request before anything is written:
integration ids present → integrations exist → ``CreatePostDto`` (``message[]`` body) →
provider rules from :mod:`calendar_sched.check.rules` (``{statusCode, provider, name, message}``).
Content is sanitised (:mod:`calendar_sched.sandbox.sanitize`) before the DTO checks it, as
Postiz's transform runs before class-validator, and is stored sanitised.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calendar_sched.check.rules import Item, Violation, check_post, is_url, js_trim
from calendar_sched.load.media import POST_MEDIA_EXTENSIONS, media_kind_of_path
from calendar_sched.sandbox.sanitize import sanitize_content, strip_tags
from calendar_sched.sandbox.store import ChannelRow, NewValue

# IsDateString (validator.js isISO8601): a space may separate date and time (2027-09-01 10:00:00).
_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$"
)
_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>|</li>\s*<li[^>]*>", re.IGNORECASE)


class Rejected(Exception):
    """An error answer: HTTP status and JSON body exactly as the server sends them."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


EMPTY_CONTENT = " If images do not exist, content must be a non-empty string."
BAD_EXTENSION = "File must have a valid extension: .png, .jpg, .jpeg, .gif, .webp, or .mp4"


def bad_request(message: str | list[str]) -> Rejected:
    """Nest's ``BadRequestException`` rendering."""
    return Rejected(400, {"message": message, "error": "Bad Request", "statusCode": 400})


@dataclass(frozen=True)
class ValidPost:
    """One ``posts[]`` element that passed every check."""

    channel: ChannelRow
    group: str | None
    settings: dict[str, Any]
    values: list[NewValue]


@dataclass(frozen=True)
class ValidRequest:
    """A whole ``POST /posts`` body that passed every check."""

    type: str | None
    date_ms: int
    tag_labels: list[str]
    inter: int | None
    republish: bool
    creation_method: str
    posts: list[ValidPost]


def plain_text(content: str) -> str:
    """The text Postiz measures, untrimmed: line-breaking tags become newlines, tags go, entities
    decode (``stripHtmlValidation('normal', content, true)``)."""
    return html.unescape(_TAG.sub("", _LINE_BREAK.sub("\n", content)))


def parse_date(value: Any) -> datetime | None:
    """An ``IsDateString`` value as an aware UTC datetime (no offset = UTC), else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def has_media_extension(path: str) -> bool:
    """``ValidUrlExtension``: the path before ``?`` has an allowed extension (case-sensitive)."""
    return path.split("?", 1)[0].endswith(POST_MEDIA_EXTENSIONS)


def validate_create(body: Any, lookup: Callable[[str], ChannelRow | None]) -> ValidRequest:
    """Check a ``POST /posts`` body; raises :class:`Rejected` with the server's answer."""
    if not isinstance(body, dict):
        body = {}
    posts = body.get("posts")
    channels = _integrations(posts, lookup)
    messages = _dto_messages(body, channels)
    if messages:
        raise bad_request(messages)
    request_type = body.get("type")
    valid_posts = []
    for raw, channel in zip(posts, channels, strict=True):
        values = [_value(item) for item in raw["value"]]
        settings = _settings(raw, channel)
        _provider_check(channel, values, settings, draft=request_type == "draft")
        group = raw.get("group")
        valid_posts.append(ValidPost(channel, group or None, settings, values))
    date = parse_date(body["date"])
    assert date is not None  # the DTO stage checked it
    method = body.get("creationMethod")
    return ValidRequest(
        type=request_type if isinstance(request_type, str) else None,
        date_ms=int(round(date.timestamp() * 1000)),
        tag_labels=[t["label"] for t in body["tags"] if isinstance(t, dict) and "label" in t],
        inter=_repeat_days(body.get("inter")),
        # enableImplicitConversion: any value is coerced to a boolean, as JavaScript does.
        republish=js_truthy(body.get("republish")),
        creation_method=method if method in ("CLI", "API") else "API",
        posts=valid_posts,
    )


def _integrations(posts: Any, lookup: Callable[[str], ChannelRow | None]) -> list[ChannelRow]:
    if not isinstance(posts, list):
        return []
    ids = []
    for raw in posts:
        integration = raw.get("integration") if isinstance(raw, dict) else None
        ident = integration.get("id") if isinstance(integration, dict) else None
        if not ident:
            raise bad_request("All posts must have an integration id")
        ids.append(str(ident))
    found = []
    for ident in ids:
        channel = lookup(ident)
        if channel is None:
            raise bad_request(f"Integration with id {ident} not found")
        found.append(channel)
    return found


def _settings(raw: dict[str, Any], channel: ChannelRow) -> dict[str, Any]:
    settings = raw.get("settings")
    out = dict(settings) if isinstance(settings, dict) else {}
    out["__type"] = channel.channel.identifier  # the server overwrites a client's __type
    return out


def _dto_messages(body: dict[str, Any], channels: list[ChannelRow]) -> list[str]:
    messages = []
    if body.get("shortLink") is None:
        # enableImplicitConversion turns any present value into a boolean; only absence fails.
        messages.append("shortLink must be a boolean value")
    if parse_date(body.get("date")) is None:
        messages.append("date must be a valid ISO 8601 date string")
    tags = body.get("tags")
    if not isinstance(tags, list):
        messages.append("tags must be an array")
    elif any(not isinstance(tag, dict | list) for tag in tags):
        # The items' fields are not checked (forbidUnknownValues false), but an item must be an
        # object: class-validator's ValidateNested message under Nest's parent path.
        messages.append("tags.each value in nested property tags must be either object or array")
    inter = body.get("inter")
    if inter is not None and _number(inter) is None:
        messages.append("inter must be a number conforming to the specified constraints")
    posts = body.get("posts")
    if not isinstance(posts, list) or not posts:
        if not isinstance(posts, list):
            messages.append("posts must be an array")
        messages.append("posts must contain at least 1 elements")
        return messages
    for index, (raw, channel) in enumerate(zip(posts, channels, strict=True)):
        messages.extend(_post_messages(f"posts.{index}", raw, channel))
    return messages


def _post_messages(prefix: str, raw: dict[str, Any], channel: ChannelRow) -> list[str]:
    messages = []
    group = raw.get("group")
    if group is not None and not isinstance(group, str):
        messages.append(f"{prefix}.group must be a string")
    values = raw.get("value")
    if not isinstance(values, list) or not values:
        if not isinstance(values, list):
            messages.append(f"{prefix}.value must be an array")
        messages.append(f"{prefix}.value must contain at least 1 elements")
    else:
        for index, item in enumerate(values):
            messages.extend(_value_messages(f"{prefix}.value.{index}", item))
    if raw.get("type") != "draft":
        # The settings DTO runs here even for draft requests; only a per-post type skips it.
        settings = _settings(raw, channel)
        for violation in check_post(channel.channel.identifier, [], settings):
            if violation.server and (violation.field or "").startswith("settings."):
                messages.append(f"{prefix}.settings.{violation.server_message}")
    return messages


def _value_messages(prefix: str, item: Any) -> list[str]:
    if not isinstance(item, dict):
        return [f"{prefix}.content must be a string", f"{prefix}.image must be an array"]
    messages = []
    content = item.get("content")
    images = item.get("image")
    if content is not None and not isinstance(content, str):
        messages.append(f"{prefix}.content must be a string")
    elif not (isinstance(images, list) and images) and not js_trim(strip_tags(_clean(content))):
        # ValidContent on the sanitised content: a custom message, rendered <path>.<message>.
        messages.append(f"{prefix}.{EMPTY_CONTENT}")
    if "id" in item and item["id"] is not None and not isinstance(item["id"], str):
        messages.append(f"{prefix}.id must be a string")
    if "delay" in item and item["delay"] is not None and _number(item["delay"]) is None:
        messages.append(f"{prefix}.delay must be a number conforming to the specified constraints")
    if not isinstance(images, list):
        messages.append(f"{prefix}.image must be an array")
        return messages
    for index, image in enumerate(images):
        messages.extend(_image_messages(f"{prefix}.image.{index}", image))
    return messages


def _image_messages(where: str, image: Any) -> list[str]:
    """``MediaDto``: id and path strings, the path's extension, an optional thumbnail URL."""
    image = image if isinstance(image, dict) else {}
    messages = []
    if not isinstance(image.get("id"), str):
        messages.append(f"{where}.id must be a string")
    path = image.get("path")
    if not isinstance(path, str):
        messages.append(f"{where}.path must be a string")
    elif not has_media_extension(path):
        messages.append(f"{where}.{BAD_EXTENSION}")  # ValidUrlExtension: <path>.<message>
    thumbnail = image.get("thumbnail")
    if thumbnail is not None and not is_url(thumbnail):
        messages.append(f"{where}.thumbnail must be a URL address")
    return messages


def _clean(content: Any) -> str:
    return sanitize_content(content) if isinstance(content, str) else ""


def _value(item: dict[str, Any]) -> NewValue:
    delay = _number(item.get("delay"))
    return NewValue(
        id=item.get("id") or str(uuid.uuid4()),
        content=_clean(item.get("content")),  # sanitised before storage; null with images → ""
        delay=delay or 0,
        image=list(item["image"]),
    )


def _provider_check(
    channel: ChannelRow, values: list[NewValue], settings: dict[str, Any], *, draft: bool
) -> None:
    identifier = channel.channel.identifier
    items = [
        Item(plain_text(v.content), [media_kind_of_path(str(i.get("path"))) for i in v.image])
        for v in values
    ]
    found = check_post(
        identifier,
        items,
        settings,
        post_type="draft" if draft else "schedule",
        verified=channel.verified,
    )
    # Platform limits Postiz does not check pass here; of a draft only emptiness is checked
    # at this stage (its settings were checked by the DTO, unless its own type said draft).
    found = [v for v in found if v.server and (not draft or v.code == "empty-post")]
    if found:
        raise Rejected(
            400,
            {
                "statusCode": 400,
                "provider": identifier,
                "name": channel.channel.name,
                "message": min(found, key=_stage).server_message,
            },
        )


def _stage(violation: Violation) -> int:
    """The order of the provider stage's checks: empty, settings DTO, checkValidity, too long."""
    if violation.code == "empty-post":
        return 0
    if (violation.field or "").startswith("settings."):
        return 1
    return 3 if violation.code == "text-too-long" else 2


def js_truthy(value: Any) -> bool:
    """JavaScript's ``Boolean(value)``: what implicit conversion makes of a boolean field."""
    if isinstance(value, dict | list):
        return True
    if isinstance(value, float) and value != value:  # NaN
        return False
    return bool(value)


def _repeat_days(value: Any) -> int | None:
    days = _number(value)
    # 0 means "no repeat"; a negative interval would expand GET /posts forever.
    return days if days is not None and days > 0 else None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None
