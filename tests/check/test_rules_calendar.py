"""The calendar-level side of issue #14: each Postiz rule the sandbox now follows, found by
``validate`` before a run (tests/sandbox/test_rules_provider.py checks the server side).

Docstrings name the Postiz source (gitroomhq/postiz-app at 74b01ada, reference §3 and §8).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from calendar_sched.check.validation import ValidateOptions, validate

NOW = datetime(2026, 1, 1, tzinfo=UTC)
IMAGE = "https://cdn.example.com/a.png"
VIDEO = "https://cdn.example.com/b.mp4"


def _images(count: int) -> list[str]:
    return [f"https://cdn.example.com/{n}.jpg" for n in range(count)]


def _errors(tmp_path: Path, *posts: dict[str, Any]) -> list[list[Any]]:
    """(code, field) of every error validate finds in a YAML calendar of these posts."""
    entries = [{"publish_at": "2030-06-01 09:00", **entry} for entry in posts]
    path = tmp_path / "cal.yaml"
    path.write_text(yaml.safe_dump({"timezone": "UTC", "posts": entries}), encoding="utf-8")
    result = validate([path], ValidateOptions(now=NOW))
    return result.report.flatten(["code", "field"])


def test_csv_link_column_counts_in_full_on_x(tmp_path: Path) -> None:
    """posts.service.ts validatePosts (totalCharacters): max(weightedLength, JS length).

    The link column is appended to the text; its 150 characters count in full, not as 23.
    """
    link = "https://example.com/" + "a" * 130
    path = tmp_path / "cal.csv"
    rows = [
        "publish_at,channels,text,link",
        f"2030-06-01 09:00,x,{'w' * 200},{link}",
        f"2030-06-02 09:00,x,{'w' * 250},https://example.com/s",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = validate([path], ValidateOptions(timezone="UTC", now=NOW))
    assert result.report.flatten(["row", "code", "field"]) == [[2, "text-too-long", "text"]]
    problem = result.report.errors[0]
    assert "351 characters; x allows 280" in problem.message


def test_bluesky_media_rules_on_thread_items(tmp_path: Path) -> None:
    """bluesky.provider.ts checkValidity: every value[] item, not only the first."""
    five = {"channels": "bluesky", "text": "a", "thread": [{"text": "b", "media": _images(5)}]}
    mixed = {"channels": "bluesky", "text": "a", "thread": [{"text": "b", "media": [VIDEO, IMAGE]}]}
    assert _errors(tmp_path, five, mixed) == [
        ["too-many-media", "thread.1.media"],
        ["too-many-media", "thread.1.media"],
    ]


def test_empty_and_long_thread_items(tmp_path: Path) -> None:
    """posts.service.ts validatePosts: emptyContent and tooLong on every value[] item."""
    long = {"channels": "mastodon", "text": "a", "thread": ["b" * 501]}
    assert _errors(tmp_path, long) == [["text-too-long", "thread.1"]]


def test_linkedin_carousel(tmp_path: Path) -> None:
    """linkedin.provider.ts checkValidity: a carousel is ≥2 images and no video."""
    carousel = {"linkedin": {"post_as_images_carousel": True}}
    one = {"channels": "linkedin", "text": "a", "media": [IMAGE], "settings": carousel}
    video = {"channels": "linkedin", "text": "a", "media": [IMAGE, VIDEO], "settings": carousel}
    fine = {"channels": "linkedin", "text": "a", "media": _images(2), "settings": carousel}
    assert _errors(tmp_path, one, video, fine) == [
        ["media-required", "media"],
        ["too-many-media", "media"],  # a video must be alone on LinkedIn, too
        ["bad-media-type", "media"],
        ["media-required", "media"],  # one image left
    ]


def test_facebook_story_url_and_pinterest(tmp_path: Path) -> None:
    """facebook.provider.ts checkValidity (story needs media); facebook.dto.ts url IsUrl;
    pinterest.provider.ts (video + cover image) and pinterest.dto.ts (board, link IsUrl)."""
    story = {"channels": "facebook", "text": "s", "settings": {"facebook": {"post_type": "story"}}}
    url = {"channels": "facebook", "text": "u", "settings": {"facebook": {"url": "not a url"}}}
    pin_video = {
        "channels": "pinterest",
        "text": "p",
        "media": [VIDEO],
        "settings": {"pinterest": {"board": "1", "link": "nope"}},
    }
    no_board = {"channels": "pinterest", "text": "p", "media": [IMAGE]}
    assert _errors(tmp_path, story, url, pin_video, no_board) == [
        ["media-required", "media"],
        ["bad-value", "settings.facebook.url"],
        ["media-required", "media"],
        ["bad-value", "settings.pinterest.link"],
        ["missing-setting", "settings.pinterest.board"],
    ]


def test_instagram_trial_reel_and_collaborators(tmp_path: Path) -> None:
    """instagram.provider.ts checkValidity (trial reel: one video); instagram.dto.ts
    collaborators[].label."""
    reel = {
        "channels": "instagram",
        "text": "r",
        "media": [IMAGE],
        "settings": {"instagram": {"post_type": "post", "is_trial_reel": True}},
    }
    collaborators = {
        "channels": "instagram",
        "text": "c",
        "media": [IMAGE],
        "settings": {"instagram": {"post_type": "post", "collaborators": [{"name": "x"}]}},
    }
    assert _errors(tmp_path, reel, collaborators) == [
        ["bad-media-type", "media"],
        ["bad-value", "settings.instagram.collaborators"],
    ]


def test_tiktok_title_youtube_kids_and_tags(tmp_path: Path) -> None:
    """tiktok.dto.ts title ≤ 90; youtube.settings.dto.ts selfDeclaredMadeForKids yes/no and
    tags ≤ 500 characters in all."""
    tiktok = {
        "channels": "tiktok",
        "text": "t",
        "media": [IMAGE],
        "settings": {"tiktok": {"privacy_level": "SELF_ONLY", "title": "t" * 91}},
    }
    youtube = {"title": "Launch", "type": "public", "selfDeclaredMadeForKids": "maybe"}
    kids = {"channels": "youtube", "text": "v", "media": [VIDEO], "settings": {"youtube": youtube}}
    tags = [{"value": str(n), "label": "t" * 100} for n in range(6)]
    tagged_settings = {"title": "Launch", "type": "public", "tags": tags}
    tagged = {
        "channels": "youtube",
        "text": "v",
        "media": [VIDEO],
        "settings": {"youtube": tagged_settings},
    }
    assert _errors(tmp_path, tiktok, kids, tagged) == [
        ["bad-value", "settings.tiktok.title"],
        ["bad-value", "settings.youtube.selfDeclaredMadeForKids"],
        ["bad-value", "settings.youtube.tags"],
    ]


def test_x_community_post_type_and_article(tmp_path: Path) -> None:
    """x.dto.ts (community URL, post_type, article fields, no who_can_reply_post for an
    article) and x.provider.ts maxLength (100,000 for an article)."""
    community = {"channels": "x", "text": "c", "settings": {"x": {"community": "x.com/acme"}}}
    kind = {"channels": "x", "text": "k", "settings": {"x": {"post_type": "thread"}}}
    article_settings = {"post_type": "article", "article_title": "T", "article_status": "draft"}
    article = {"channels": "x", "text": "a" * 5000, "settings": {"x": article_settings}}
    untitled = {"channels": "x", "text": "a", "settings": {"x": {"post_type": "article"}}}
    assert _errors(tmp_path, community, kind, article, untitled) == [
        ["bad-value", "settings.x.community"],
        ["bad-value", "settings.x.post_type"],
        ["missing-setting", "settings.x.article_title"],
        ["missing-setting", "settings.x.article_status"],
    ]


def test_x_article_gets_no_reply_default(tmp_path: Path) -> None:
    """x.dto.ts: who_can_reply_post is under ValidateIf(post_type !== 'article')."""
    article_settings = {"post_type": "article", "article_title": "T", "article_status": "draft"}
    path = tmp_path / "cal.json"
    entry = {"publish_at": "2030-06-01 09:00", "channels": "x", "text": "a"}
    path.write_text(json.dumps([entry | {"settings": {"x": article_settings}}]))
    result = validate([path], ValidateOptions(timezone="UTC", now=NOW))
    assert result.report.valid
    assert result.posts[0].settings == article_settings


def test_x_takes_four_media(tmp_path: Path) -> None:
    """X's own limit (x.provider.ts @Rules "4 pictures or 1 video"), which Postiz does not
    check: validate reports it so it is not found at publish time."""
    many = {"channels": "x", "text": "m", "media": _images(1000)}
    four = {"channels": "x", "text": "m", "media": _images(4)}
    assert _errors(tmp_path, many, four) == [["too-many-media", "media"]]


def test_media_without_text_is_a_post(tmp_path: Path) -> None:
    """create.post.dto.ts ValidContent: content may be empty when there is an image."""
    assert _errors(tmp_path, {"channels": "mastodon", "media": [IMAGE]}) == []
    assert _errors(tmp_path, {"channels": "mastodon", "text": " "}) != []


def test_drafts_get_settings_checks(tmp_path: Path) -> None:
    """posts.service.ts mapTypeToPost: the settings DTO runs on drafts too (no per-post type
    is sent); validatePosts skips a draft's media and length checks."""
    draft = {"channels": "youtube", "type": "draft", "text": "v" * 6000}
    assert _errors(tmp_path, draft) == [
        ["missing-setting", "settings.youtube.title"],
        ["missing-setting", "settings.youtube.type"],
    ]
