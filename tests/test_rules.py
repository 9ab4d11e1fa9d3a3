"""``rules``: lengths as Postiz counts them, exactly as twitter-text does for X."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet
from twitter_text.config import config

from calendar_sched.check import provider_checks, rules
from calendar_sched.check import x_length as weighing
from calendar_sched.check.x_length import emoji_characters, weighted_length

# Pieces that make URLs, near-URLs, line endings, emoji and wide characters likely.
_PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "7",
        " ",
        ".",
        "..",
        "/",
        ":",
        "?",
        "#",
        "*",
        "-",
        "_",
        "@",
        "(",
        ")",
        "\n",
        "\r",
        "\r\n",
        "\t",
        "https://",
        "http://",
        "ftp://",
        "www.",
        "example",
        ".com",
        ".co",
        ".de",
        ".c",
        ".xn--p1ai",
        ".Com",
        "t.co/",
        "abc.def",
        "foo.bar/baz?x=1&y=2",
        "x.com/a/b.",
        "1.5",
        "e.g.",
        "é",
        "日本",
        "😷",
        "#\ufe0f\u20e3",
        "👨\u200d🎤",
        "\u2014",
        "\ufeff",
        "e\u0301",
        "ü",
        "Ünï",
        "例え.jp",
        "/パス",
        "\u00a9",
        "\u2122",
        "\u3030",
        "\u2032",
        "\u2049\ufe0f",
        "\U00020000",
        "\u0645\u0631\u062d\u0628\u0627",
        "\u1100\u1161",
    ]
)
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)


def test_ascii_weighs_one_per_character_in_the_default_config() -> None:
    # The fast path relies on this: every ASCII code point is in a range of weight == scale.
    options = config["defaults"]
    first = options["ranges"][0]
    assert first["start"] == 0
    assert first["end"] >= 127
    assert first["weight"] == options["scale"]


@settings(max_examples=600, deadline=None)
@given(_TEXTS)
def test_x_weighted_length_equals_parse_tweet(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_x_weighted_length_equals_parse_tweet_on_any_text(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_x_weighted_length_equals_parse_tweet_on_ascii(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


def test_emoji_pattern_has_no_ascii_only_match() -> None:
    # The ASCII shortcut relies on it; the non-ASCII one on knowing every emoji character.
    from twitter_text.regexp.emoji import emoji

    chars = emoji_characters(emoji)
    assert chars is not None
    assert "😷" in chars
    assert {"\ufe0f", "\u20e3"} <= chars
    assert chars.isdisjoint("".join(map(chr, range(128))) + "éü日本")


def test_every_top_level_domain_starts_with_a_letter() -> None:
    # The URL shortcut: a "." not followed by what may start a domain ends no URL.
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld
    from twitter_text.regexp.valid_punycode import valid_punycode

    for pattern in (valid_gtld, valid_cctld):
        body = pattern.pattern.removeprefix("(?:(?:")
        names = body[: body.index(")")].split("|")
        assert len(names) > 300
        assert all(name[:1].isalpha() for name in names)
    assert valid_punycode.pattern.startswith("(?:xn--")


def test_text_is_weighed_without_parse_tweet(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Grüße aus Köln, 日本語 https://example.de/straße",
        "Launch day 🚀 #12 1\ufe0f\u20e3 see https://example.com/🚀 👨\u200d🎤",
    ]
    expected = [parse_tweet(text).weightedLength for text in texts]

    def refuse(text: str) -> int:
        raise AssertionError(f"parse_tweet called for {text!r}")

    monkeypatch.setattr(weighing, "_parsed_length", refuse)
    assert [weighted_length(text) for text in texts] == expected
    assert expected[0] == len("Grüße aus Köln, ") + 2 * 3 + 1 + 23


def test_x_length_is_the_larger_of_weighted_and_plain_length() -> None:
    """posts.service.ts validatePosts (totalCharacters): max(weightedLength, JS length).

    A URL longer than 23 characters counts in full: twitter-text weighs it 23, Postiz does not.
    """
    first, second = "https://example.com/a/very/long/path/indeed?x=1", "www.example.org"
    text = f"Read {first} and {second}"
    assert parse_tweet(text).weightedLength == len("Read  and ") + 2 * 23  # 56
    assert rules.text_length("x", text) == len(text) == 72
    wide = "日本語" * 50  # CJK weighs 2: the weighted length is the larger one
    assert rules.text_length("x", wide) == parse_tweet(wide).weightedLength == 300


def test_x_length_is_not_trimmed() -> None:
    """posts.service.ts validatePosts: the text is measured untrimmed; 280 + newline is 281."""
    assert rules.text_length("x", "x" * 280 + "\n") == 281
    found = rules.check_post(
        "x", [rules.Item("x" * 280 + "\n")], {"who_can_reply_post": "everyone"}
    )
    assert [v.code for v in found] == ["text-too-long"]


def test_other_providers_count_utf16_units() -> None:
    assert rules.text_length("linkedin", "héllo") == 5
    assert rules.text_length("linkedin", "😷 a.com") == 8  # the emoji is a surrogate pair
    assert rules.text_length("threads", "a\r\nb") == 4


@given(st.text(max_size=60))
def test_utf16_length_on_any_text(text: str) -> None:
    assert rules.text_length("mastodon", text) == len(text.encode("utf-16-le")) // 2


def _every_check(
    identifier: str, items: list[rules.Item], values: dict[str, object]
) -> list[tuple[str, int, str | None]]:
    """check_post as first written: every media and settings check, whatever the post."""
    rule = rules.rule_for(identifier)
    found = [
        rules.Violation("empty-post", "", "", index, "text")
        for index, item in enumerate(items)
        if not rules.js_trim(item.text) and not item.media
    ]
    for index, item in enumerate(items):
        if rules.text_length(identifier, item.text) > rules.max_length(identifier, settings=values):
            found.append(rules.Violation("text-too-long", "", "", index, "text"))
    found += rules._check_media(rule, items)
    found += provider_checks.check(identifier, items, values)
    found += rules._check_settings(rule, values)
    return [(v.code, v.item, v.field) for v in found]


_ITEMS = st.lists(
    st.builds(
        rules.Item,
        st.sampled_from(["", " ", "hi", "x" * 290, "é" * 1600]),
        st.lists(st.sampled_from(["image", "video"]), max_size=3),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([*rules.PROVIDERS, "unknown-provider"]),
    _ITEMS,
    st.dictionaries(
        st.sampled_from(["who_can_reply_post", "title", "board", "post_type", "privacy_level"]),
        st.sampled_from(["", "everyone", "ab", "post", "x" * 120]),
    ),
)
def test_check_post_skips_only_checks_that_cannot_fail(
    identifier: str, items: list[rules.Item], values: dict[str, object]
) -> None:
    got = rules.check_post(identifier, items, values)
    assert [(v.code, v.item, v.field) for v in got] == _every_check(identifier, items, values)


def test_x_community_matches_the_whole_value() -> None:
    """x.dto.ts community Matches an anchored pattern: JavaScript's ``$`` is the very end."""
    settings = {"who_can_reply_post": "everyone"}

    def fields(community: str) -> list[str | None]:
        found = rules.check_post("x", [rules.Item("hi")], settings | {"community": community})
        return [v.field for v in found]

    assert fields("https://x.com/i/communities/42") == []
    assert fields("https://x.com/i/communities/42\n") == ["settings.x.community"]
    assert fields("http://x.com/i/communities/42") == ["settings.x.community"]
