"""§7 other endpoints: is-connected, integrations, find-slot, integration-settings, 404s."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from calendar_sched.errors import InputError
from calendar_sched.models import Channel
from calendar_sched.sandbox.config import load_channels
from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox


def test_is_connected(sandbox_app: InProcessSandbox) -> None:
    """§7: GET /is-connected → {"connected": true}."""
    assert sandbox_app.api.get("/is-connected").json() == {"connected": True}


def test_integrations_include_disabled_demo_channels(sandbox_app: InProcessSandbox) -> None:
    """§7 and issue 4: the demo org has one channel per common provider plus a disabled one."""
    listed = sandbox_app.api.get("/integrations").json()
    identifiers = {c["identifier"] for c in listed if not c["disabled"]}
    assert identifiers == {
        "x", "linkedin", "linkedin-page", "facebook", "instagram", "threads", "bluesky",
        "mastodon", "tiktok", "youtube", "pinterest", "reddit", "discord", "telegram",
    }  # fmt: skip
    assert [c["id"] for c in listed if c["disabled"]] == ["demo-x-old"]
    assert set(listed[0]) == {"id", "name", "identifier", "picture", "disabled", "profile"}


def test_integrations_group_filter(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§7: ?group= filters on the customer id; customers are listed by GET /groups."""
    channels = (
        Channel(id="a", name="A", identifier="x", customer={"id": "c1", "name": "One"}),
        Channel(id="b", name="B", identifier="x"),
    )
    sandbox = sandbox_app_factory(channels=channels)
    listed = sandbox.api.get("/integrations", params={"group": "c1"}).json()
    assert [(c["id"], c["customer"]) for c in listed] == [("a", {"id": "c1", "name": "One"})]
    assert len(sandbox.api.get("/integrations").json()) == 2
    assert sandbox.api.get("/groups").json() == [{"id": "c1", "name": "One"}]


def test_find_slot_default_times(sandbox_app: InProcessSandbox) -> None:
    """§7/§9: next future default slot (02:00, 06:40, 11:40 UTC) as naive UTC with :00."""
    # now is 2027-01-15T08:00Z, so the next default slot is 11:40 the same day
    assert sandbox_app.api.get("/find-slot/demo-x").json() == {"date": "2027-01-15T11:40:00"}


def test_find_slot_skips_taken_times(sandbox_app: InProcessSandbox) -> None:
    """§7: a slot is taken if any live post of the org is at exactly that time."""
    body = create(post("demo-mastodon", value(), settings={}), date="2027-01-15T11:40:00Z")
    sandbox_app.api.post("/posts", json=body)
    assert sandbox_app.api.get("/find-slot/demo-x").json() == {"date": "2027-01-16T02:00:00"}


def test_find_slot_uses_posting_times(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§7: postingTimes are minutes after UTC midnight."""
    sandbox = sandbox_app_factory(posting_times={"demo-x": (30,)})
    assert sandbox.api.get("/find-slot/demo-x").json() == {"date": "2027-01-16T00:30:00"}


@pytest.mark.parametrize("ident", ["unknown", "demo-x-old"])
def test_find_slot_terminates_for_unknown_or_disabled(
    sandbox_app: InProcessSandbox, ident: str
) -> None:
    """§7: the server would recurse forever; the sandbox answers 400 instead."""
    response = sandbox_app.api.get(f"/find-slot/{ident}")
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_integration_settings(sandbox_app: InProcessSandbox) -> None:
    """§7: {output:{rules, maxLength, settings, tools}} from the provider rules."""
    output = sandbox_app.api.get("/integration-settings/demo-youtube").json()["output"]
    assert output["maxLength"] == 5000
    assert output["tools"] == []
    assert output["settings"]["required"] == ["title", "type"]
    assert output["settings"]["properties"]["type"]["enum"] == ["public", "private", "unlisted"]
    x = sandbox_app.api.get("/integration-settings/demo-x").json()["output"]
    assert x["rules"] == "X can have up to 4 pictures or 1 video"
    plain = sandbox_app.api.get("/integration-settings/demo-threads").json()["output"]
    assert plain["settings"] == "No additional settings required"


def test_integration_settings_x_has_no_required_list(sandbox_app: InProcessSandbox) -> None:
    """x.dto.ts: who_can_reply_post is under ValidateIf (not for articles), so the schema
    class-validator-jsonschema builds for X has no ``required`` list; the keys are described."""
    x = sandbox_app.api.get("/integration-settings/demo-x").json()["output"]["settings"]
    assert "required" not in x
    assert {"who_can_reply_post", "post_type", "community"} <= set(x["properties"])
    assert x["properties"]["post_type"]["enum"] == ["post", "article"]


def test_integration_settings_verified_x(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """§7/§8: maxLength follows the Verified flag; verified X accepts 4000 characters."""
    sandbox = sandbox_app_factory(verified=frozenset({"demo-x"}))
    output = sandbox.api.get("/integration-settings/demo-x").json()["output"]
    assert output["maxLength"] == 4000
    assert sandbox.api.post("/posts", json=create(post(value("x" * 1000)))).status_code == 201


def test_integration_settings_not_found(sandbox_app: InProcessSandbox) -> None:
    """§7: unknown id → 404 {"msg": "Integration not found"}."""
    response = sandbox_app.api.get("/integration-settings/nope")
    assert (response.status_code, response.json()) == (404, {"msg": "Integration not found"})


def test_unknown_route_is_nest_404(sandbox_app: InProcessSandbox) -> None:
    """Nest's not-found rendering for routes the controller does not have."""
    response = sandbox_app.api.get("/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "message": "Cannot GET /public/v1/nothing-here",
        "error": "Not Found",
        "statusCode": 404,
    }


def test_channels_file_in_integrations_shape(tmp_path: Path) -> None:
    """Issue 4: --channels-file takes the GET /integrations shape (+ verified, postingTimes)."""
    path = tmp_path / "channels.json"
    items = [
        {"id": "c1", "name": "Mine", "identifier": "x", "picture": None, "disabled": False,
         "profile": "me", "verified": True, "postingTimes": [60, 120]},
    ]  # fmt: skip
    path.write_text(json.dumps(items))
    loaded = load_channels(path)
    assert [c.id for c in loaded.channels] == ["c1"]
    assert loaded.verified == {"c1"}
    assert loaded.posting_times == {"c1": (60, 120)}
    path.write_text('{"not": "a list"}')
    with pytest.raises(InputError, match="JSON list"):
        load_channels(path)
