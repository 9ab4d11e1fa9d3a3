"""``x_length``: X's weighted length exactly as twitter-text's ``parse_tweet``, and Postiz's rule.

Postiz (reference/postiz-api.md §3) checks X text against 280 with
``max(weightedLength, plain JS length)``, untrimmed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import extract_emojis_with_indices, parse_tweet
from twitter_text.regexp.emoji import emoji
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

from calendar_sched.check import x_length as module
from calendar_sched.check.x_length import (
    emoji_characters,
    emoji_starts,
    top_level_domains,
    utf16_length,
    weighted_length,
    x_length,
    x_length_bound,
)


def _js_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- strategies ---

_EMOJI = [
    "😷",
    "🚀",
    "☕",
    "☕\ufe0f",
    "\u00a9",
    "\u00a9\ufe0f",
    "\u2122",
    "\u3030",
    "\u2049\ufe0f",
    "👍🏽",
    "🙋🏽\u200d♀\ufe0f",
    "👨\u200d🎤",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳\ufe0f\u200d🌈",
    "🇩🇪",
    "🇺",  # half a flag
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "#\ufe0f\u20e3",
    "#\u20e3",
    "1\ufe0f\u20e3",
    "*\ufe0f\u20e3",
    "\ufe0f",
    "\u20e3",
    "\u200d",
    "🏽",
]
_WIDE = [
    "日本語",
    "例え",
    "中国",
    "한국어",
    "\u1100\u1161",  # Hangul jamo: NFC makes one syllable of them
    "e\u0301",  # NFC: é
    "a\u0308\u0301",
    "\u0645\u0631\u062d\u0628\u0627",
    "\u200f",
    "\u2014",
    "\u2019",
    "\u2032",
    "\u2028",
    "\u00a0",
    "\ufeff",
    "\U00020000",
    "Ω",
    "\u212b",  # Angstrom sign: NFC makes it Å
    "ﬁ",
    "Ünï",
    "ß",
]
_ASCII = ["a", "Z", "7", " ", ".", "..", ",", "/", ":", "?", "#", "*", "-", "_", "@", "$", "(", ")"]
_ASCII += ["!", "'", '"', "&", "=", "+", "~", "%", "\n", "\r", "\r\n", "\t", "\\"]
_WORDS = ["hello", "Launch day", "e.g.", "1.5", "v2.0", "@alice", "@bob_99", "#news", "$ACME"]

# Any character (no lone surrogates: parse_tweet cannot encode them), weighted towards the ones
# twitter-text treats specially.
_CHARS = st.one_of(
    st.characters(exclude_categories=["Cs"]),
    st.characters(max_codepoint=127),
    st.sampled_from([c for piece in _EMOJI + _WIDE for c in piece]),
)
_ANY_TEXT = st.text(_CHARS, max_size=80)

_TLDS = [*top_level_domains(valid_gtld)[::7], *top_level_domains(valid_cctld)[::5]]


@st.composite
def _urls(draw: st.DrawFn) -> str:
    """URL-ish text: protocols, (sub)domains, real and made-up TLDs, ports, paths, queries."""
    protocol = draw(st.sampled_from(["", "", "http://", "https://", "HTTPS://", "ftp://", "//"]))
    labels = draw(
        st.lists(
            st.sampled_from(
                ["www", "example", "a", "x", "sub-d", "my_site", "ä", "例え", "xn--p1ai"]
            ),
            min_size=0,
            max_size=3,
        )
    )
    tld = draw(
        st.one_of(
            st.sampled_from(_TLDS),
            st.sampled_from(["com", "Com", "COM", "de", "co", "jp", "c", "comx", "1x", "xn--p1ai"]),
        )
    )
    port = draw(st.sampled_from(["", "", ":80", ":8080", ":"]))
    path = draw(
        st.lists(
            st.sampled_from(["/", "a", "b.html", "(x)", "%20", "-", "🚀", "パス", ".", "~u", "#f"]),
            max_size=4,
        ).map("".join)
    )
    query = draw(st.sampled_from(["", "", "?x=1", "?x=1&y=2", "?q=日本", "?", "?a=b."]))
    tail = draw(st.sampled_from(["", "", ".", ",", ")", "!", "?", "'", "…"]))
    return protocol + ".".join([*labels, tld]) + port + path + query + tail


_TCO = st.builds(
    lambda scheme, slug, tail: f"{scheme}t.co/{slug}{tail}",
    st.sampled_from(["http://", "https://", ""]),
    st.text("abcXYZ019", min_size=0, max_size=45),
    st.sampled_from(["", "/more", "?x=1", " "]),
)
_PIECES = st.one_of(
    _urls(),
    _TCO,
    st.sampled_from(_EMOJI + _WIDE + _ASCII + _WORDS),
    st.text(_CHARS, max_size=3),
)
_COMPOSED = st.lists(_PIECES, max_size=25).map("".join)


# --- weighted_length equals parse_tweet ---


@settings(max_examples=1000, deadline=None)
@given(_ANY_TEXT)
def test_weighted_length_equals_parse_tweet_on_any_text(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=1000, deadline=None)
@given(_COMPOSED)
def test_weighted_length_equals_parse_tweet_on_urls_emoji_and_wide_text(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=120))
def test_weighted_length_equals_parse_tweet_on_ascii(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=200, deadline=None)
@given(_COMPOSED)
def test_without_the_shortcuts_parse_tweet_decides(text: str) -> None:
    # When twitter-text is not the one the shortcuts mirror, every text goes to parse_tweet.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_tables", lambda: None)
        assert weighted_length(text) == parse_tweet(text).weightedLength


@settings(max_examples=500, deadline=None)
@given(st.one_of(_ANY_TEXT, _COMPOSED))
def test_emoji_are_found_where_extract_emojis_finds_them(text: str) -> None:
    # Trying the pattern only where a match can start finds what finditer finds.
    tables = module._tables()
    assert tables is not None
    expected = [(e["indices"][0], len(e["emoji"])) for e in extract_emojis_with_indices(text)]
    assert module._emoji_spans(text, tables) == expected


def test_the_shortcuts_apply_to_the_installed_twitter_text() -> None:
    # Else every text silently takes parse_tweet's half millisecond.
    tables = module._tables()
    assert tables is not None
    assert tables.url_shortcut


def test_texts_are_weighed_without_parse_tweet(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Grüße aus Köln, 日本語 https://example.de/straße",
        "Launch day 🚀 #12 1\ufe0f\u20e3 see https://example.com/🚀 👨\u200d🎤",
        "plain ascii, with a.url and 1.5 numbers\r\n",
    ]
    expected = [parse_tweet(text).weightedLength for text in texts]

    def refuse(text: str) -> int:
        raise AssertionError(f"parse_tweet called for {text!r}")

    monkeypatch.setattr(module, "_parsed_length", refuse)
    assert [weighted_length(text) for text in texts] == expected


# --- Postiz's rule: the larger of the weighted and the UTF-16 length, untrimmed ---


@settings(max_examples=500, deadline=None)
@given(st.one_of(_ANY_TEXT, _COMPOSED, st.text(st.sampled_from("©®#*1\ufe0f\u20e3a.\u0301e"))))
def test_the_cheap_bound_is_never_below_the_length(text: str) -> None:
    """Validation skips weighing a text whose bound is within the limit: it must never be lower
    (keycaps, text-style emoji, combining marks, URLs and line ends included)."""
    assert x_length_bound(text) >= x_length(text)


def test_the_sample_month_is_validated_without_loading_twitter_text() -> None:
    """No X text of the sample is near 280: none is weighed, and twitter-text stays unloaded."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    probe = (
        "import sys\n"
        "from calendar_sched.check.validation import validate\n"
        "result = validate(['samples/december.csv'])\n"
        "assert result.report.valid and len(result.posts) == 283\n"
        "print('twitter_text' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


@settings(max_examples=500, deadline=None)
@given(st.one_of(_ANY_TEXT, _COMPOSED))
def test_x_length_is_the_larger_of_weighted_and_utf16_length(text: str) -> None:
    assert utf16_length(text) == _js_length(text)
    assert x_length(text) == max(parse_tweet(text).weightedLength, _js_length(text))


@pytest.mark.parametrize(
    ("text", "weighted", "js", "x"),
    [
        ("", 0, 0, 0),
        ("hello", 5, 5, 5),
        ("x" * 281, 281, 281, 281),
        ("hi\n", 3, 3, 3),  # untrimmed: the trailing newline counts
        (" hi ", 4, 4, 4),
        ("a\r\nb", 3, 4, 4),  # twitter-text counts one "\n"; JS both units
        ("e\u0301", 1, 2, 2),  # NFC for twitter-text, not for JS
        ("日本語", 6, 3, 6),
        ("Grüße aus Köln", 14, 14, 14),
        ("\u2014\u2019", 2, 2, 2),  # punctuation in a range of weight 1
        ("😷", 2, 2, 2),
        ("👍🏽", 2, 4, 4),
        ("🇩🇪", 2, 4, 4),
        ("#\ufe0f\u20e3", 2, 3, 3),
        ("👨\u200d👩\u200d👧\u200d👦", 2, 11, 11),  # one emoji, eleven UTF-16 units
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2, 14, 14),
        ("a.com", 23, 5, 23),
        ("x.com.", 24, 6, 24),
        ("https://t.co/abcdef", 23, 19, 23),
        ("https://example.com/a/very/long/path", 23, 36, 36),  # a long URL counts in full
        ("see https://example.com/🚀 now", 33, 30, 33),
        ("日本.example.com/path 例え.jp", 36, 25, 36),
        ("1.5 e.g. fine", 13, 13, 13),
        ("abc.def", 7, 7, 7),
        ("mail me: a@b.co", 15, 15, 15),
        ("@alice and @bob", 15, 15, 15),
    ],
)
def test_pinned_examples(text: str, weighted: int, js: int, x: int) -> None:
    assert parse_tweet(text).weightedLength == weighted
    assert (weighted_length(text), utf16_length(text), x_length(text)) == (weighted, js, x)


def test_postiz_rejects_over_280_even_where_the_weighted_length_is_lower() -> None:
    families = "👨\u200d👩\u200d👧\u200d👦" * 26
    assert weighted_length(families) == 52
    assert x_length(families) == 286
    url = "https://example.com/" + "p" * 270
    assert (weighted_length(url), x_length(url)) == (23, 290)


def test_a_lone_surrogate_weighs_2_and_is_one_js_unit() -> None:
    # parse_tweet's count gets there too, then fails computing its ranges (UnicodeEncodeError);
    # the loaders reject such text before any length is asked for.
    assert weighted_length("a\ud800b") == 4
    assert utf16_length("a\ud800b") == 3
    assert x_length("a\ud800b") == 4


# --- the emoji pattern, read from its source ---


def test_emoji_pattern_is_read_as_literals_and_sets() -> None:
    chars = emoji_characters(emoji)
    starts = emoji_starts(emoji)
    assert chars is not None
    assert starts is not None
    assert {"😷", "\ufe0f", "\u20e3", "\u200d", "🏽"} <= chars
    assert chars.isdisjoint("".join(map(chr, range(128))) + "éü日本")
    assert set("#*0123456789😷") <= starts
    assert "\u200d" not in starts


def test_every_alternative_read_is_one_the_pattern_matches() -> None:
    alternatives = module._alternatives(emoji)
    assert alternatives is not None
    assert len(alternatives) > 1000
    for alternative in alternatives:
        for pick in (0, -1):
            sample = "".join(chr(atom[pick][pick]) for atom in alternative)
            assert emoji.fullmatch(sample), sample


@pytest.mark.parametrize(
    ("source", "flags", "chars", "starts"),
    [
        ("é|\\U0001f600[\\u0300-\\u0302]", 0, "é😀\u0300\u0301\u0302", "é😀"),
        ("\\x41\u00e9|[\\U0001f600-\\U0001f602]", 0, "é😀😁😂", "A😀😁😂"),
        ("a\\.\\u00e9", 0, "é", "a"),
        ("a|b", 0, None, "ab"),  # a match may be all ASCII
        ("é|", 0, None, None),  # an empty alternative
        ("(é)", 0, None, None),
        ("é+", 0, None, None),
        ("[^é]", 0, None, None),
        ("[é-]", 0, None, "é-"),  # "-" last in a set is itself
        ("\\dé", 0, None, None),
        ("é", re.IGNORECASE, None, None),
        ("é", re.VERBOSE, None, None),
    ],
)
def test_pattern_reader_on_small_patterns(
    source: str, flags: int, chars: str | None, starts: str | None
) -> None:
    pattern = re.compile(source, flags)
    assert emoji_characters(pattern) == (None if chars is None else frozenset(chars))
    assert emoji_starts(pattern) == (None if starts is None else frozenset(starts))


_POINTS = st.one_of(
    st.integers(0x20, 0x7E), st.integers(0xA0, 0x2FFF), st.integers(0x1F300, 0x1F6FF)
)


def _render_point(point: int, style: int) -> str:
    if style == 0 and 0x20 <= point <= 0x7E:
        return re.escape(chr(point))
    if style == 1 and point > 0x7E:
        return chr(point)
    return f"\\U{point:08x}"


@st.composite
def _atom_sources(draw: st.DrawFn) -> str:
    style = draw(st.integers(0, 2))
    if draw(st.booleans()):
        return _render_point(draw(_POINTS), style)
    members = []
    for first in draw(st.lists(_POINTS, min_size=1, max_size=3)):
        last = first + draw(st.integers(0, 3))
        members.append(f"\\U{first:08x}-\\U{last:08x}" if last > first else f"\\U{first:08x}")
    return "[" + "".join(members) + "]"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(_atom_sources(), min_size=1, max_size=4).map("".join), min_size=1, max_size=5
    ),
    st.data(),
)
def test_pattern_reader_finds_every_character_a_match_may_hold(
    alternatives: list[str], data: st.DataObject
) -> None:
    pattern = re.compile("|".join(alternatives))
    chars, starts = emoji_characters(pattern), emoji_starts(pattern)
    assert starts is not None
    used = sorted({c for alternative in alternatives for c in alternative if not c.isascii()})
    alphabet = st.one_of(
        st.sampled_from([*used, "a", "#", "\u00a0", "\U0001f300"]),
        st.characters(max_codepoint=0x7F),
    )
    text = data.draw(st.text(alphabet, max_size=30))
    for found in re.finditer(pattern, text):
        assert found.group()[0] in starts
        if chars is not None:
            wide = {c for c in found.group() if not c.isascii()}
            assert wide, found.group()  # no match is all ASCII
            assert wide <= chars


# --- the TLD lists, and no private interfaces ---


def test_top_level_domains_are_read_from_the_public_lists() -> None:
    gtlds, cctlds = top_level_domains(valid_gtld), top_level_domains(valid_cctld)
    assert {"com", "app", "onion"} <= set(gtlds)
    assert {"de", "jp", "中国"} <= set(cctlds)
    assert all(name[:1].isalpha() for name in gtlds + cctlds)
    with pytest.raises(ValueError, match="top-level"):
        top_level_domains(re.compile("com|de"))


def test_no_private_interfaces() -> None:
    source = Path(module.__file__).read_text(encoding="utf-8")
    for private in ("_parser", "sre_parse", "sre_compile", "sre_constants", "_compile"):
        assert private not in source
    imports = re.findall(r"from twitter_text\S* import (.+)", source)
    assert imports
    names = [name.strip() for line in imports for name in line.split(",")]
    assert not [name for name in names if name.startswith("_")]
