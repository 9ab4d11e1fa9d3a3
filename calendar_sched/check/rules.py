"""Per-platform rules of Postiz providers: length, media and settings.

Shared by validation (row errors with codes) and the sandbox (the server's 400 answers), so the
two cannot disagree. Source: reference/postiz-api.md §3 and §8; the checks that depend on
settings or on the mix of media are in :mod:`calendar_sched.check.provider_checks`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from calendar_sched.check import provider_checks
from calendar_sched.check.violation import Item as Item
from calendar_sched.check.violation import Violation as Violation
from calendar_sched.check.x_length import utf16_length, x_length, x_length_bound


@dataclass(frozen=True)
class Setting:
    """A provider setting: whether it is required, its allowed values and a safe default.

    ``when`` makes it apply only while another setting has a value (class-validator's
    ``ValidateIf``), ``unless`` makes it not apply while another setting has one. ``message`` is
    Postiz's own wording where the DTO has a custom one.
    """

    key: str
    choices: tuple[Any, ...] | None = None
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    required: bool = True
    when: tuple[str, Any] | None = None
    unless: tuple[str, Any] | None = None
    url: bool = False
    pattern: str | None = None
    message: str | None = None

    def applies(self, settings: dict[str, Any]) -> bool:
        """Whether the setting is checked at all for these settings."""
        if self.when is not None and settings.get(self.when[0]) != self.when[1]:
            return False
        return self.unless is None or settings.get(self.unless[0]) != self.unless[1]


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
    every_item: bool = False  # media rules checked on every thread item (bluesky), not the first
    settings: tuple[Setting, ...] = ()  # required for every post (X's unless it is an article)
    # Not always required: optional ones (checked when given) and ones required only while
    # another setting has a value (``when``: an X article's title and status).
    extra: tuple[Setting, ...] = ()
    rules_text: str = ""
    # The platform's own media limit where Postiz does not check it: the post passes the API
    # and fails at publish time, so validate reports it (Violation.server False).
    platform_media_max: int | None = None
    article_max_length: int | None = None  # x: post_type article


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
_TIKTOK_OPTIONAL = (Setting("title", required=False, max_length=90),)
_ARTICLE = ("post_type", "article")
_X_COMMUNITY = (
    "Invalid X community URL. It should be in the format: "
    "https://x.com/i/communities/1493446837214187523"
)
_INSTAGRAM = (Setting("post_type", ("post", "story"), "post"),)
_INSTAGRAM_OPTIONAL = (
    Setting("graduation_strategy", ("MANUAL", "SS_PERFORMANCE"), required=False),
)

PROVIDERS: dict[str, ProviderRule] = {
    r.identifier: r
    for r in [
        ProviderRule(
            "x",
            280,
            verified_max_length=4000,
            article_max_length=100000,
            platform_media_max=4,
            settings=(
                # ValidateIf: an article has no who_can_reply_post (x.dto.ts).
                Setting(
                    "who_can_reply_post",
                    ("everyone", "following", "mentionedUsers", "subscribers", "verified"),
                    "everyone",
                    unless=_ARTICLE,
                ),
            ),
            extra=(
                Setting("article_title", when=_ARTICLE),
                Setting("article_status", ("draft", "published"), when=_ARTICLE),
                Setting("post_type", ("post", "article"), required=False),
                Setting(
                    "community",
                    required=False,
                    pattern=r"^(https://x\.com/i/communities/\d+)?$",
                    message=_X_COMMUNITY,
                ),
            ),
            rules_text="X can have up to 4 pictures or 1 video",
        ),
        ProviderRule("linkedin", 3000, video_alone=True, comments_text_only=True),
        ProviderRule("linkedin-page", 3000, video_alone=True, comments_text_only=True),
        ProviderRule(
            "facebook",
            63206,
            extra=(
                Setting("post_type", ("post", "story"), required=False),
                Setting("url", required=False, url=True),
            ),
        ),
        ProviderRule(
            "instagram",
            2200,
            media_min=1,
            media_max=10,
            settings=_INSTAGRAM,
            extra=_INSTAGRAM_OPTIONAL,
        ),
        ProviderRule(
            "instagram-standalone",
            2200,
            media_min=1,
            platform_media_max=10,  # Instagram's carousel limit; Postiz checks it on instagram only
            settings=_INSTAGRAM,
            extra=_INSTAGRAM_OPTIONAL,
        ),
        ProviderRule("threads", 500),
        ProviderRule("bluesky", 300, media_max=4, video_alone=True, every_item=True),
        ProviderRule("mastodon", 500),
        ProviderRule(
            "tiktok",
            2000,
            media_min=1,
            video_alone=True,
            images_only_if_several=True,
            settings=_TIKTOK,
            extra=_TIKTOK_OPTIONAL,
        ),
        ProviderRule(
            "tiktok-business",
            2200,
            media_min=1,
            media_max=35,
            video_alone=True,
            images_only_if_several=True,
            settings=_TIKTOK,
            extra=_TIKTOK_OPTIONAL,
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
            extra=(Setting("selfDeclaredMadeForKids", ("yes", "no"), required=False),),
        ),
        ProviderRule(
            "pinterest",
            500,
            media_min=1,
            media_max=5,
            settings=(Setting("board", message="Board is required"),),
            extra=(
                Setting("title", required=False, max_length=100),
                Setting("link", required=False, url=True),
            ),
        ),
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
        ProviderRule("tumblr", 32768, media_max=31),  # ≤30 images and ≤1 video: provider_checks
        ProviderRule("mewe", 63206, settings=(Setting("postType", ("timeline", "group")),)),
        ProviderRule("moltbook", 300, settings=(Setting("submolt"),)),
        ProviderRule(
            "skool", 5000, settings=(Setting("group"), Setting("label"), Setting("title"))
        ),
        ProviderRule("whop", 50000, settings=(Setting("company"), Setting("experience"))),
    ]
}


def rule_for(identifier: str) -> ProviderRule:
    """The rule of a provider; unknown providers get a permissive default."""
    return PROVIDERS.get(identifier) or ProviderRule(identifier, 100000)


def text_length(identifier: str, text: str) -> int:
    """Length as Postiz's too-long check counts it, untrimmed (posts.service.ts validatePosts).

    ``x``: the larger of twitter-text's weighted length and the JS length, so a URL longer than
    23 characters counts in full; every other provider: UTF-16 code units (JS ``length``).
    """
    if identifier == "x":
        return _x_length(text)
    return utf16_length(text)


# A row's text is sized once for all its X channels (recent texts only: rows come in order).
_x_length = functools.lru_cache(maxsize=1024)(x_length)


def max_length(
    identifier: str, *, verified: bool = False, settings: dict[str, Any] | None = None
) -> int:
    """The provider's maximum length of one item (``maxLength(additionalSettings, settings)``)."""
    rule = rule_for(identifier)
    if rule.article_max_length and settings and settings.get("post_type") == "article":
        return rule.article_max_length
    if verified and rule.verified_max_length:
        return rule.verified_max_length
    return rule.max_length


def js_trim(text: str) -> str:
    """JavaScript's ``String.prototype.trim`` (its whitespace is not Python's)."""
    return text.strip(_JS_SPACE)


_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
_JS_SPACE += "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def fill_defaults(identifier: str, settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings with safe defaults filled in, and the keys that were filled."""
    out = dict(settings)
    filled = []
    for setting in rule_for(identifier).settings:
        if (
            setting.default is not None
            and _is_missing(out.get(setting.key))
            and setting.applies(out)
        ):
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
    """Every rule a post breaks; drafts get the empty and settings checks only.

    Empty and too-long are checked on every item of the thread (posts.service.ts
    ``validatePosts``); media rules on the first item, or on every item where the provider's
    ``checkValidity`` looks at them all (bluesky).
    """
    shape = check_shape(identifier, items, settings, post_type=post_type)
    return with_lengths(shape, identifier, items, settings, post_type=post_type, verified=verified)


def with_lengths(
    shape: tuple[list[Violation], list[Violation]],
    identifier: str,
    items: Sequence[Item],
    settings: dict[str, Any],
    *,
    post_type: str = "schedule",
    verified: bool = False,
) -> list[Violation]:
    """A post's violations from its ``check_shape`` answer: the lengths between (not on drafts)."""
    empty, rest = shape
    if post_type == "draft":
        return [*empty, *rest]
    return [*empty, *check_lengths(identifier, items, settings, verified=verified), *rest]


def check_shape(
    identifier: str, items: Sequence[Item], settings: dict[str, Any], *, post_type: str = "schedule"
) -> tuple[list[Violation], list[Violation]]:
    """``check_post`` but the lengths: (empty items, then media, provider and settings rules).

    They read of the text only whether it is empty, so posts of one platform whose items have
    the same emptiness and media kinds, the same settings and type share the answer.
    """
    rule = rule_for(identifier)
    empty: list[Violation] = []
    for index, item in enumerate(items):
        if not item.media and not js_trim(item.text):
            empty.append(
                Violation(
                    "empty-post",
                    "the post has neither text nor media; add one of them",
                    "Your post should have at least one character or one image.",
                    index,
                    "text",
                )
            )
    rest: list[Violation] = []
    if post_type == "draft":
        # The settings DTO runs on drafts too (the client sends no per-post type); checkValidity
        # and the length check do not (posts.service.ts mapTypeToPost, validatePosts).
        extra = provider_checks.check(identifier, items, settings)
        rest.extend(v for v in extra if (v.field or "").startswith("settings."))
        rest.extend(_check_settings(rule, settings))
        return empty, rest
    rest.extend(_check_media(rule, items))
    rest.extend(provider_checks.check(identifier, items, settings))
    rest.extend(_check_settings(rule, settings))
    return empty, rest


def check_lengths(
    identifier: str, items: Sequence[Item], settings: dict[str, Any], *, verified: bool = False
) -> list[Violation]:
    """``text-too-long`` for each item over the provider's limit (not checked on drafts)."""
    limit = max_length(identifier, verified=verified, settings=settings)
    found: list[Violation] = []
    for index, item in enumerate(items):
        if surely_short(identifier, (item,), limit):
            continue  # no exact count needed
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
    return found


def surely_short(identifier: str, items: Sequence[Item], limit: int) -> bool:
    """True when every item is surely within ``limit`` by an upper bound of its length (a
    character is at most two UTF-16 units; X: ``x_length_bound``), with no exact count."""
    x = identifier == "x"
    for item in items:  # noqa: SIM110 - a loop: all() over a generator costs more than the test
        if (x_length_bound(item.text) if x else 2 * len(item.text)) > limit:
            return False
    return True


def _check_media(rule: ProviderRule, items: Sequence[Item]) -> list[Violation]:
    found: list[Violation] = []
    if not items:
        return found
    checked = list(enumerate(items)) if rule.every_item else [(0, items[0])]
    for index, item in checked:
        found.extend(_media_of_item(rule, list(item.media), index))
    if rule.comments_text_only:
        for index, item in enumerate(items[1:], start=1):
            if item.media:
                found.append(
                    Violation(
                        "bad-media-type",
                        f"comments on {rule.identifier} are text only; remove their media",
                        "Comments can only contain text",
                        index,
                        "media",
                    )
                )
    return found


def _media_of_item(rule: ProviderRule, media: list[str], index: int) -> list[Violation]:
    found = []
    name = rule.identifier

    def bad(code: str, message: str, server: str, *, by_server: bool = True) -> None:
        found.append(Violation(code, message, server, index, "media", by_server))

    if len(media) < rule.media_min:
        need = "a video" if rule.video_required else "at least one image or video"
        bad(
            "media-required",
            f"{name} needs {need}; add media",
            _MEDIA_REQUIRED.get(name, f"{name} requires media"),
        )
    if rule.media_max is not None and len(media) > rule.media_max:
        bad(
            "too-many-media",
            f"{len(media)} media; {name} allows at most {rule.media_max}",
            _TOO_MANY.get(name, f"{name} supports at most {rule.media_max} media"),
        )
    elif rule.platform_media_max is not None and len(media) > rule.platform_media_max:
        bad(
            "too-many-media",
            f"{len(media)} media; {name} takes at most {rule.platform_media_max} (Postiz accepts "
            "the post but the platform refuses it when it is published)",
            "",
            by_server=False,
        )
    if rule.video_required and media and any(kind != "video" for kind in media):
        bad("bad-media-type", f"{name} needs an mp4 video", "Item must be a video")
    if rule.images_only and "video" in media:
        bad("bad-media-type", f"{name} takes images only", f"{name} does not support videos")
    if rule.video_alone and "video" in media and len(media) > 1:
        bad(
            "too-many-media",
            f"a video must be the only media on {name}",
            _VIDEO_ALONE.get(name, "A video must be the only media"),
        )
    elif rule.images_only_if_several and len(media) > 1 and "video" in media:
        bad(
            "too-many-media",
            f"several media on {name} must all be images",
            "Multiple items must all be images",
        )
    return found


# Postiz's own checkValidity wording where the provider source has it (reference §8).
_MEDIA_REQUIRED = {
    "instagram": "Should have at least one media",
    "instagram-standalone": "Should have at least one media",
    "youtube": "You need one media",
}
_TOO_MANY = {
    "instagram": "Instagram carousel only supports up to 10 media attachments",
    "bluesky": "There can be maximum 4 pictures in a post.",
    "youtube": "You need one media",
}
_VIDEO_ALONE = {"bluesky": "You can only upload one video per post."}


def _check_settings(rule: ProviderRule, settings: dict[str, Any]) -> list[Violation]:
    found = []
    for setting in (*rule.settings, *rule.extra):
        if not setting.applies(settings):
            continue
        value = settings.get(setting.key)
        field_name = f"settings.{rule.identifier}.{setting.key}"
        if _is_missing(value):
            if setting.required:
                hint = f" ({' | '.join(map(str, setting.choices))})" if setting.choices else ""
                found.append(
                    Violation(
                        "missing-setting",
                        f"{rule.identifier} needs setting {setting.key}{hint}: add a "
                        f"{field_name} column",
                        setting.message or f"{setting.key} should not be empty",
                        0,
                        field_name,
                    )
                )
            continue
        found.extend(
            Violation("bad-value", message, server, 0, field_name)
            for message, server in _value_problems(setting, value)
        )
    return found


def _value_problems(setting: Setting, value: Any) -> list[tuple[str, str]]:
    """(message, server message) for each way a present value breaks the setting."""
    key = setting.key
    out = []
    if setting.choices is not None and value not in setting.choices:
        allowed = " | ".join(map(str, setting.choices))
        out.append(
            (
                f"{key}={value!r} is not allowed; use one of {allowed}",
                f"{key} must be one of the following values: "
                + ", ".join(map(str, setting.choices)),
            )
        )
    size = len(value) if isinstance(value, str | list) else None
    if size is not None and setting.min_length and size < setting.min_length:
        out.append(
            (
                f"{key} must be at least {setting.min_length} characters",
                f"{key} must be longer than or equal to {setting.min_length} characters",
            )
        )
    if size is not None and setting.max_length and size > setting.max_length:
        out.append(
            (
                f"{key} has {size} characters; at most {setting.max_length} are allowed",
                f"{key} must be shorter than or equal to {setting.max_length} characters",
            )
        )
    if setting.url and not is_url(value):
        out.append(
            (
                f"{key} must be a URL such as https://example.com/page",
                f"{key} must be a URL address",
            )
        )
    if setting.pattern and not (isinstance(value, str) and re.fullmatch(setting.pattern, value)):
        out.append(
            (f"{key}={value!r}: {setting.message}", setting.message or f"{key} is not valid")
        )
    return out


def is_url(value: Any) -> bool:
    """class-validator ``IsUrl`` with its defaults (validator.js ``isURL``): a scheme is optional.

    http, https or ftp; a host name with a top-level domain (or an IPv4 address); no spaces.
    """
    return isinstance(value, str) and _url_pattern().fullmatch(value) is not None


@functools.cache
def _url_pattern() -> re.Pattern[str]:
    # Compiled on first use: case-folding its wide ranges takes a tenth of a second at start-up.
    return re.compile(
        r"(?:(?:https?|ftp)://)?"
        r"(?:[^\s/@:]+(?::[^\s/@]*)?@)?"
        r"(?:(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,62}[a-z0-9\u00a1-\uffff])?\.)+"
        r"(?:[a-z\u00a1-\uffff]{2,63}|xn--[a-z0-9-]{2,59})"
        r"|(?:\d{1,3}\.){3}\d{1,3})"
        r"(?::\d{1,5})?"
        r"(?:[/?#]\S*)?",
        re.IGNORECASE,
    )


def _is_missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
