"""§3 POST /posts: DTO and provider validation, writes, idempotency, groups, republish guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.bodies import create, post, value
from tests.helpers.sandbox import InProcessSandbox

WINDOW = {"startDate": "2027-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"}


def _listed(sandbox: InProcessSandbox) -> list[dict[str, Any]]:
    posts: list[dict[str, Any]] = sandbox.api.get("/posts", params=WINDOW).json()["posts"]
    return posts


def test_created_answer_is_an_array_of_post_and_integration(sandbox_app: InProcessSandbox) -> None:
    """§3: 201 with one {postId, integration} per posts[] element, postId = value[0].id."""
    body = create(
        post("demo-x", value("one", id="a1"), value("reply", id="a2")),
        post("demo-mastodon", value("two", id="b1"), settings={}),
    )
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 201
    assert response.json() == [
        {"postId": "a1", "integration": "demo-x"},
        {"postId": "b1", "integration": "demo-mastodon"},
    ]


def test_missing_integration_id(sandbox_app: InProcessSandbox) -> None:
    """§3 step 1: every posts[i].integration.id must be present."""
    body = create(post("demo-x"), {"value": [value()], "settings": {}})
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "message": "All posts must have an integration id",
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_unknown_integration(sandbox_app: InProcessSandbox) -> None:
    """§3 step 2: unknown id → 400 Integration with id X not found."""
    response = sandbox_app.api.post("/posts", json=create(post("nope")))
    assert response.status_code == 400
    assert response.json()["message"] == "Integration with id nope not found"


def test_dto_errors_are_listed_together(sandbox_app: InProcessSandbox) -> None:
    """§3 step 4: class-validator messages with paths, all in one message[]."""
    body = {
        "type": "schedule",
        "date": "next tuesday",
        "posts": [
            {
                "integration": {"id": "demo-mastodon"},
                "value": [{"content": 5, "image": [{"id": "m1", "path": "https://x/a.tiff"}]}],
            },
            {"integration": {"id": "demo-threads"}, "value": []},
        ],
    }
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "message": [
            "shortLink must be a boolean value",
            "date must be a valid ISO 8601 date string",
            "tags must be an array",
            "posts.0.value.0.content must be a string",
            "posts.0.value.0.image.0.File must have a valid extension: "
            ".png, .jpg, .jpeg, .gif, .webp, or .mp4",
            "posts.1.value must contain at least 1 elements",
        ],
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_posts_must_not_be_empty(sandbox_app: InProcessSandbox) -> None:
    """§3: posts is a required array with at least one element."""
    response = sandbox_app.api.post("/posts", json=create(posts=[]))
    assert response.json()["message"] == ["posts must contain at least 1 elements"]


def test_image_items_need_id_and_path(sandbox_app: InProcessSandbox) -> None:
    """§3 MediaDto: id and path are required strings; the extension check is case-sensitive.

    libraries/helpers/src/utils/valid.url.path.ts ValidUrlExtension: a custom validator, so its
    message comes as <path>.<message>.
    """
    images = [
        {"path": "https://cdn/a.png"},
        {"id": "m2"},
        {"id": "m3", "path": "https://cdn/b.PNG"},
    ]
    body = create(post("demo-mastodon", value("hi", image=images), settings={}))
    messages = sandbox_app.api.post("/posts", json=body).json()["message"]
    assert messages == [
        "posts.0.value.0.image.0.id must be a string",
        "posts.0.value.0.image.1.path must be a string",
        "posts.0.value.0.image.2.File must have a valid extension: "
        ".png, .jpg, .jpeg, .gif, .webp, or .mp4",
    ]


def test_image_query_string_is_ignored_by_the_extension_rule(sandbox_app: InProcessSandbox) -> None:
    """§3 ValidUrlExtension looks at the path before `?`."""
    image = {"id": "m1", "path": "https://cdn.example.com/a.jpg?v=2"}
    body = create(post("demo-mastodon", value("hi", image=[image]), settings={}))
    assert sandbox_app.api.post("/posts", json=body).status_code == 201


def test_provider_error_names_provider_and_channel(sandbox_app: InProcessSandbox) -> None:
    """§3 provider stage: 400 {statusCode, provider, name, message}."""
    body = create(post("demo-x", value("x" * 281)))
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "provider": "x",
        "name": "Acme on X",
        "message": "post is too long, please fix it",
    }


def test_media_rules_apply(sandbox_app: InProcessSandbox) -> None:
    """§8, instagram.provider.ts checkValidity: at least one media, in Postiz's words."""
    body = create(post("demo-instagram", value("caption"), settings={"post_type": "post"}))
    answer = sandbox_app.api.post("/posts", json=body).json()
    assert (answer["provider"], answer["name"]) == ("instagram", "Acme Instagram")
    assert answer["message"] == "Should have at least one media"


def test_missing_required_setting_fails_in_the_dto_stage(sandbox_app: InProcessSandbox) -> None:
    """§3 step 4: the provider settings DTO runs in the ValidationPipe, drafts included."""
    for kind in ("schedule", "draft"):
        response = sandbox_app.api.post("/posts", json=create(post(settings={}), type=kind))
        assert response.status_code == 400
        assert response.json()["message"] == [
            "posts.0.settings.who_can_reply_post should not be empty"
        ]


def test_per_post_draft_type_skips_the_settings_dto(sandbox_app: InProcessSandbox) -> None:
    """§3: a posts[] element's own type 'draft' skips the settings DTO; the draft is saved."""
    element = post(settings={}) | {"type": "draft"}
    response = sandbox_app.api.post("/posts", json=create(element, type="draft"))
    assert response.status_code == 201


def test_client_type_is_overwritten(sandbox_app: InProcessSandbox) -> None:
    """§3 step 3: settings.__type is set to the provider identifier."""
    settings = {"who_can_reply_post": "everyone", "__type": "linkedin"}
    sandbox_app.api.post("/posts", json=create(post(value("hi", id="t1"), settings=settings)))
    stored = sandbox_app.state.store.post("t1")
    assert stored is not None
    assert stored.settings["__type"] == "x"


def test_drafts_skip_length_but_not_emptiness(sandbox_app: InProcessSandbox) -> None:
    """§3: empty content fails drafts too (in the DTO stage); length and media rules do not."""
    long_draft = create(post(value("x" * 400)), type="draft")
    assert sandbox_app.api.post("/posts", json=long_draft).status_code == 201
    empty = sandbox_app.api.post("/posts", json=create(post(value("<p> </p>")), type="draft"))
    assert empty.status_code == 400
    assert empty.json()["message"] == [
        "posts.0.value.0. If images do not exist, content must be a non-empty string."
    ]


def test_length_is_measured_on_text_without_tags_or_entities(sandbox_app: InProcessSandbox) -> None:
    """§3: length uses the text after stripping HTML and decoding entities; content is kept."""
    content = "<p>" + "&amp;" * 280 + "</p>"
    body = create(post(value(content, id="h1")))
    assert sandbox_app.api.post("/posts", json=body).status_code == 201
    stored = sandbox_app.state.store.post("h1")
    assert stored is not None
    assert stored.content == content


def test_all_validation_runs_before_any_write(sandbox_app: InProcessSandbox) -> None:
    """§3 multi-post rules: one invalid element rejects the request with nothing created."""
    body = create(post(value("fine", id="ok1")), post(value("y" * 300, id="bad1")))
    assert sandbox_app.api.post("/posts", json=body).status_code == 400
    assert sandbox_app.state.store.post("ok1") is None
    assert sandbox_app.stats()["posts_total"] == 0


def test_one_date_for_the_whole_request(sandbox_app: InProcessSandbox) -> None:
    """§3: only the top-level date exists; a per-post date is ignored."""
    body = create(
        post(value("a", id="d1")) | {"date": "2027-05-05T00:00:00Z"},
        post(value("b", id="d2")),
        date="2027-03-01T12:00:00+02:00",
    )
    sandbox_app.api.post("/posts", json=body)
    dates = {p["id"]: p["publishDate"] for p in _listed(sandbox_app)}
    assert dates == {"d1": "2027-03-01T10:00:00.000Z", "d2": "2027-03-01T10:00:00.000Z"}


def test_naive_date_is_utc_and_seconds_are_kept(sandbox_app: InProcessSandbox) -> None:
    """§9: no offset means UTC; schedule keeps seconds and milliseconds."""
    sandbox_app.api.post("/posts", json=create(post(value(id="n1")), date="2027-03-01T08:15:42.5"))
    assert _listed(sandbox_app)[0]["publishDate"] == "2027-03-01T08:15:42.500Z"


def test_type_now_uses_server_time_to_the_minute(sandbox_app: InProcessSandbox) -> None:
    """§9: type now ignores date and uses the server's time truncated to the minute."""
    sandbox_app.clock.advance(59)  # 08:00:59Z
    body = create(post(value(id="now1")), type="now", date="2030-01-01T00:00:00Z")
    sandbox_app.api.post("/posts", json=body)
    stored = sandbox_app.state.store.post("now1")
    assert stored is not None
    assert stored.publish_ms == int(sandbox_app.clock.now - 59) * 1000


def test_resend_updates_instead_of_duplicating(sandbox_app: InProcessSandbox) -> None:
    """§3 idempotency: the same value[].id updates the row, with a new group."""
    body = create(post(value("first", id="u1"), value("reply", id="u2")), type="draft")
    sandbox_app.api.post("/posts", json=body)
    group = _listed(sandbox_app)[0]["group"]
    again = create(post(value("second", id="u1"), value("reply", id="u2")))
    assert sandbox_app.api.post("/posts", json=again).status_code == 201
    listed = _listed(sandbox_app)
    assert len(listed) == 1
    assert (listed[0]["content"], listed[0]["state"]) == ("second", "QUEUE")
    assert listed[0]["group"] != group
    stats = sandbox_app.stats()
    # One post with one thread comment: comments are counted apart from posts.
    got = (stats["posts_created"], stats["comments_created"], stats["posts_updated"])
    assert (*got, stats["posts_total"]) == (1, 1, 2, 2)


def test_posts_without_ids_are_new_every_time(sandbox_app: InProcessSandbox) -> None:
    """§3: without value ids every request creates new rows."""
    for _ in range(2):
        sandbox_app.api.post("/posts", json=create(post(value("same"))))
    assert len(_listed(sandbox_app)) == 2


def test_each_element_gets_its_own_group(sandbox_app: InProcessSandbox) -> None:
    """§3: a new group per posts[] element per request; the answer carries no group."""
    body = create(post(value(id="g1")), post(value(id="g2")))
    sandbox_app.api.post("/posts", json=body)
    groups = {p["group"] for p in _listed(sandbox_app)}
    assert len(groups) == 2


def test_group_replaces_the_existing_server_group(sandbox_app: InProcessSandbox) -> None:
    """§3 group: rows of the supplied group are soft-deleted after the new rows are written."""
    sandbox_app.api.post("/posts", json=create(post(value("old", id="r1"), value("c", id="r2"))))
    old_group = _listed(sandbox_app)[0]["group"]
    body = create(post(value("new", id="r1"), group=old_group))
    sandbox_app.api.post("/posts", json=body)
    listed = _listed(sandbox_app)
    assert [(p["id"], p["content"]) for p in listed] == [("r1", "new")]
    dropped = sandbox_app.state.store.post("r2")
    assert dropped is not None
    assert dropped.deleted_ms is not None


def test_client_invented_group_duplicates(sandbox_app: InProcessSandbox) -> None:
    """§3 group: a client group matches nothing, so resending it creates duplicates."""
    for _ in range(2):
        sandbox_app.api.post("/posts", json=create(post(value("dup"), group="my-group")))
    assert len(_listed(sandbox_app)) == 2


def test_republish_guard(sandbox_app: InProcessSandbox) -> None:
    """posts.service.ts guardAgainstRepublish: schedule/now on a PUBLISHED value[0].id → 400."""
    body = create(post(value(id="pub1")), date="2027-01-15T07:59:00Z")  # a minute ago
    sandbox_app.api.post("/posts", json=body)
    assert _listed(sandbox_app)[0]["state"] == "PUBLISHED"
    response = sandbox_app.api.post("/posts", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "message": "This post was already published on 2027-01-15 07:59 UTC. Saving it this "
        "way would publish it again to x. To edit without republishing, use type 'update'. "
        "To intentionally publish again, pass republish: true.",
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_republish_guard_failure_is_not_transactional(sandbox_app: InProcessSandbox) -> None:
    """§3: a guard failure on post #3 leaves #1 and #2 written."""
    sandbox_app.api.post("/posts", json=create(post(value(id="p3")), date="2027-01-01T00:00:00Z"))
    body = create(post(value(id="p1")), post(value(id="p2")), post(value(id="p3")))
    assert sandbox_app.api.post("/posts", json=body).status_code == 400
    store = sandbox_app.state.store
    assert store.post("p1") is not None
    assert store.post("p2") is not None


@pytest.mark.parametrize(
    ("extra", "state"), [({"republish": True}, "QUEUE"), ({"type": "update"}, "PUBLISHED")]
)
def test_republish_true_and_update_pass_the_guard(
    sandbox_app: InProcessSandbox, extra: dict[str, Any], state: str
) -> None:
    """§3: republish:true publishes again (QUEUE); type update edits and keeps the state."""
    first = create(post(value("v1", id="e1")), date="2027-01-01T00:00:00Z")
    sandbox_app.api.post("/posts", json=first)
    body = create(post(value("v2", id="e1")), date="2027-06-01T00:00:00Z") | extra
    assert sandbox_app.api.post("/posts", json=body).status_code == 201
    stored = sandbox_app.state.store.post("e1")
    assert stored is not None
    assert (stored.content, stored.state) == ("v2", state)


def test_disabled_channel_is_accepted(sandbox_app: InProcessSandbox) -> None:
    """§3: a disabled integration is accepted at creation."""
    response = sandbox_app.api.post("/posts", json=create(post("demo-x-old", value(id="dis1"))))
    assert response.status_code == 201


def test_past_date_is_accepted_and_publishes(sandbox_app: InProcessSandbox) -> None:
    """§3: a past date is not rejected; the post publishes at once."""
    body = create(post(value(id="past1")), date="2026-01-01T00:00:00Z")
    assert sandbox_app.api.post("/posts", json=body).status_code == 201
    window = {"startDate": "2025-12-31T00:00:00Z", "endDate": "2026-01-02T00:00:00Z"}
    listed = sandbox_app.api.get("/posts", params=window).json()["posts"]
    assert listed[0]["state"] == "PUBLISHED"


def test_tags_match_existing_labels_only(sandbox_app: InProcessSandbox) -> None:
    """§3: tags are matched by label against org tags; unknown labels are ignored."""
    tags = [{"value": "a", "label": "launch"}, {"value": "b", "label": "unknown"}]
    sandbox_app.api.post("/posts", json=create(post(value(id="tg1")), tags=tags))
    listed = _listed(sandbox_app)[0]["tags"]
    assert [t["tag"]["name"] for t in listed] == ["launch"]


def test_body_over_100kb_is_413(sandbox_app: InProcessSandbox) -> None:
    """§3 body size limit: body-parser's default 100 kB → 413 before auth."""
    body = create(post(value("x" * 102_400)))
    response = sandbox_app.http.post("/public/v1/posts", json=body)  # no key: 413 comes first
    assert response.status_code == 413
    assert response.json() == {"statusCode": 413, "message": "request entity too large"}


def test_malformed_json_is_400(sandbox_app: InProcessSandbox) -> None:
    """§3/§2: the JSON parser rejects bad bodies with Nest's BadRequest shape."""
    response = sandbox_app.api.post(
        "/posts", content=b'{"type": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert "JSON" in response.json()["message"]


def test_creation_method(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§3: creationMethod CLI or API, anything else becomes API."""
    sandbox = sandbox_app_factory()
    sandbox.api.post("/posts", json=create(post(value(id="c1"))) | {"creationMethod": "CLI"})
    sandbox.api.post("/posts", json=create(post(value(id="c2"))) | {"creationMethod": "WEB"})
    methods = {p["id"]: p["creationMethod"] for p in _listed(sandbox)}
    assert methods == {"c1": "CLI", "c2": "API"}
