"""The PostSyncer sandbox speaks the contract: auth, abilities, window, 422, import, pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from calendar_sched.sandbox.postsyncer.config import load_accounts
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_auth_abilities_and_the_fixed_window(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock
) -> None:
    sandbox = postsyncer_factory(limit=2, abilities=frozenset({"accounts"}))
    url = sandbox.api_url
    assert httpx.get(f"{url}/accounts").status_code == 401
    ok = httpx.get(f"{url}/accounts", headers=AUTH)
    assert ok.status_code == 200
    assert int(ok.headers["X-RateLimit-Reset"]) >= fake_clock.now  # a Unix time
    assert httpx.get(f"{url}/workspaces", headers=AUTH).status_code == 403
    refused = httpx.get(f"{url}/accounts", headers=AUTH)
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    fake_clock.now += 61
    assert httpx.get(f"{url}/accounts", headers=AUTH).status_code == 200
    assert sandbox.stats()["rejected_429"] == 1


def test_422_batch_import_and_pagination(postsyncer_sandbox: RunningPostSyncer) -> None:
    url = postsyncer_sandbox.api_url
    bad = httpx.post(
        f"{url}/posts", headers=AUTH, json={"workspace_id": 1, "accounts": [{"id": 999}]}
    )
    assert bad.status_code == 422
    assert "accounts.0.id" in bad.json()["errors"]
    assert "more error" in bad.json()["message"]
    urls = ["https://a.example/1.png", "https://down.invalid/2.png", "http://a.example/3.png"]
    imported = httpx.post(
        f"{url}/media/upload/url", headers=AUTH, json={"workspace_id": 1, "urls": urls}
    ).json()
    assert imported["count_stored"] == 1
    media_id = imported["media"][0]["id"]
    for i in range(3):
        body = {
            "workspace_id": 1,
            "schedule_type": "schedule",
            "schedule_for": {"date": "2030-03-02", "time": "09:00", "timezone": "Europe/Berlin"},
            "content": [{"text": f"post {i}", "media": [media_id]}],
            "accounts": [{"id": 1}, {"id": 2}],
        }
        assert httpx.post(f"{url}/posts", headers=AUTH, json=body).status_code == 201
    page = httpx.get(f"{url}/posts", headers=AUTH, params={"page": 2, "per_page": 2}).json()
    assert page["meta"]["last_page"] == 2
    assert [p["content"][0]["text"] for p in page["data"]] == ["post 2"]
    assert httpx.delete(f"{url}/posts/1", headers=AUTH).status_code == 200
    assert httpx.get(f"{url}/posts/1", headers=AUTH).status_code == 404


def test_channels_file_in_postiz_shape_maps_identifier_and_profile(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    items = [
        {"id": "a", "name": "Acme X", "identifier": "x", "profile": "acme"},
        {"id": "b", "name": "Acme IG", "identifier": "instagram", "profile": "acme.inc"},
    ]
    path.write_text(json.dumps(items))
    workspaces, accounts = load_accounts(path)
    assert [(a.platform, a.username, a.workspace_id) for a in accounts] == [
        ("twitter", "acme", workspaces[0].id),
        ("instagram", "acme.inc", workspaces[0].id),
    ]


def test_admin_routes_are_the_postiz_sandbox_ones(postsyncer_sandbox: RunningPostSyncer) -> None:
    """``/_sandbox`` stats, faults (checked) and revoke: shared with the Postiz emulator."""
    admin = f"{postsyncer_sandbox.url}/_sandbox"
    assert httpx.get(f"{admin}/stats").json()["requests"] == 0
    changed = httpx.post(f"{admin}/faults", json={"fault_5xx": 0.5, "seed": 3})
    assert changed.json()["fault_5xx"] == 0.5
    assert httpx.post(f"{admin}/faults", json={"fault_5xx": 2}).status_code == 400
    assert httpx.post(f"{admin}/faults", json={"boom": 1}).status_code == 400
    assert httpx.post(f"{admin}/revoke", json={"revoked": True}).json() == {"revoked": True}
    url = postsyncer_sandbox.api_url
    assert httpx.get(f"{url}/accounts", headers=AUTH).status_code == 401
