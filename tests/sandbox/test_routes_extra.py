"""The smaller routes (reference §7), pinned to Postiz's controller and service.

CTRL = ``apps/backend/src/public-api/routes/v1/public.integrations.controller.ts``;
SVC = ``libraries/nestjs-libraries/src/database/prisma/posts/posts.service.ts``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox

WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"}


def _make(sandbox: InProcessSandbox, *parts: str | dict[str, Any], **extra: Any) -> None:
    response = sandbox.api.post("/posts", json=create(post(*parts), **extra))
    assert response.status_code == 201, response.text


def _listed(sandbox: InProcessSandbox) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in sandbox.api.get("/posts", params=WINDOW).json()["posts"]}


# PUT /posts/:id/status (CTRL changePostStatus, SVC changePostStatus)


def test_status_to_draft_stops_publishing(sandbox_app: InProcessSandbox) -> None:
    """CTRL ``changePostStatus`` {status: draft} → {id, state: DRAFT}; nothing publishes."""
    _make(sandbox_app, value("one", id="s1"), value("reply", id="s1c"))
    answer = sandbox_app.api.put("/posts/s1/status", json={"status": "draft"})
    assert (answer.status_code, answer.json()) == (200, {"id": "s1", "state": "DRAFT"})
    sandbox_app.clock.advance(40 * 86400)  # past the publish date
    assert _listed(sandbox_app)["s1"]["state"] == "DRAFT"
    comment = sandbox_app.state.store.post("s1c")
    assert comment is not None
    assert comment.state == "DRAFT"


def test_status_back_to_schedule_restarts_the_workflow(sandbox_app: InProcessSandbox) -> None:
    """CTRL ``changePostStatus`` {status: schedule}: QUEUE and the workflow restarted."""
    _make(sandbox_app, value("one", id="s2"), type="draft")
    answer = sandbox_app.api.put("/posts/s2/status", json={"status": "schedule"})
    assert answer.json() == {"id": "s2", "state": "QUEUE"}
    sandbox_app.clock.advance(40 * 86400)
    assert _listed(sandbox_app)["s2"]["state"] == "PUBLISHED"


def test_status_of_unknown_post_and_bad_status(sandbox_app: InProcessSandbox) -> None:
    """``ChangePostStatusDto`` IsIn(draft, schedule) → message[]; unknown → 400 Post not found."""
    bad = sandbox_app.api.put("/posts/x/status", json={"status": "published"})
    assert bad.status_code == 400
    assert bad.json()["message"] == ["status must be one of the following values: draft, schedule"]
    unknown = sandbox_app.api.put("/posts/nope/status", json={"status": "draft"})
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"message": "Post not found", "error": "Bad Request", "statusCode": 400},
    )


# PUT /posts/:id/settings (SVC updatePostSettings)


def test_settings_are_merged_and_kept_in_the_group(sandbox_app: InProcessSandbox) -> None:
    """SVC ``updatePostSettings``: keys merged into the settings; {postId, publishDate}."""
    _make(sandbox_app, value("one", id="t1"))
    answer = sandbox_app.api.put(
        "/posts/t1/settings", json={"settings": {"community": "https://x.com/i/communities/12"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"postId": "t1", "publishDate": "2027-02-01T09:30:00.000Z"}
    stored = sandbox_app.state.store.post("t1")
    assert stored is not None
    assert stored.settings["who_can_reply_post"] == "everyone"
    assert stored.settings["community"] == "https://x.com/i/communities/12"
    sandbox_app.clock.advance(40 * 86400)  # the workflow was left running
    assert _listed(sandbox_app)["t1"]["state"] == "PUBLISHED"


def test_settings_are_checked_again(sandbox_app: InProcessSandbox) -> None:
    """SVC ``updatePostSettings`` re-validates: an invalid merged value → the provider 400."""
    _make(sandbox_app, value("one", id="t2"))
    answer = sandbox_app.api.put(
        "/posts/t2/settings", json={"settings": {"who_can_reply_post": "nobody-at-all"}}
    )
    assert answer.status_code == 400
    stored = sandbox_app.state.store.post("t2")
    assert stored is not None
    assert stored.settings["who_can_reply_post"] == "everyone"


def test_settings_refusals_in_the_services_order(sandbox_app: InProcessSandbox) -> None:
    """SVC ``updatePostSettings``: unknown → 404; comment id; published; past due → 400."""
    unknown = sandbox_app.api.put("/posts/none/settings", json={"settings": {}})
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"message": "Post not found", "error": "Not Found", "statusCode": 404},
    )
    _make(sandbox_app, value("one", id="u1"), value("reply", id="u1c"))
    comment = sandbox_app.api.put("/posts/u1c/settings", json={"settings": {}})
    assert comment.json()["message"] == (
        "This id belongs to a comment, pass the id of the main post"
    )
    _make(sandbox_app, value("past", id="u2"), date="2027-01-15T08:30:00Z")
    sandbox_app.clock.advance(3600)  # now past due, and published on the next request
    published = sandbox_app.api.put("/posts/u2/settings", json={"settings": {}})
    assert published.json()["message"] == (
        "Only scheduled posts that were not published yet (or drafts) can be updated"
    )


def test_settings_of_a_queued_post_past_due(sandbox_app: InProcessSandbox) -> None:
    """SVC ``updatePostSettings``: QUEUE with a publish date already passed → 400.

    ``type: update`` on a new id leaves a QUEUE row with no workflow (§3), so it stays queued.
    """
    _make(sandbox_app, value("late", id="v1"), type="update", date="2027-01-15T08:30:00Z")
    sandbox_app.clock.advance(3600)
    answer = sandbox_app.api.put("/posts/v1/settings", json={"settings": {}})
    assert (answer.status_code, answer.json()["message"]) == (
        400,
        "The publish time of this post already passed, it cannot be updated",
    )


# GET /posts/:id/missing (SVC getMissingContent)


def test_missing_is_empty_unless_release_id_is_missing(sandbox_app: InProcessSandbox) -> None:
    """SVC ``getMissingContent``: [] for an unknown post or a release id other than missing."""
    _make(sandbox_app, value("one", id="m1"), date="2027-01-15T08:00:00Z")
    assert sandbox_app.api.get("/posts/m1/missing").json() == []
    assert sandbox_app.api.get("/posts/unknown/missing").json() == []


# GET /notifications (CTRL getNotifications)


def test_notifications_page_shape_and_failed_posts(sandbox_app: InProcessSandbox) -> None:
    """CTRL ``getNotifications``: {notifications, total, page, limit: 100, hasMore}."""
    empty = sandbox_app.api.get("/notifications").json()
    assert empty == {"notifications": [], "total": 0, "page": 0, "limit": 100, "hasMore": False}
    _make(sandbox_app, "demo-x-old", value("one", id="n1"), date="2027-01-15T08:00:00Z")
    page = sandbox_app.api.get("/notifications", params={"page": "0"}).json()
    assert page["total"] == 1
    (notice,) = page["notifications"]
    assert set(notice) == {"id", "content", "link", "createdAt"}
    assert "Channel disabled" in notice["content"]
    assert sandbox_app.api.get("/notifications", params={"page": "1"}).json()["notifications"] == []


# DELETE /integrations/:id (CTRL deleteChannel)


def test_delete_channel_deletes_its_post_groups(
    sandbox_app_factory: Callable[..., InProcessSandbox],
) -> None:
    """CTRL ``deleteChannel``: each post group of the channel deleted, then the channel."""
    sandbox = sandbox_app_factory()
    _make(sandbox, value("x post", id="d1"), value("reply", id="d1c"))
    _make(sandbox, "demo-linkedin", value("kept", id="d2"))
    answer = sandbox.api.delete("/integrations/demo-x")
    assert answer.status_code == 200
    assert answer.json()["id"] == "demo-x"
    ids = [c["id"] for c in sandbox.api.get("/integrations").json()]
    assert "demo-x" not in ids
    assert "demo-linkedin" in ids
    assert list(_listed(sandbox)) == ["d2"]
    for post_id in ("d1", "d1c"):
        row = sandbox.state.store.post(post_id)
        assert row is not None
        assert row.deleted_ms is not None
    assert sandbox.api.delete("/integrations/demo-x").status_code == 500  # Prisma: not found


# Express routing: not strict


def test_trailing_slash_is_served_and_counted(sandbox_app: InProcessSandbox) -> None:
    """MAIN (Express, ``strict`` routing off): ``POST /public/v1/posts/`` is ``/posts``, and
    THR counts it (the URL contains ``/public/v1/posts``)."""
    response = sandbox_app.api.post("/posts/", json=create(post(value(id="slash1"))))
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Remaining"] == "29"
    assert sandbox_app.api.get("/integrations/").status_code == 200
    assert sandbox_app.stats()["counted_requests"] == 1
