"""PostizBackend: body shape, sizes, pack key, and its calls against a fake API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from calendar_sched import errors
from calendar_sched.models import MediaRef, PostValue
from calendar_sched.targets.base import Backend, CostModel, RemotePost, UploadedMedia
from calendar_sched.targets.postiz.backend import PostizBackend, dumps, to_html
from calendar_sched.targets.postiz.client import PostizClient
from tests.helpers.fakes import Canned, FakeApi, make_post

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
IMAGE = MediaRef(source="https://cdn.example/a.png", url="https://cdn.example/a.png")


def backend_for(api: FakeApi) -> PostizBackend:
    client = PostizClient("https://postiz.test", "the-key", transport=api.transport())
    return PostizBackend(client)


def test_is_a_backend() -> None:
    backend: Backend = PostizBackend()
    assert backend.name == "postiz"
    assert backend.costs == CostModel()


def test_html_paragraphs_escape_entities() -> None:
    assert to_html("Fish & chips <3\nline 2") == "<p>Fish &amp; chips &lt;3</p><p>line 2</p>"
    assert to_html("a\r\n\r\nb") == "<p>a</p><p></p><p>b</p>"
    assert to_html("") == ""
    assert to_html('say "hi"') == '<p>say "hi"</p>'


def test_body_shape() -> None:
    backend = PostizBackend(fingerprint="fp")
    post = make_post(
        "e1",
        WHEN.astimezone(tz=None),
        text="Hi & bye",
        media=[IMAGE],
        thread=[PostValue(text="more", delay=5)],
        tags=["launch"],
        repeat_every_days=7,
        settings={"who_can_reply_post": "everyone"},
    )
    uploaded = {IMAGE.dedupe_key: UploadedMedia(IMAGE.dedupe_key, "m1", "https://u/x.png")}
    body = backend.build_body([post], uploaded)
    assert body == {
        "type": "schedule",
        "shortLink": False,
        "date": "2026-12-01T09:00:00Z",
        "tags": [{"value": "launch", "label": "launch"}],
        "inter": 7,
        "posts": [
            {
                "integration": {"id": "c-x"},
                "value": [
                    {
                        "id": post.value_id("fp", 0),
                        "content": "<p>Hi &amp; bye</p>",
                        "image": [{"id": "m1", "path": "https://u/x.png"}],
                        "delay": 0,
                    },
                    {
                        "id": post.value_id("fp", 1),
                        "content": "<p>more</p>",
                        "image": [],
                        "delay": 5,
                    },
                ],
                "settings": {"__type": "x", "who_can_reply_post": "everyone"},
            }
        ],
    }


def test_value_ids_are_deterministic_and_distinct() -> None:
    backend = PostizBackend(fingerprint="fp")
    a = backend.post_element(make_post("e1", WHEN, channel="c1"), {})
    b = backend.post_element(make_post("e1", WHEN, channel="c1"), {})
    c = backend.post_element(make_post("e1", WHEN, channel="c2"), {})
    assert a["value"][0]["id"] == b["value"][0]["id"] != c["value"][0]["id"]
    other = PostizBackend(fingerprint="other").post_element(make_post("e1", WHEN, channel="c1"), {})
    assert other["value"][0]["id"] != a["value"][0]["id"]


def test_post_bytes_measure_the_real_element_with_realistic_media() -> None:
    backend = PostizBackend()
    post = make_post("e1", WHEN, media=[IMAGE])
    real = UploadedMedia(
        IMAGE.dedupe_key, "x" * 36, "https://uploads.postiz.com/2026/12/01/" + "a" * 32 + ".png"
    )
    assert (
        backend.post_bytes(post)
        == len(dumps(backend.post_element(post, {IMAGE.dedupe_key: real}))) + 1
    )
    plain = make_post("e1", WHEN)
    assert backend.post_bytes(post) - backend.post_bytes(plain) > 80
    assert backend.post_bytes(make_post("e", WHEN, text="é" * 10)) == backend.post_bytes(
        make_post("e", WHEN, text="ab" * 10)
    )


def test_envelope_leaves_room_for_top_level_fields() -> None:
    backend = PostizBackend()
    post = make_post("e1", WHEN, tags=["a", "b", "c"], repeat_every_days=30)
    body = dumps(backend.build_body([post], {}))
    assert len(body) <= backend.envelope_bytes() + backend.post_bytes(post)


def test_pack_key_separates_what_one_request_cannot_share() -> None:
    backend = PostizBackend()
    base = make_post("e1", WHEN)
    same = make_post("e2", WHEN.astimezone(tz=None), channel="c2")
    assert backend.pack_key(base) == backend.pack_key(same)
    for other in [
        make_post("e", WHEN + timedelta(seconds=1)),
        make_post("e", WHEN, type="draft"),
        make_post("e", WHEN, short_link=True),
        make_post("e", WHEN, tags=["t"]),
        make_post("e", WHEN, repeat_every_days=2),
    ]:
        assert backend.pack_key(other) != backend.pack_key(base)
    with pytest.raises(ValueError, match="pack key"):
        backend.build_body([base, make_post("e", WHEN, tags=["t"])], {})


def test_local_media_must_be_uploaded_before_create(tmp_path: Path) -> None:
    local = MediaRef(source="a.png", path=str(tmp_path / "a.png"), sha256="ab")
    with pytest.raises(errors.ConfigError, match="not uploaded"):
        PostizBackend().build_body([make_post("e", WHEN, media=[local])], {})


def test_create_sends_one_counted_request_and_reads_ids() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        items = [
            {"postId": p["value"][0]["id"], "integration": p["integration"]["id"]}
            for p in sent["posts"]
        ]
        return httpx.Response(201, json=items)

    api = FakeApi(limit=30).route("POST", "/public/v1/posts", answer)
    backend = backend_for(api)
    posts = [make_post("e1", WHEN, channel="c1"), make_post("e1", WHEN, channel="c2")]
    sent = backend.create(posts, {})
    assert api.counted == 1
    assert [s.post_key for s in sent] == ["e1@c1", "e1@c2"]
    assert [s.remote_id for s in sent] == [p.value_id(backend.fingerprint, 0) for p in posts]
    assert [s.channel_id for s in sent] == ["c1", "c2"]
    assert backend.rate_state is not None
    assert backend.rate_state.remaining == 29
    request = api.requests[0]
    assert request.headers["content-type"] == "application/json"
    assert len(request.content) == len(dumps(backend.build_body(posts, {})))


def test_create_rejects_a_short_answer() -> None:
    api = FakeApi().route("POST", "/public/v1/posts", Canned(201, [{"postId": "p"}]))
    with pytest.raises(errors.FatalApiError, match="expected 2 results"):
        backend_for(api).create([make_post("a", WHEN), make_post("b", WHEN)], {})


def test_create_maps_validation_errors() -> None:
    refusal = {"statusCode": 400, "provider": "x", "name": "Acme", "message": "too long"}
    api = FakeApi().route("POST", "/public/v1/posts", Canned(400, refusal))
    with pytest.raises(errors.ValidationRejected) as caught:
        backend_for(api).create([make_post("a", WHEN)], {})
    assert caught.value.provider == "x"


def test_discover_and_required_settings() -> None:
    channels = [
        {
            "id": "c1",
            "name": "Acme",
            "identifier": "x",
            "picture": None,
            "disabled": False,
            "profile": "acme",
            "customer": {"id": "g", "name": "G"},
        },
        {"id": "c2", "name": "Dana", "identifier": "threads", "disabled": True, "profile": "d"},
    ]
    schema = {
        "output": {
            "rules": "",
            "maxLength": 280,
            "settings": {"type": "object", "required": ["who_can_reply_post"]},
        }
    }
    api = (
        FakeApi()
        .route("GET", "/public/v1/integrations", Canned(200, channels))
        .route("GET", "/public/v1/integration-settings/c1", Canned(200, schema))
        .route(
            "GET",
            "/public/v1/integration-settings/c2",
            Canned(200, {"output": {"settings": "No additional settings required"}}),
        )
    )
    backend = backend_for(api)
    found = backend.discover()
    assert [(c.id, c.disabled, c.profile) for c in found] == [
        ("c1", False, "acme"),
        ("c2", True, "d"),
    ]
    assert backend.required_settings(found[0]) == ["who_can_reply_post"]
    assert backend.required_settings(found[1]) == []
    assert PostizBackend().required_settings(found[0]) == ["who_can_reply_post"]


def test_upload_local_file_and_url(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nrest")
    answer = {"id": "m1", "path": "https://u/2026/12/01/abc.png", "name": "abc.png"}
    api = (
        FakeApi()
        .route("POST", "/public/v1/upload", Canned(201, answer))
        .route(
            "POST",
            "/public/v1/upload-from-url",
            Canned(201, {"id": "m2", "path": "https://u/b.png"}),
        )
    )
    backend = backend_for(api)
    local = MediaRef(source="a.png", path=str(image), sha256="ff")
    got = backend.upload(local)
    assert (got.key, got.id, got.path) == ("sha256:ff", "m1", answer["path"])
    assert b'name="file"; filename="a.png"' in api.requests[0].content
    assert backend.upload(IMAGE).id == "m2"
    assert api.bodies("POST", "/public/v1/upload-from-url") == [{"url": IMAGE.url}]
    assert backend.costs.counts_uploads is False


def test_upload_with_rate_headers_means_uploads_count() -> None:
    headers = {"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "29", "X-RateLimit-Reset": "60"}
    api = FakeApi().route(
        "POST", "/public/v1/upload-from-url", Canned(201, {"id": "m", "path": "p.png"}, headers)
    )
    backend = backend_for(api)
    backend.upload(IMAGE)
    assert backend.costs.counts_uploads is True


def test_list_posts_and_delete() -> None:
    listing = {
        "posts": [
            {
                "id": "p1",
                "content": "<p>hi</p>",
                "publishDate": "2026-12-01T09:00:00.000Z",
                "state": "QUEUE",
                "group": "g1",
                "integration": {"id": "c1", "providerIdentifier": "x"},
            }
        ]
    }
    api = (
        FakeApi()
        .route("GET", "/public/v1/posts", Canned(200, listing))
        .route("DELETE", "/public/v1/posts/*", Canned(200, {"error": True}))
    )
    backend = backend_for(api)
    [remote] = backend.list_posts(WHEN, WHEN + timedelta(days=1))
    assert (remote.id, remote.channel_id, remote.publish_at, remote.state, remote.group) == (
        "p1",
        "c1",
        WHEN,
        "QUEUE",
        "g1",
    )
    query = api.requests[0].url.params
    assert (query["startDate"], query["endDate"]) == (
        "2026-12-01T09:00:00Z",
        "2026-12-02T09:00:00Z",
    )
    backend.delete("p1")
    assert api.counts[("DELETE", "/public/v1/posts/p1")] == 1


def test_offline_backend_refuses_io() -> None:
    with pytest.raises(errors.ConfigError, match="offline"):
        PostizBackend().discover()
    assert PostizBackend().rate_state is None


def test_match_finds_posts_by_deterministic_id() -> None:
    backend = PostizBackend(fingerprint="fp")
    landed, missing = make_post("a", WHEN, channel="c1"), make_post("b", WHEN, channel="c1")
    listing = [
        RemotePost(landed.value_id("fp", 0), "c1", WHEN, "QUEUE", "<p>hello</p>", "g", {}),
        RemotePost("someone-else", "c1", WHEN, "QUEUE", "<p>hello</p>", "g2", {}),
    ]
    assert backend.match([landed, missing], listing) == {"a@c1": landed.value_id("fp", 0)}


def test_post_bytes_of_posts_sharing_their_values_are_each_exact(tmp_path: Path) -> None:
    """validate gives an entry's Posts one values list; the backend sizes it once for the run
    of Posts that share it, and every size is still the element's own."""
    from dataclasses import replace

    from calendar_sched.check.validation import ValidateOptions, validate

    (tmp_path / "c.csv").write_text(
        "publish_at,channels,text,text.x,settings.linkedin-page.post_as_images_carousel\n"
        '2030-12-01 09:00,"x:acme, linkedin-page:acme-inc, linkedin:dana-reyes, bluesky",'
        "Plenty of room here,Short for X,false\n"
        '2030-12-01 10:00,"x:acme, bluesky",Another ☕ text,,\n',
        encoding="utf-8",
    )
    checked = validate([tmp_path / "c.csv"], ValidateOptions(timezone="UTC"))
    assert checked.report.valid, checked.report.to_json()
    posts = checked.posts
    assert len(posts) == 6
    assert posts[1].values is posts[2].values  # shared, as built
    backend = PostizBackend()
    for post in [*posts, *posts[::-1]]:  # in order, then against the memo's grain
        expected = len(dumps(backend.post_element(post, {}, placeholders=True))) + 1
        assert backend.post_bytes(post) == expected, post.key
        copy = replace(post, values=[replace(v, text=v.text + "!") for v in post.values])
        assert backend.post_bytes(copy) == backend.post_bytes(post) + 1
