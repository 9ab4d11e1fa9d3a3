"""The sandbox's ``POST /posts`` answers where Postiz's rules are subtle (issue #14).

Each docstring names the Postiz source it follows (gitroomhq/postiz-app at 74b01ada, as
reference/postiz-api.md §3 and §8 describe it). tests/check/test_rules_calendar.py checks the
same cases through ``validate``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox

IMAGE = {"id": "m1", "path": "https://cdn.example.com/a.png"}
VIDEO = {"id": "m2", "path": "https://cdn.example.com/b.mp4"}
TOO_LONG = "post is too long, please fix it"


def _images(count: int) -> list[dict[str, Any]]:
    return [{"id": f"i{n}", "path": f"https://cdn.example.com/{n}.jpg"} for n in range(count)]


def _send(sandbox: InProcessSandbox, *elements: dict[str, Any], **extra: Any) -> Any:
    response = sandbox.api.post("/posts", json=create(*elements, **extra))
    return response.status_code, response.json()


def _provider_error(sandbox: InProcessSandbox, element: dict[str, Any]) -> str:
    status, answer = _send(sandbox, element)
    assert status == 400, answer
    assert set(answer) == {"statusCode", "provider", "name", "message"}
    message: str = answer["message"]
    return message


def _dto_errors(sandbox: InProcessSandbox, element: dict[str, Any], **extra: Any) -> list[str]:
    status, answer = _send(sandbox, element, **extra)
    assert status == 400, answer
    assert answer["error"] == "Bad Request"
    messages: list[str] = answer["message"]
    return messages


# Item 1: X length


def test_x_long_link_counts_in_full(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts validatePosts (totalCharacters): max(weightedLength, JS length).

    200 characters and a 150-character link on its own line: twitter-text weighs 224, the JS
    length is 351 > 280, so Postiz refuses it.
    """
    link = "https://example.com/" + "a" * 130
    content = "<p>" + "w" * 200 + "</p><p>" + link + "</p>"
    assert _provider_error(sandbox_app, post(value(content))) == TOO_LONG


def test_x_trailing_newline_counts(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts validatePosts: the stripped text is not trimmed; 280 + newline = 281."""
    assert _send(sandbox_app, post(value("<p>" + "x" * 280 + "</p>")))[0] == 201
    assert _provider_error(sandbox_app, post(value("x" * 280 + "\n"))) == TOO_LONG
    assert _provider_error(sandbox_app, post(value("<p>" + "x" * 280 + "</p><p></p>"))) == TOO_LONG


# Item 2: every value[] item


def test_bluesky_media_rules_on_every_thread_item(sandbox_app: InProcessSandbox) -> None:
    """bluesky.provider.ts checkValidity: posts.some(...) — ≤4 media and a lone video, per item."""
    five = post("demo-bluesky", value("one"), value("two", image=_images(5)), settings={})
    assert _provider_error(sandbox_app, five) == "There can be maximum 4 pictures in a post."
    mixed = post("demo-bluesky", value("one"), value("two", image=[VIDEO, IMAGE]), settings={})
    assert _provider_error(sandbox_app, mixed) == "You can only upload one video per post."
    fine = post("demo-bluesky", value("one"), value("two", image=_images(4)), settings={})
    assert _send(sandbox_app, fine)[0] == 201


def test_too_long_thread_item(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts validatePosts: tooLong = value.some(...), comments included."""
    element = post("demo-mastodon", value("short"), value("y" * 501), settings={})
    assert _provider_error(sandbox_app, element) == TOO_LONG


def test_empty_thread_item_fails_the_dto(sandbox_app: InProcessSandbox) -> None:
    """create.post.dto.ts ValidContent on every value[].content: message[] at its path."""
    element = post("demo-mastodon", value("first"), value("  "), settings={})
    assert _dto_errors(sandbox_app, element) == [
        "posts.0.value.1. If images do not exist, content must be a non-empty string."
    ]


# Item 3: provider rules


@pytest.mark.parametrize(
    ("media", "status"), [([IMAGE], 400), ([IMAGE, VIDEO], 400), (_images(2), 201)]
)
def test_linkedin_carousel(
    sandbox_app: InProcessSandbox, media: list[dict[str, Any]], status: int
) -> None:
    """linkedin.provider.ts checkValidity: post_as_images_carousel needs ≥2 images, no video."""
    settings = {"post_as_images_carousel": True}
    element = post("demo-linkedin", value("slides", image=media), settings=settings)
    assert _send(sandbox_app, element)[0] == status


def test_facebook_story_needs_media(sandbox_app: InProcessSandbox) -> None:
    """facebook.provider.ts checkValidity: post_type story needs at least one media."""
    story = {"post_type": "story"}
    assert _provider_error(sandbox_app, post("demo-facebook", value("s"), settings=story))
    with_media = post("demo-facebook", value("s", image=[IMAGE]), settings=story)
    assert _send(sandbox_app, with_media)[0] == 201


def test_facebook_url_pinterest_link_and_thumbnail_must_be_urls(
    sandbox_app: InProcessSandbox,
) -> None:
    """facebook.dto.ts / pinterest.dto.ts IsUrl; media.dto.ts thumbnail IsUrl."""
    facebook = post("demo-facebook", value("hi"), settings={"url": "not a url"})
    assert _dto_errors(sandbox_app, facebook) == ["posts.0.settings.url must be a URL address"]
    pin = {"board": "123", "link": "nope"}
    pinterest = post("demo-pinterest", value("pin", image=[IMAGE]), settings=pin)
    assert _dto_errors(sandbox_app, pinterest) == ["posts.0.settings.link must be a URL address"]
    thumb = {"id": "v", "path": "https://cdn.example.com/v.mp4", "thumbnail": "cover"}
    thumbnail = post("demo-mastodon", value("v", image=[thumb]), settings={})
    assert _dto_errors(sandbox_app, thumbnail) == [
        "posts.0.value.0.image.0.thumbnail must be a URL address"
    ]
    good = post("demo-facebook", value("hi"), settings={"url": "example.com/page"})
    assert _send(sandbox_app, good)[0] == 201  # IsUrl: the scheme is optional


def test_instagram_trial_reel_is_one_video(sandbox_app: InProcessSandbox) -> None:
    """instagram.provider.ts checkValidity: is_trial_reel → exactly one video."""
    reel = {"post_type": "post", "is_trial_reel": True}

    def answer(media: list[dict[str, Any]]) -> Any:
        return _send(sandbox_app, post("demo-instagram", value("r", image=media), settings=reel))

    assert answer([VIDEO, IMAGE])[1]["message"] == "Trial Reels can only have one video"
    assert answer([IMAGE])[1]["message"] == "Trial Reels must be a video"
    assert answer([VIDEO])[0] == 201


def test_instagram_collaborators_need_a_label(sandbox_app: InProcessSandbox) -> None:
    """instagram.dto.ts Collaborators: label is a required string in every item."""
    settings = {"post_type": "post", "collaborators": [{"value": "x"}]}
    element = post("demo-instagram", value("c", image=[IMAGE]), settings=settings)
    assert _dto_errors(sandbox_app, element) == [
        "posts.0.settings.collaborators.0.label should not be null or undefined"
    ]
    settings["collaborators"] = [{"label": "friend"}]
    assert _send(sandbox_app, element)[0] == 201


def test_pinterest_video_needs_a_cover_and_board_wording(sandbox_app: InProcessSandbox) -> None:
    """pinterest.provider.ts checkValidity (video + cover image); pinterest.dto.ts board."""
    board = {"board": "123"}
    alone = post("demo-pinterest", value("v", image=[VIDEO]), settings=board)
    assert _send(sandbox_app, alone)[0] == 400
    covered = post("demo-pinterest", value("v", image=[VIDEO, IMAGE]), settings=board)
    assert _send(sandbox_app, covered)[0] == 201
    missing = post("demo-pinterest", value("v", image=[IMAGE]), settings={})
    assert _dto_errors(sandbox_app, missing) == ["posts.0.settings.Board is required"]


def test_tiktok_title_at_most_90(sandbox_app: InProcessSandbox) -> None:
    """tiktok.dto.ts: title MaxLength(90)."""
    settings = {
        "privacy_level": "SELF_ONLY",
        "duet": False,
        "stitch": False,
        "comment": True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
        "autoAddMusic": "no",
        "content_posting_method": "DIRECT_POST",
        "title": "t" * 91,
    }
    element = post("demo-tiktok", value("t", image=[IMAGE]), settings=settings)
    assert _dto_errors(sandbox_app, element) == [
        "posts.0.settings.title must be shorter than or equal to 90 characters"
    ]


def test_x_community_and_post_type(sandbox_app: InProcessSandbox) -> None:
    """x.dto.ts: community Matches x.com/i/communities/<n> (custom message); post_type IsIn."""
    bad = {"who_can_reply_post": "everyone", "community": "https://x.com/acme"}
    assert _dto_errors(sandbox_app, post(value("c"), settings=bad)) == [
        "posts.0.settings.Invalid X community URL. It should be in the format: "
        "https://x.com/i/communities/1493446837214187523"
    ]
    kind = {"who_can_reply_post": "everyone", "post_type": "thread"}
    assert _dto_errors(sandbox_app, post(value("c"), settings=kind)) == [
        "posts.0.settings.post_type must be one of the following values: post, article"
    ]
    good = {"who_can_reply_post": "everyone", "community": "https://x.com/i/communities/42"}
    assert _send(sandbox_app, post(value("c"), settings=good))[0] == 201


def test_x_article(sandbox_app: InProcessSandbox) -> None:
    """x.dto.ts / x.provider.ts maxLength: an article has no who_can_reply_post, needs a title
    and a status, and may be 100,000 characters long."""
    article = {"post_type": "article", "article_title": "T", "article_status": "draft"}
    assert _send(sandbox_app, post(value("a" * 5000), settings=article))[0] == 201
    untitled = {"post_type": "article", "article_status": "published"}
    assert _dto_errors(sandbox_app, post(value("a"), settings=untitled)) == [
        "posts.0.settings.article_title should not be empty"
    ]
    with_video = post(value("a", image=[VIDEO]), settings=article)
    assert _send(sandbox_app, with_video)[0] == 400


def test_x_media_count_is_not_checked_by_postiz(sandbox_app: InProcessSandbox) -> None:
    """x.provider.ts: its @Rules text says 4 pictures, but checkValidity does not enforce it.

    Postiz takes the post (X refuses it at publish time); validate reports it before the run.
    """
    element = post(value("many", image=_images(50)))
    assert _send(sandbox_app, element)[0] == 201


def test_youtube_made_for_kids_and_tags(sandbox_app: InProcessSandbox) -> None:
    """youtube.settings.dto.ts: selfDeclaredMadeForKids yes/no; tags ≤ 500 characters in all."""
    base = {"title": "Launch", "type": "public"}
    kids = post(
        "demo-youtube",
        value("v", image=[VIDEO]),
        settings=base | {"selfDeclaredMadeForKids": "maybe"},
    )
    assert _dto_errors(sandbox_app, kids) == [
        "posts.0.settings.selfDeclaredMadeForKids must be one of the following values: yes, no"
    ]
    tags = [{"value": str(n), "label": "t" * 100} for n in range(6)]
    tagged = post("demo-youtube", value("v", image=[VIDEO]), settings=base | {"tags": tags})
    assert _dto_errors(sandbox_app, tagged) == [
        "posts.0.settings.The maximum allowed is 500 characters in total for all tags."
    ]
    one = post("demo-youtube", value("v", image=[IMAGE]), settings=base)
    assert _provider_error(sandbox_app, one) == "Item must be a video"
