"""§5 GET /posts, §6 deletes and the simulated publisher."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from calendar_sched.models import Channel
from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox

JAN = {"startDate": "2027-01-01T00:00:00Z", "endDate": "2027-01-31T23:59:59Z"}


def _list(sandbox: InProcessSandbox, **params: str) -> list[dict[str, Any]]:
    response = sandbox.api.get("/posts", params=params or JAN)
    assert response.status_code == 200
    posts: list[dict[str, Any]] = response.json()["posts"]
    return posts


def test_dates_are_required(sandbox_app: InProcessSandbox) -> None:
    """§5: startDate and endDate are required ISO dates → 400 message[]."""
    response = sandbox_app.api.get("/posts", params={"startDate": "2027-01-01"})
    assert response.status_code == 400
    assert response.json() == {
        "message": ["endDate must be a valid ISO 8601 date string"],
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_item_shape(sandbox_app: InProcessSandbox) -> None:
    """§5: item fields, settings as a JSON string, integration summary, group and state."""
    tags = [{"value": "n", "label": "news"}]
    body = create(post(value("<p>Hi</p>", id="s1")), date="2027-01-20T10:00:00Z", tags=tags)
    sandbox_app.api.post("/posts", json=body)
    (item,) = _list(sandbox_app)
    assert set(item) == {
        "id", "content", "publishDate", "releaseURL", "releaseId", "state", "intervalInDays",
        "group", "creationMethod", "settings", "tags", "integration",
    }  # fmt: skip
    assert item["id"] == "s1"
    assert item["content"] == "<p>Hi</p>"
    assert item["publishDate"] == "2027-01-20T10:00:00.000Z"
    assert (item["state"], item["releaseURL"], item["intervalInDays"]) == ("QUEUE", None, None)
    assert json.loads(item["settings"]) == {"who_can_reply_post": "everyone", "__type": "x"}
    assert item["integration"] == {
        "id": "demo-x",
        "providerIdentifier": "x",
        "name": "Acme on X",
        "picture": "https://sandbox.invalid/avatars/x.png",
    }
    assert set(item["tags"][0]["tag"]) == {
        "id", "name", "color", "orgId", "deletedAt", "createdAt", "updatedAt",
    }  # fmt: skip
    assert isinstance(item["group"], str)
    assert item["creationMethod"] == "API"


def test_range_is_inclusive(sandbox_app: InProcessSandbox) -> None:
    """§5: publishDate between the two dates, both inclusive."""
    for ident, date in (("edge1", "2027-01-01T00:00:00Z"), ("edge2", "2027-01-31T23:59:59Z")):
        sandbox_app.api.post("/posts", json=create(post(value(id=ident)), date=date))
    sandbox_app.api.post("/posts", json=create(post(value(id="out")), date="2027-02-01T00:00:00Z"))
    assert [p["id"] for p in _list(sandbox_app)] == ["edge1", "edge2"]


def test_root_posts_only(sandbox_app: InProcessSandbox) -> None:
    """§5: comments (thread replies) are not returned."""
    body = create(post(value("main", id="t1"), value("reply", id="t2")), date="2027-01-20T00:00Z")
    sandbox_app.api.post("/posts", json=body)
    assert [p["id"] for p in _list(sandbox_app)] == ["t1"]


def test_repeating_posts_are_expanded(sandbox_app: InProcessSandbox) -> None:
    """§5: intervalInDays posts appear once per occurrence up to endDate, with actualDate."""
    body = create(post(value(id="rep")), date="2027-01-20T09:00:00Z", inter=5)
    sandbox_app.api.post("/posts", json=body)
    listed = _list(sandbox_app)
    assert [p["publishDate"] for p in listed] == [
        "2027-01-20T09:00:00.000Z",
        "2027-01-25T09:00:00.000Z",
        "2027-01-30T09:00:00.000Z",
    ]
    assert {p["actualDate"] for p in listed} == {"2027-01-20T09:00:00.000Z"}
    assert {p["intervalInDays"] for p in listed} == {5}


def test_customer_filter(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§5: customer filters on the integration's customer id."""
    channels = (
        Channel(id="a", name="A", identifier="mastodon", customer={"id": "c1", "name": "One"}),
        Channel(id="b", name="B", identifier="mastodon"),
    )
    sandbox = sandbox_app_factory(channels=channels)
    for ident in ("a", "b"):
        body = create(post(ident, value(id=f"p-{ident}"), settings={}), date="2027-01-20T00:00Z")
        sandbox.api.post("/posts", json=body)
    assert [p["id"] for p in _list(sandbox, **JAN, customer="c1")] == ["p-a"]


def test_delete_post_removes_its_group(sandbox_app: InProcessSandbox) -> None:
    """§6: DELETE /posts/:id soft-deletes the post's group; the answer is {"error": true}."""
    body = create(post(value("m", id="d1"), value("c", id="d2")), date="2027-01-20T00:00Z")
    sandbox_app.api.post("/posts", json=body)
    response = sandbox_app.api.delete("/posts/d1")
    assert (response.status_code, response.json()) == (200, {"error": True})
    assert _list(sandbox_app) == []
    comment = sandbox_app.state.store.post("d2")
    assert comment is not None
    assert comment.deleted_ms is not None


def test_delete_unknown_or_deleted_is_500(sandbox_app: InProcessSandbox) -> None:
    """§6: an unknown or already-deleted id → 500."""
    sandbox_app.api.post("/posts", json=create(post(value(id="once"))))
    sandbox_app.api.delete("/posts/once")
    for ident in ("once", "never"):
        response = sandbox_app.api.delete(f"/posts/{ident}")
        assert response.status_code == 500
        assert response.json() == {"statusCode": 500, "message": "Internal server error"}


def test_delete_group(sandbox_app: InProcessSandbox) -> None:
    """§6: DELETE /posts/group/:group; unknown groups are a silent 200."""
    sandbox_app.api.post("/posts", json=create(post(value(id="g1")), date="2027-01-20T00:00Z"))
    group = _list(sandbox_app)[0]["group"]
    assert sandbox_app.api.delete(f"/posts/group/{group}").json() == {"error": True}
    assert _list(sandbox_app) == []
    assert sandbox_app.api.delete("/posts/group/nothing").status_code == 200


def test_deleted_ids_stay_deleted_on_resend(sandbox_app: InProcessSandbox) -> None:
    """§3 caveat: an upsert never clears deletedAt; the post stays invisible (201 anyway)."""
    body = create(post(value(id="z1")), date="2027-01-20T00:00Z")
    sandbox_app.api.post("/posts", json=body)
    sandbox_app.api.delete("/posts/z1")
    assert sandbox_app.api.post("/posts", json=body).status_code == 201
    assert _list(sandbox_app) == []


def test_publisher_moves_due_posts_to_published(sandbox_app: InProcessSandbox) -> None:
    """§3 workflow: a QUEUE post whose time has come becomes PUBLISHED (thread included)."""
    body = create(post(value(id="q1"), value("r", id="q2")), date="2027-01-15T09:00:00Z")
    sandbox_app.api.post("/posts", json=body)
    assert _list(sandbox_app)[0]["state"] == "QUEUE"
    sandbox_app.clock.advance(3600)
    (item,) = _list(sandbox_app)
    assert item["state"] == "PUBLISHED"
    assert item["releaseURL"]
    assert item["releaseId"]
    reply = sandbox_app.state.store.post("q2")
    assert reply is not None
    assert reply.state == "PUBLISHED"


def test_publisher_errors_on_disabled_channel(sandbox_app: InProcessSandbox) -> None:
    """§3: a disabled channel's post becomes ERROR "Channel disabled" at publish time."""
    body = create(post("demo-x-old", value(id="off1")), date="2027-01-15T07:00:00Z")
    sandbox_app.api.post("/posts", json=body)
    (item,) = _list(sandbox_app)
    assert item["state"] == "ERROR"
    stored = sandbox_app.state.store.post("off1")
    assert stored is not None
    assert stored.error == "Channel disabled"


def test_drafts_never_publish(sandbox_app: InProcessSandbox) -> None:
    """§3: drafts stay DRAFT whatever their date."""
    body = create(post(value(id="dr1")), type="draft", date="2027-01-01T00:00:00Z")
    sandbox_app.api.post("/posts", json=body)
    assert _list(sandbox_app)[0]["state"] == "DRAFT"


def test_resend_of_an_error_post_requeues_it(sandbox_app: InProcessSandbox) -> None:
    """§3 idempotency: resending the same ids retries an ERROR post (back to QUEUE)."""
    body = create(post("demo-x-old", value(id="er1")), date="2027-01-15T07:00:00Z")
    sandbox_app.api.post("/posts", json=body)
    later = create(post("demo-x", value(id="er1")), date="2027-01-20T07:00:00Z")
    sandbox_app.api.post("/posts", json=later)
    assert _list(sandbox_app)[0]["state"] == "QUEUE"


def test_zero_or_negative_interval_does_not_repeat(sandbox_app: InProcessSandbox) -> None:
    """§5: only a positive intervalInDays repeats; others list once, inside the range only."""
    for ident, inter in (("z0", 0), ("zneg", -3)):
        body = create(post(value(id=ident)), date="2027-03-01T00:00:00Z", inter=inter)
        sandbox_app.api.post("/posts", json=body)
    assert _list(sandbox_app) == []
    march = {"startDate": "2027-03-01T00:00:00Z", "endDate": "2027-03-31T00:00:00Z"}
    listed = _list(sandbox_app, **march)
    assert sorted(p["id"] for p in listed) == ["z0", "zneg"]
    assert {p["intervalInDays"] for p in listed} == {None}
