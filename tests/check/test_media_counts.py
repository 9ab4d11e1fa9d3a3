"""Media counts per provider, as each provider's ``checkValidity`` counts them (reference §8),
plus X's own limit that Postiz leaves to X (issue #19 item 15)."""

from __future__ import annotations

import pytest

from calendar_sched.check import rules

# provider: (most images it takes, what Postiz's checkValidity does about more)
LIMITS = {
    "instagram": 10,  # instagram.provider.ts: "Instagram carousel only supports up to 10 …"
    "bluesky": 4,  # bluesky.provider.ts: "There can be maximum 4 pictures in a post."
    "tiktok-business": 35,  # tiktok-business checkValidity
    "pinterest": 5,  # pinterest.provider.ts: 1–5 media
    "dribbble": 1,  # dribbble.provider.ts: exactly one image
    "gmb": 1,  # gmb.provider.ts: at most one image
    "tumblr": 30,  # tumblr.provider.ts: ≤30 images, ≤1 video
}
SETTINGS = {"pinterest": {"board": "1"}, "dribbble": {"title": "t"}}


def _check(identifier: str, media: list[str]) -> list[rules.Violation]:
    settings = rules.fill_defaults(identifier, SETTINGS.get(identifier, {}))[0]
    return [
        v
        for v in rules.check_post(identifier, [rules.Item("text", media)], settings)
        if v.field == "media"
    ]


@pytest.mark.parametrize(("identifier", "limit"), sorted(LIMITS.items()))
def test_media_count_limits(identifier: str, limit: int) -> None:
    """Each provider's checkValidity: the limit passes, one more is too-many-media."""
    assert _check(identifier, ["image"] * limit) == []
    over = _check(identifier, ["image"] * (limit + 1))
    assert [(v.code, v.server) for v in over] == [("too-many-media", True)]


def test_tumblr_takes_one_video() -> None:
    """tumblr.provider.ts checkValidity: at most one video."""
    assert [v.code for v in _check("tumblr", ["video", "video"])] == ["too-many-media"]
    assert _check("tumblr", ["video"] + ["image"] * 30) == []


def test_x_four_media_is_a_platform_limit() -> None:
    """x.provider.ts: "4 pictures or 1 video" is @Rules text only; Postiz accepts 1000 media,
    X refuses them at publish time, so the violation is not the server's (server False)."""
    assert _check("x", ["image"] * 4) == []
    found = _check("x", ["image"] * 1000)
    assert [(v.code, v.server) for v in found] == [("too-many-media", False)]
    assert "1000 media; x takes at most 4" in found[0].message


def test_instagram_standalone_carousel_limit_is_instagrams() -> None:
    """instagram.standalone.provider.ts checks no maximum; Instagram's carousel limit is 10."""
    found = _check("instagram-standalone", ["image"] * 11)
    assert [(v.code, v.server) for v in found] == [("too-many-media", False)]
