"""Channel references: ids, identifier:profile, identifier alone, names; channel files."""

import json
import re
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_sched.errors import AuthError, ConfigError, InputError
from calendar_sched.load.channels import (
    Resolver,
    demo_channels,
    load_channels_file,
    resolve,
    split_refs,
)
from calendar_sched.models import Channel
from calendar_sched.targets.connect import account_channels

CHANNELS = [
    Channel(id="c1", name="Acme on X", identifier="x", profile="acme"),
    Channel(id="c2", name="Old X", identifier="x", profile="acme_old", disabled=True),
    Channel(id="c3", name="Acme Inc", identifier="linkedin-page", profile="acme-inc"),
    Channel(id="c4", name="Dana", identifier="linkedin", profile="dana"),
    Channel(id="c5", name="Brand IG", identifier="instagram", profile="brand"),
    Channel(id="c6", name="Shop IG", identifier="instagram", profile="shop"),
]


@pytest.mark.parametrize(
    ("ref", "channel_id"),
    [
        ("c3", "c3"),
        ("linkedin-page:acme-inc", "c3"),
        ("LinkedIn-Page:ACME-INC", "c3"),
        ("x:@acme", "c1"),
        ("linkedin", "c4"),
        ("x", "c1"),  # the disabled old account does not make `x` ambiguous
        ("acme   inc", "c3"),
        ("instagram:Shop IG", "c6"),
    ],
)
def test_resolves(ref: str, channel_id: str) -> None:
    outcome = resolve(ref, CHANNELS)
    assert outcome.ok, outcome.message
    assert outcome.channel is not None
    assert outcome.channel.id == channel_id


def test_ambiguous_identifier_lists_candidates() -> None:
    outcome = resolve("instagram", CHANNELS)
    assert outcome.code == "ambiguous-channel"
    assert "instagram:brand" in outcome.message
    assert "instagram:shop" in outcome.message
    assert {c.id for c in outcome.candidates} == {"c5", "c6"}


def test_disabled_channel_by_explicit_reference() -> None:
    for ref in ("c2", "x:acme_old"):
        outcome = resolve(ref, CHANNELS)
        assert outcome.code == "disabled-channel"
        assert not outcome.ok
        assert "x:acme_old" in outcome.message


def test_unknown_channel_suggests_close_ones() -> None:
    outcome = resolve("linkedin-pag:acme-inc", CHANNELS)
    assert outcome.code == "unknown-channel"
    assert "did you mean" in outcome.message
    assert "linkedin-page:acme-inc" in outcome.message


def test_unknown_channel_lists_known_when_nothing_is_close() -> None:
    outcome = resolve("zzzzzz", CHANNELS)
    assert outcome.code == "unknown-channel"
    assert "known: x:acme" in outcome.message
    assert resolve("x", []).message.endswith("the channel list is empty")


def test_resolver_caches() -> None:
    resolver = Resolver(CHANNELS)
    assert resolver("x") is resolver("x")


def test_split_refs() -> None:
    assert split_refs("x, linkedin;instagram:shop |c1\nc2\r\n") == [
        "x",
        "linkedin",
        "instagram:shop",
        "c1",
        "c2",
    ]


@given(st.text(alphabet=",;|\r\n \t\u00a0\u2003\u200b\x1c\x85ab:-", max_size=30))
def test_split_refs_splits_on_any_run_of_separators_and_strips(cell: str) -> None:
    # The rule in one line: parts between runs of , ; | CR LF, stripped, empty ones dropped.
    parts = [part.strip() for part in re.split(r"[,;|\r\n]+", cell)]
    assert split_refs(cell) == [part for part in parts if part]


def test_demo_channels_match_sample_file() -> None:
    demo = demo_channels()
    assert len(demo) >= 6
    assert demo == load_channels_file(Path(__file__).parents[1] / "samples" / "channels.json")


def test_load_channels_file_shapes(tmp_path: Path) -> None:
    items = [asdict(c) for c in CHANNELS[:2]]
    listed = tmp_path / "a.json"
    listed.write_text(json.dumps(items))
    wrapped = tmp_path / "b.json"
    wrapped.write_text(json.dumps({"integrations": items}))
    as_yaml = tmp_path / "c.yaml"
    as_yaml.write_text("- {id: c1, name: Acme, identifier: x}\n")
    assert load_channels_file(listed) == CHANNELS[:2]
    assert load_channels_file(wrapped) == CHANNELS[:2]
    assert load_channels_file(as_yaml)[0].identifier == "x"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "not valid JSON"),
        ('{"a": 1}', "expected a list"),
        ('[{"id": "c1"}]', "channel 0.name"),
    ],
)
def test_bad_channels_file(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "channels.json"
    path.write_text(content)
    with pytest.raises(InputError, match=says):
        load_channels_file(path)
    with pytest.raises(InputError, match="cannot read"):
        load_channels_file(tmp_path / "missing.json")


def test_account_channels_from_the_api() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers["Authorization"] != "secret-key":
            return httpx.Response(401, json={"msg": "Invalid API key"})
        return httpx.Response(200, json=[asdict(CHANNELS[0])])

    env = {"POSTIZ_API_URL": "https://postiz.example/api", "POSTIZ_API_KEY": "secret-key"}
    found = account_channels(env, transport=httpx.MockTransport(handler))
    assert found == [CHANNELS[0]]
    assert seen[0].url.path == "/api/public/v1/integrations"
    bad = {**env, "POSTIZ_API_KEY": "wrong"}
    with pytest.raises(AuthError):
        account_channels(bad, transport=httpx.MockTransport(handler))
    assert account_channels({}) is None
    with pytest.raises(ConfigError):
        account_channels({"POSTIZ_API_URL": "https://postiz.example"})
