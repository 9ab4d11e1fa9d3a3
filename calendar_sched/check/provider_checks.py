"""Provider rules that depend on settings or on the mix of media: each provider's ``checkValidity``
and the nested parts of its settings DTO (reference/postiz-api.md §8).

``rules.check_post`` runs these after the common length and media rules. Media violations are
the provider stage of ``POST /posts`` (``{statusCode, provider, name, message}``); violations on a
``settings.*`` field are its DTO stage (``message[]``), as in :mod:`calendar_sched.check.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from calendar_sched.check.violation import Item, Violation

Check = Callable[[str, Sequence[Item], dict[str, Any]], list[Violation]]

YOUTUBE_TAGS_MAX = 500  # characters of all tags together (YouTube's limit, youtube.settings.dto.ts)


def check(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """The provider-specific violations of one non-draft post."""
    own = _CHECKS.get(identifier)
    return own(identifier, items, settings) if own else []


def _violation(
    code: str, message: str, server: str, field: str, item: int = 0, *, by_server: bool = True
) -> Violation:
    return Violation(code, message, server, item, field, by_server)


def _first(items: Sequence[Item]) -> list[str]:
    return list(items[0].media) if items else []


def _truthy(value: Any) -> bool:
    """JavaScript truthiness, as the providers test their settings (``assetBoolean``)."""
    if isinstance(value, str):
        return value not in ("", "false")
    return bool(value)


def _linkedin(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """linkedin.provider.ts checkValidity: a carousel is 2 or more images and no video."""
    if not _truthy(settings.get("post_as_images_carousel")):
        return []
    media = _first(items)
    found = []
    if "video" in media:
        found.append(
            _violation(
                "bad-media-type",
                "a LinkedIn carousel (post_as_images_carousel) takes images only; remove the video",
                "Carousel can only contain images",
                "media",
            )
        )
    if media.count("image") < 2:
        found.append(
            _violation(
                "media-required",
                "a LinkedIn carousel (post_as_images_carousel) needs at least 2 images",
                "Carousel needs at least 2 images",
                "media",
            )
        )
    return found


def _facebook(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """facebook.provider.ts checkValidity: a story needs media."""
    if settings.get("post_type") == "story" and not _first(items):
        return [
            _violation(
                "media-required",
                "a Facebook story (post_type story) needs an image or a video",
                "Story needs at least one media",
                "media",
            )
        ]
    return []


def _instagram(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """instagram.provider.ts checkValidity (trial reel, audio) and InstagramDto collaborators."""
    media = _first(items)
    found = []
    if media and _truthy(settings.get("is_trial_reel")):
        if len(media) > 1:
            found.append(
                _violation(
                    "too-many-media",
                    "a trial reel (is_trial_reel) is one video; remove the other media",
                    "Trial Reels can only have one video",
                    "media",
                )
            )
        elif "video" not in media:
            found.append(
                _violation(
                    "bad-media-type",
                    "a trial reel (is_trial_reel) must be a video",
                    "Trial Reels must be a video",
                    "media",
                )
            )
    audio = settings.get("audio")
    if media and isinstance(audio, dict) and audio.get("id"):
        if settings.get("post_type") == "story":
            problem = "Audio can only be added to Reels, not to Stories"
        elif len(media) > 1:
            problem = "Audio can only be added to a single video Reel"
        elif "video" not in media:
            problem = "Audio can only be added to a video Reel"
        else:
            problem = ""
        if problem:
            found.append(_violation("bad-media-type", problem, problem, "media"))
    found.extend(_collaborators(settings.get("collaborators"), f"settings.{identifier}"))
    return found


def _collaborators(value: Any, prefix: str) -> list[Violation]:
    """``collaborators[]`` items are ``{label}`` objects with a string label (InstagramDto)."""
    if value is None:
        return []
    field = f"{prefix}.collaborators"
    if not isinstance(value, list):
        return [
            _violation(
                "bad-value",
                'collaborators must be a list such as [{"label": "handle"}]',
                "collaborators must be an array",
                field,
            )
        ]
    found = []
    for index, item in enumerate(value):
        label = item.get("label") if isinstance(item, dict) else None
        if isinstance(label, str):
            continue
        if not isinstance(item, dict):
            server = (
                "collaborators.each value in nested property collaborators must be either "
                "object or array"
            )
        elif item.get("label") is None:
            server = f"collaborators.{index}.label should not be null or undefined"
        else:
            server = f"collaborators.{index}.label must be a string"
        found.append(
            _violation(
                "bad-value",
                f'collaborator {index + 1} needs a label: write [{{"label": "handle"}}]',
                server,
                field,
            )
        )
    return found


def _pinterest(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """pinterest.provider.ts checkValidity: a video goes with exactly one cover image."""
    media = _first(items)
    if "video" in media and (len(media) != 2 or media.count("image") != 1):
        return [
            _violation(
                "media-required",
                "a Pinterest video needs exactly one cover image with it (2 media: the video "
                "and an image)",
                "If you upload a video, you must add exactly one cover image",
                "media",
            )
        ]
    return []


def _x(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """x.provider.ts checkValidity: an article takes no video."""
    if settings.get("post_type") == "article" and "video" in _first(items):
        return [
            _violation(
                "bad-media-type",
                "an X article (post_type article) cannot have a video",
                "Articles can not contain videos",
                "media",
            )
        ]
    return []


def _youtube(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """YoutubeSettingsDto: tags are ``{value, label}`` with at most 500 characters in all."""
    tags = settings.get("tags")
    if not isinstance(tags, list):
        return []
    labels = [str(t.get("label", "")) if isinstance(t, dict) else str(t) for t in tags]
    total = sum(len(label) for label in labels)
    if total <= YOUTUBE_TAGS_MAX:
        return []
    return [
        _violation(
            "bad-value",
            f"YouTube tags have {total} characters together; at most {YOUTUBE_TAGS_MAX} are "
            "allowed",
            "The maximum allowed is 500 characters in total for all tags.",
            f"settings.{identifier}.tags",
        )
    ]


def _tumblr(identifier: str, items: Sequence[Item], settings: dict[str, Any]) -> list[Violation]:
    """tumblr.provider.ts checkValidity: at most 30 images and 1 video."""
    media = _first(items)
    found = []
    if media.count("image") > 30:
        found.append(
            _violation(
                "too-many-media",
                f"{media.count('image')} images; tumblr allows at most 30",
                "Tumblr supports up to 30 images",
                "media",
            )
        )
    if media.count("video") > 1:
        found.append(
            _violation(
                "too-many-media",
                "tumblr takes one video per post",
                "Tumblr supports only one video",
                "media",
            )
        )
    return found


_CHECKS: dict[str, Check] = {
    "linkedin": _linkedin,
    "linkedin-page": _linkedin,
    "facebook": _facebook,
    "instagram": _instagram,
    "instagram-standalone": _instagram,
    "pinterest": _pinterest,
    "x": _x,
    "youtube": _youtube,
    "tumblr": _tumblr,
}
