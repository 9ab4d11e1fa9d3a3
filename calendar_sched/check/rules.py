"""Per-platform rules of Postiz providers: length, media and required settings.

Shared by validation (row errors with codes) and the sandbox (the server's 400 answers), so the
two cannot disagree. Source: reference/postiz-api.md §8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from calendar_sched.check.x_length import weighted_length


@dataclass(frozen=True)
class Setting:
    """A required provider setting: allowed values and a safe default, if there is one."""

    key: str
    choices: tuple[Any, ...] | None = None
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class ProviderRule:
    """What one provider accepts in a post."""

    identifier: str
    max_length: int
    verified_max_length: int | None = None
    media_min: int = 0
    media_max: int | None = None
    video_alone: bool = False
    video_required: bool = False  # youtube: exactly one mp4
    images_only: bool = False
    images_only_if_several: bool = False  # tiktok: several items only if all are images
    comments_text_only: bool = False
    settings: tuple[Setting, ...] = ()
    rules_text: str = ""


_BOOL = (True, False)
_TIKTOK = (
    Setting(
        "privacy_level",
        ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"),
    ),
    Setting("duet", _BOOL, False),
    Setting("stitch", _BOOL, False),
    Setting("comment", _BOOL, True),
    Setting("brand_content_toggle", _BOOL, False),
    Setting("brand_organic_toggle", _BOOL, False),
    Setting("autoAddMusic", ("yes", "no"), "no"),
    Setting("content_posting_method", ("DIRECT_POST", "UPLOAD"), "DIRECT_POST"),
)

PROVIDERS: dict[str, ProviderRule] = {
    r.identifier: r
    for r in [
        ProviderRule(
            "x",
            280,
            verified_max_length=4000,
            settings=(
                Setting(
                    "who_can_reply_post",
                    ("everyone", "following", "mentionedUsers", "subscribers", "verified"),
                    "everyone",
                ),
            ),
            rules_text="X can have up to 4 pictures or 1 video",
        ),
        ProviderRule("linkedin", 3000, video_alone=True, comments_text_only=True),
        ProviderRule("linkedin-page", 3000, video_alone=True, comments_text_only=True),
        ProviderRule("facebook", 63206),
        *(
            ProviderRule(
                identifier,
                2200,
                media_min=1,
                media_max=10,
                settings=(Setting("post_type", ("post", "story"), "post"),),
            )
            for identifier in ("instagram", "instagram-standalone")
        ),
        ProviderRule("threads", 500),
        ProviderRule("bluesky", 300, media_max=4, video_alone=True),
        ProviderRule("mastodon", 500),
        ProviderRule(
            "tiktok",
            2000,
            media_min=1,
            video_alone=True,
            images_only_if_several=True,
            settings=_TIKTOK,
        ),
        ProviderRule(
            "tiktok-business",
            2200,
            media_min=1,
            media_max=35,
            video_alone=True,
            images_only_if_several=True,
            settings=_TIKTOK,
        ),
        ProviderRule(
            "youtube",
            5000,
            media_min=1,
            media_max=1,
            video_required=True,
            settings=(
                Setting("title", min_length=2, max_length=100),
                Setting("type", ("public", "private", "unlisted")),
            ),
        ),
        ProviderRule("pinterest", 500, media_min=1, media_max=5, settings=(Setting("board"),)),
        ProviderRule("reddit", 10000, settings=(Setting("subreddit"),)),
        ProviderRule("lemmy", 10000, settings=(Setting("subreddit"),)),
        ProviderRule("discord", 1980, settings=(Setting("channel"),)),
        ProviderRule("slack", 400000, settings=(Setting("channel"),)),
        ProviderRule("telegram", 4096),
        ProviderRule("devto", 100000, settings=(Setting("title", min_length=2),)),
        ProviderRule(
            "medium",
            100000,
            settings=(Setting("title", min_length=2), Setting("subtitle", min_length=2)),
        ),
        ProviderRule(
            "hashnode",
            10000,
            settings=(Setting("title", min_length=6), Setting("publication"), Setting("tags")),
        ),
        ProviderRule(
            "wordpress", 100000, settings=(Setting("title", min_length=2), Setting("type"))
        ),
        ProviderRule("nostr", 100000),
        ProviderRule("vk", 2048),
        ProviderRule("wrapcast", 800, images_only=True),
        ProviderRule(
            "dribbble",
            40000,
            media_min=1,
            media_max=1,
            images_only=True,
            settings=(Setting("title"),),
        ),
        ProviderRule("gmb", 1500, media_max=1, images_only=True),
        ProviderRule("kick", 500),
        ProviderRule("twitch", 500),
        ProviderRule(
            "listmonk",
            100000000,
            settings=(Setting("subject", min_length=1), Setting("preview"), Setting("list")),
        ),
        ProviderRule("tumblr", 32768, media_max=31),
        ProviderRule("mewe", 63206, settings=(Setting("postType", ("timeline", "group")),)),
        ProviderRule("moltbook", 300, settings=(Setting("submolt"),)),
        ProviderRule(
            "skool", 5000, settings=(Setting("group"), Setting("label"), Setting("title"))
        ),
        ProviderRule("whop", 50000, settings=(Setting("company"), Setting("experience"))),
    ]
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: a report code, the item it concerns and the server's wording."""

    code: str
    message: str
    server_message: str
    item: int = 0  # 0 = main post, 1.. = thread items
    field: str | None = None


@dataclass
class Item:
    """A thread item as rules see it: its plain text and its media kinds."""

    text: str
    media: Sequence[str] = field(default_factory=tuple)  # "image" | "video" per item


def rule_for(identifier: str) -> ProviderRule:
    """The rule of a provider; unknown providers get a permissive default."""
    return PROVIDERS.get(identifier) or ProviderRule(identifier, 100000)


def text_length(identifier: str, text: str) -> int:
    """Length as Postiz counts it: X's weighted length for ``x``, else UTF-16 units (JS)."""
    if identifier == "x":
        return weighted_length(text)
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def max_length(identifier: str, *, verified: bool = False) -> int:
    """The provider's maximum length of one item."""
    rule = rule_for(identifier)
    if verified and rule.verified_max_length:
        return rule.verified_max_length
    return rule.max_length


def fill_defaults(identifier: str, settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings with safe defaults filled in, and the keys that were filled."""
    out = dict(settings)
    filled = []
    for setting in rule_for(identifier).settings:
        if _is_missing(out.get(setting.key)) and setting.default is not None:
            out[setting.key] = setting.default
            filled.append(setting.key)
    return out, filled


def check_post(
    identifier: str,
    items: Sequence[Item],
    settings: dict[str, Any],
    *,
    post_type: str = "schedule",
    verified: bool = False,
) -> list[Violation]:
    """Every rule a post breaks; the empty check applies to drafts too, the rest do not."""
    rule = rule_for(identifier)
    found: list[Violation] = []
    for index, item in enumerate(items):
        if not item.text.strip() and not item.media:
            found.append(
                Violation(
                    "empty-post",
                    "the post has neither text nor media; add one of them",
                    "Your post should have at least one character or one image.",
                    index,
                    "text",
                )
            )
    if post_type == "draft":
        return found
    limit = rule.verified_max_length if verified and rule.verified_max_length else rule.max_length
    for index, item in enumerate(items):
        length = text_length(identifier, item.text)
        if length > limit:
            found.append(
                Violation(
                    "text-too-long",
                    f"{length} characters; {identifier} allows {limit}: shorten it or add a "
                    f"text.{identifier} override",
                    "post is too long, please fix it",
                    index,
                    "text",
                )
            )
    if rule.media_min or any(item.media for item in items):  # else no media rule can break
        found.extend(_check_media(rule, items))
    if rule.settings:
        found.extend(_check_settings(rule, settings))
    return found


def _check_media(rule: ProviderRule, items: Sequence[Item]) -> list[Violation]:
    found = []
    media = list(items[0].media) if items else []
    name = rule.identifier

    def bad(code: str, message: str, server: str, index: int = 0) -> None:
        found.append(Violation(code, message, server, index, "media"))

    if len(media) < rule.media_min:
        need = "a video" if rule.video_required else "at least one image or video"
        bad("media-required", f"{name} needs {need}; add media", f"{name} requires media")
    if rule.media_max is not None and len(media) > rule.media_max:
        bad(
            "too-many-media",
            f"{len(media)} media; {name} allows at most {rule.media_max}",
            f"{name} supports at most {rule.media_max} media",
        )
    if rule.video_required and media and any(kind != "video" for kind in media):
        bad("bad-media-type", f"{name} needs an mp4 video", "Only mp4 videos are allowed")
    if rule.images_only and "video" in media:
        bad("bad-media-type", f"{name} takes images only", f"{name} does not support videos")
    if rule.video_alone and "video" in media and len(media) > 1:
        bad(
            "too-many-media",
            f"a video must be the only media on {name}",
            "A video must be the only media",
        )
    elif rule.images_only_if_several and len(media) > 1 and "video" in media:
        bad(
            "too-many-media",
            f"several media on {name} must all be images",
            "Multiple items must all be images",
        )
    if rule.comments_text_only:
        for index, item in enumerate(items[1:], start=1):
            if item.media:
                bad(
                    "bad-media-type",
                    f"comments on {name} are text only; remove their media",
                    "Comments can only contain text",
                    index,
                )
    return found


def _check_settings(rule: ProviderRule, settings: dict[str, Any]) -> list[Violation]:
    found = []
    for setting in rule.settings:
        value = settings.get(setting.key)
        field_name = f"settings.{rule.identifier}.{setting.key}"
        if _is_missing(value):
            hint = f" ({' | '.join(map(str, setting.choices))})" if setting.choices else ""
            found.append(
                Violation(
                    "missing-setting",
                    f"{rule.identifier} needs setting {setting.key}{hint}: add a "
                    f"{field_name} column",
                    f"{setting.key} should not be empty",
                    0,
                    field_name,
                )
            )
            continue
        if setting.choices is not None and value not in setting.choices:
            allowed = " | ".join(map(str, setting.choices))
            found.append(
                Violation(
                    "bad-value",
                    f"{setting.key}={value!r} is not allowed; use one of {allowed}",
                    f"{setting.key} must be one of the following values: {allowed}",
                    0,
                    field_name,
                )
            )
        size = len(value) if isinstance(value, str | list) else None
        if size is not None and setting.min_length and size < setting.min_length:
            found.append(
                Violation(
                    "bad-value",
                    f"{setting.key} must be at least {setting.min_length} characters",
                    f"{setting.key} must be longer than or equal to {setting.min_length} "
                    "characters",
                    0,
                    field_name,
                )
            )
        if size is not None and setting.max_length and size > setting.max_length:
            found.append(
                Violation(
                    "bad-value",
                    f"{setting.key} must be at most {setting.max_length} characters",
                    f"{setting.key} must be shorter than or equal to {setting.max_length} "
                    "characters",
                    0,
                    field_name,
                )
            )
    return found


def _is_missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
