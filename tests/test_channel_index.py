"""``ChannelIndex`` finds what a scan of the channel list finds, in the list's order (issue 15).

The index replaced a scan per distinct reference (2,500 channels × 5,000 references took five
seconds of a 100k-row plan); the scan is kept here as the oracle.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from calendar_sched.load.channels import ChannelIndex, Resolver, resolve
from calendar_sched.models import Channel


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _scan(wanted: str, channels: Sequence[Channel]) -> list[Channel]:
    by_id = [c for c in channels if c.id == wanted]
    if by_id:
        return by_id
    folded = _fold(wanted)
    identifier, sep, profile = wanted.partition(":")
    if sep:
        ident, who = identifier.strip().lower(), _fold(profile).lstrip("@")
        found = [
            c
            for c in channels
            if c.identifier == ident
            and (_fold(c.profile or "").lstrip("@") == who or _fold(c.name) == who)
        ]
        if found:
            return found
    found = [c for c in channels if c.identifier == folded] or [
        c for c in channels if _fold(c.name) == folded
    ]
    enabled = [c for c in found if not c.disabled]
    return enabled if len(found) > 1 and len(enabled) == 1 else found


_WORDS = st.sampled_from(["x", "X", "acme", "Acme Inc", "@acme", "  acme ", "b", "bluesky", ""])
_CHANNELS = st.lists(
    st.builds(
        Channel,
        id=st.sampled_from(["c1", "c2", "c3", "x", "acme"]),
        name=_WORDS,
        identifier=st.sampled_from(["x", "bluesky", "linkedin-page"]),
        profile=st.none() | _WORDS,
        disabled=st.booleans(),
    ),
    max_size=8,
)
_REFS = st.one_of(
    _WORDS,
    st.sampled_from(["c1", "c2", "x:acme", "X :@Acme", "bluesky:acme inc", "linkedin-page:b"]),
    st.tuples(_WORDS, _WORDS).map(":".join),
)


@given(channels=_CHANNELS, refs=st.lists(_REFS, min_size=1, max_size=6))
def test_index_matches_the_scan(channels: list[Channel], refs: list[str]) -> None:
    index = ChannelIndex(channels)
    resolver = Resolver(channels)
    for ref in refs:
        wanted = ref.strip()
        assert index.match(wanted) == _scan(wanted, channels)
        assert resolver(ref) == resolve(ref, channels)


def test_an_identifier_shared_by_channels_is_ambiguous_unless_one_is_enabled() -> None:
    first = Channel(id="a", name="Acme", identifier="x", profile="acme")
    second = Channel(id="b", name="Beta", identifier="x", profile="beta")
    assert resolve("x", [first, second]).code == "ambiguous-channel"
    old = Channel(id="b", name="Beta", identifier="x", profile="beta", disabled=True)
    assert Resolver([first, old])("x").channel == first
    assert Resolver([first, second])("x:@BETA").channel == second
