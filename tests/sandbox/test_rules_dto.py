"""The DTO stage of ``POST /posts`` and what the service does next, where the sandbox used to be
stricter or looser than Postiz (issue #14 items 5, "stricter than Postiz", wording).

Docstrings name the Postiz source (gitroomhq/postiz-app at 74b01ada, reference §3).
"""

from __future__ import annotations

from typing import Any

from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox

IMAGE = {"id": "m1", "path": "https://cdn.example.com/a.png"}
WINDOW = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"}
EMPTY = " If images do not exist, content must be a non-empty string."


def _listed(sandbox: InProcessSandbox) -> dict[str, dict[str, Any]]:
    posts = sandbox.api.get("/posts", params=WINDOW).json()["posts"]
    return {item["id"]: item for item in posts}


def test_empty_content_fails_in_the_dto_stage(sandbox_app: InProcessSandbox) -> None:
    """create.post.dto.ts ValidContent (striptags, trim): a message[] body, not the
    provider-shaped one, and nothing reaches the provider stage."""
    for content in ("", "   ", "<p> </p>", "<p><br></p>"):
        response = sandbox_app.api.post("/posts", json=create(post(value(content))))
        assert response.status_code == 400
        assert response.json() == {
            "message": [f"posts.0.value.0.{EMPTY}"],
            "error": "Bad Request",
            "statusCode": 400,
        }


def test_content_null_with_an_image_is_accepted(sandbox_app: InProcessSandbox) -> None:
    """create.post.dto.ts: ValidContent passes when image is non-empty, whatever the content."""
    item = {"id": "n1", "content": None, "image": [IMAGE]}
    element = post("demo-mastodon", item, settings={})
    assert sandbox_app.api.post("/posts", json=create(element)).status_code == 201
    stored = sandbox_app.state.store.post("n1")
    assert stored is not None
    assert stored.content == ""
    bare = post("demo-mastodon", {"content": None, "image": []}, settings={})
    answer = sandbox_app.api.post("/posts", json=create(bare)).json()
    assert answer["message"] == [f"posts.0.value.0.{EMPTY}"]


def test_tags_items_must_be_objects(sandbox_app: InProcessSandbox) -> None:
    """create.post.dto.ts tags ValidateNested({each}): a bare string item → 400 (its fields are
    not checked: forbidUnknownValues false)."""
    response = sandbox_app.api.post("/posts", json=create(post(value()), tags=["launch"]))
    assert response.status_code == 400
    assert response.json()["message"] == [
        "tags.each value in nested property tags must be either object or array"
    ]
    loose = create(post(value()), tags=[{"name": "whatever"}])
    assert sandbox_app.api.post("/posts", json=loose).status_code == 201


def test_content_is_sanitised_before_storage(sandbox_app: InProcessSandbox) -> None:
    """sanitize.post.content.ts (DOMPurify): allowed tags and attributes stay, scripts and
    other tags go, plain & < > are stored as entities."""
    cases = {
        "s1": ("<p>a &amp; b</p>", "<p>a &amp; b</p>"),
        "s2": ("Tom & Jerry <3", "Tom &amp; Jerry &lt;3"),
        "s3": (
            '<p onclick="x()">Hi <em>you</em><script>alert(1)</script></p>',
            "<p>Hi you</p>",
        ),
        "s4": (
            '<a href="javascript:alert(1)" target="_blank" style="c">link</a>',
            '<a target="_blank">link</a>',
        ),
        "s5": ('<span class="m" data-mention-id="7">@acme</span>', None),
    }
    for ident, (content, _) in cases.items():
        element = post("demo-mastodon", value(content, id=ident), settings={})
        assert sandbox_app.api.post("/posts", json=create(element)).status_code == 201
    for ident, (content, expected) in cases.items():
        stored = sandbox_app.state.store.post(ident)
        assert stored is not None
        assert stored.content == (expected or content)


def test_republish_guard_fires_on_a_deleted_published_post(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts guardAgainstRepublish: getPostById does not skip deleted rows."""
    body = create(post(value(id="gone1")), date="2027-01-15T07:59:00Z")  # a minute ago
    sandbox_app.api.post("/posts", json=body)
    assert _listed(sandbox_app)["gone1"]["state"] == "PUBLISHED"
    assert sandbox_app.api.delete("/posts/gone1").status_code == 200
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 400
    assert "already published on 2027-01-15 07:59 UTC" in response.json()["message"]


def test_update_on_a_new_id_never_publishes(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts createPost: startWorkflow is skipped for type update, so a row it
    creates stays QUEUE without a workflow; a schedule of the same date publishes."""
    past = "2027-01-15T07:00:00Z"
    sandbox_app.api.post("/posts", json=create(post(value(id="up1")), type="update", date=past))
    sandbox_app.api.post("/posts", json=create(post(value(id="sc1")), date=past))
    sandbox_app.clock.advance(3600)
    listed = _listed(sandbox_app)
    assert (listed["up1"]["state"], listed["sc1"]["state"]) == ("QUEUE", "PUBLISHED")
    # A later schedule of the same id starts its workflow.
    sandbox_app.api.post("/posts", json=create(post(value(id="up1")), date=past))
    assert _listed(sandbox_app)["up1"]["state"] == "PUBLISHED"


def test_republish_and_short_link_are_coerced(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts mapTypeToPost: ValidationPipe enableImplicitConversion turns any value
    of a boolean field into a boolean, so "yes" republishes and "no" is a true shortLink."""
    first = create(post(value("v1", id="co1")), date="2027-01-15T07:59:00Z")
    sandbox_app.api.post("/posts", json=first)
    again = create(post(value("v2", id="co1")), republish="yes", shortLink="no")
    response = sandbox_app.api.post("/posts", json=again)
    assert response.status_code == 201, response.json()
    assert _listed(sandbox_app)["co1"]["state"] == "QUEUE"
    falsy = create(post(value("v3", id="co1")), date="2027-01-15T07:59:00Z", republish="")
    sandbox_app.clock.advance(120)
    sandbox_app.api.post("/posts", json=falsy)  # publishes it again (QUEUE, due)
    assert sandbox_app.api.post("/posts", json=falsy).status_code == 400  # "" is false


def test_space_separated_date(sandbox_app: InProcessSandbox) -> None:
    """create.post.dto.ts IsDateString (validator.js isISO8601 takes a space before the time);
    dayjs reads it as UTC."""
    body = create(post(value(id="sp1")), date="2027-09-01 10:00:00")
    assert sandbox_app.api.post("/posts", json=body).status_code == 201
    window = {"startDate": "2027-09-01T00:00:00Z", "endDate": "2027-09-02T00:00:00Z"}
    listed = sandbox_app.api.get("/posts", params=window).json()["posts"]
    assert listed[0]["publishDate"] == "2027-09-01T10:00:00.000Z"


def test_all_posts_must_have_an_integration_id(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts mapTypeToPost: the first check, before any integration is loaded."""
    body = create(post(value()), {"value": [value()], "integration": {}})
    assert sandbox_app.api.post("/posts", json=body).json() == {
        "message": "All posts must have an integration id",
        "error": "Bad Request",
        "statusCode": 400,
    }
