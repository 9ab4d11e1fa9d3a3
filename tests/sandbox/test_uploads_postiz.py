"""Uploads as Postiz answers them (reference §4), each test pinned to the source it follows.

- CTRL: ``apps/backend/src/public-api/routes/v1/public.integrations.controller.ts``
  (``uploadSimple``: ``FileInterceptor('file')``; ``uploadsFromUrl``: fetch, sniff, store).
- PIPE: ``libraries/nestjs-libraries/src/upload/custom.upload.validation.ts``
  (``CustomFileValidationPipe``: ``file-type``'s ``fromBuffer``, the allow-list, size caps).
- DTO: ``libraries/nestjs-libraries/src/dtos/media/upload.dto.ts`` (``UploadDto``) with
  ``libraries/helpers/src/utils/valid.url.path.ts`` (``ValidUrlExtension``) and
  ``libraries/nestjs-libraries/src/dtos/webhooks/webhook.url.validator.ts`` (``IsSafeWebhookUrl``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from calendar_sched.load.media import sniff_upload
from calendar_sched.sandbox import fetch
from tests.helpers.media_server import HTML, MediaServer, mp4, png, serving
from tests.helpers.sandbox import InProcessSandbox

EXTENSION = "File must have a valid extension: .png, .jpg, .jpeg, .gif, .webp, or .mp4"
UNSAFE = "URL must be a public HTTPS URL and cannot point to internal network addresses"


@pytest.fixture
def files() -> Iterator[MediaServer]:
    """Real files served over HTTP on 127.0.0.1."""
    with serving() as server:
        yield server


@pytest.fixture
def fetching(sandbox_app_factory: Callable[..., InProcessSandbox]) -> InProcessSandbox:
    """A sandbox whose upload-from-url resolves and fetches as Postiz does (sandbox serve)."""
    return sandbox_app_factory(fetch_urls=True)


@pytest.fixture
def local(sandbox_app_factory: Callable[..., InProcessSandbox]) -> InProcessSandbox:
    """A fetching sandbox that may also fetch from this machine."""
    return sandbox_app_factory(fetch_urls=True, allow_loopback_urls=True)


def _bad(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["statusCode"]) == ("Bad Request", 400)
    messages: list[str] = body["message"]
    return messages


# file-type's answers (PIPE)


def test_apng_is_refused_as_file_type_reports_image_apng(sandbox_app: InProcessSandbox) -> None:
    """PIPE ``fromBuffer``: a PNG with ``acTL`` before ``IDAT`` is image/apng, not allowed."""
    response = sandbox_app.api.post("/upload", files={"file": ("a.png", png(animated=True))})
    assert response.status_code == 400
    assert response.json()["message"] == "Unsupported file type."
    assert sniff_upload(png()) == ("image/png", "png")


@pytest.mark.parametrize("brand", [b"XAVC", b"mp42", b"isom", b"dash", b"MSNV"])
def test_mp4_of_any_unmapped_brand_is_video_mp4(
    sandbox_app: InProcessSandbox, brand: bytes
) -> None:
    """PIPE ``fromBuffer``: an ISO major brand file-type maps nowhere else is video/mp4."""
    response = sandbox_app.api.post("/upload", files={"file": ("clip.mp4", mp4(brand))})
    assert response.status_code == 201, response.text
    assert response.json()["path"].endswith(".mp4")


@pytest.mark.parametrize(
    ("brand", "reported"),
    [(b"M4V ", "video/x-m4v"), (b"qt  ", "video/quicktime"), (b"3gp5", "video/3gpp")],
)
def test_iso_brands_file_type_names_otherwise_are_refused(
    sandbox_app: InProcessSandbox, brand: bytes, reported: str
) -> None:
    """PIPE: M4V is video/x-m4v, qt QuickTime, 3gp* 3GPP: none is in the allow-list."""
    assert sniff_upload(mp4(brand)) is None, reported
    response = sandbox_app.api.post("/upload", files={"file": ("clip.mp4", mp4(brand))})
    assert (response.status_code, response.json()["message"]) == (400, "Unsupported file type.")


# multer (CTRL FileInterceptor('file'))


def test_a_file_under_another_field_is_unexpected_field(sandbox_app: InProcessSandbox) -> None:
    """CTRL ``FileInterceptor('file')``: multer's LIMIT_UNEXPECTED_FILE → 400 "Unexpected field"."""
    response = sandbox_app.api.post("/upload", files={"image": ("a.png", png())})
    assert response.status_code == 400
    assert response.json() == {
        "message": "Unexpected field",
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_a_second_file_is_unexpected_field(sandbox_app: InProcessSandbox) -> None:
    """CTRL ``FileInterceptor('file')`` is multer ``single``: one file; a second is refused."""
    response = sandbox_app.api.post(
        "/upload", files=[("file", ("a.png", png())), ("file", ("b.png", png()))]
    )
    assert (response.status_code, response.json()["message"]) == (400, "Unexpected field")
    assert sandbox_app.stats()["uploads"] == 0


# upload-from-url: the DTO (UploadDto)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn.example.com/a.pdf", EXTENSION),
        ("https://cdn.example.com/a.PNG", EXTENSION),  # case-sensitive
        ("http://127.0.0.1/a.png", UNSAFE),
        ("https://localhost/a.png", UNSAFE),
        ("https://127.0.0.1/a.png", UNSAFE),
        ("https://10.1.2.3/a.png", UNSAFE),
        ("https://172.16.0.9/a.png", UNSAFE),
        ("https://192.168.1.1/a.png", UNSAFE),
        ("https://169.254.169.254/a.png", UNSAFE),
        ("https://100.64.0.1/a.png", UNSAFE),
        ("https://198.18.0.1/a.png", UNSAFE),
        ("https://224.0.0.1/a.png", UNSAFE),
        ("https://[::1]/a.png", UNSAFE),
        ("https://[fd00::1]/a.png", UNSAFE),
        ("https://[fe80::1]/a.png", UNSAFE),
        ("https://no-such-host.invalid/a.png", UNSAFE),  # does not resolve
    ],
)
def test_upload_from_url_dto(fetching: InProcessSandbox, url: str, expected: str) -> None:
    """DTO ``UploadDto``: ValidUrlExtension and IsSafeWebhookUrl (https, resolves, no internal
    address) → 400 message[] before anything is fetched."""
    assert expected in _bad(fetching.api.post("/upload-from-url", json={"url": url}))
    assert fetching.stats()["uploads"] == 0


def test_missing_url_fails_the_dto(sandbox_app: InProcessSandbox) -> None:
    """DTO ``UploadDto``: ``@IsDefined() @IsString()`` url; with skipMissingProperties false
    every constraint of a missing url fails."""
    messages = _bad(sandbox_app.api.post("/upload-from-url", json={}))
    assert set(messages) == {
        "url should not be null or undefined",
        "url must be a string",
        EXTENSION,
        UNSAFE,
    }
    assert "url must be a string" in _bad(sandbox_app.api.post("/upload-from-url", json={"url": 5}))


def test_loopback_is_refused_by_default_even_with_a_file_there(
    fetching: InProcessSandbox, files: MediaServer
) -> None:
    """IsSafeWebhookUrl: a loopback URL is refused, as Postiz would never reach it."""
    assert UNSAFE in _bad(
        fetching.api.post("/upload-from-url", json={"url": files.url("/cat.png")})
    )
    assert files.requests == []


def test_offline_sandbox_stores_a_stand_in_without_fetching(sandbox_app: InProcessSandbox) -> None:
    """The library's default (and the rehearsal's): no DNS, no fetch, a stand-in of the URL's
    type is stored; the DTO's extension and address-literal rules still apply."""
    url = "https://cdn.example.com/images/cat.jpeg?size=large"
    response = sandbox_app.api.post("/upload-from-url", json={"url": url})
    assert response.status_code == 201
    path = response.json()["path"]
    assert path.endswith(".jpg")
    served = sandbox_app.http.get(path.removeprefix("http://testserver"))
    assert sniff_upload(served.content) == ("image/jpeg", "jpg")
    for refused in (
        "https://10.0.0.1/a.png",
        "https://localhost/a.png",
        "http://cdn.example/a.png",
    ):
        assert UNSAFE in _bad(sandbox_app.api.post("/upload-from-url", json={"url": refused}))
    assert EXTENSION in _bad(
        sandbox_app.api.post("/upload-from-url", json={"url": "https://cdn.example/a.pdf"})
    )


# upload-from-url: the fetch (CTRL uploadsFromUrl)


def test_fetches_and_stores_the_real_bytes(local: InProcessSandbox, files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl``: the server fetches the URL and stores what it got; 201."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/cat.png?v=1")})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) == {"id", "name", "originalName", "path", "thumbnail", "alt"}
    served = local.http.get(answer["path"].removeprefix("http://testserver"))
    assert served.content == png()
    assert files.requests == [("GET", "/cat.png?v=1", None)]


def test_a_404_is_failed_to_fetch(local: InProcessSandbox, files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl``: ``!response.ok`` → 400 {"msg":"Failed to fetch URL"}."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/gone.png")})
    assert (response.status_code, response.json()) == (400, {"msg": "Failed to fetch URL"})


def test_nothing_listening_is_failed_to_fetch(local: InProcessSandbox) -> None:
    """CTRL ``uploadsFromUrl``: a fetch that throws is the same 400."""
    with serving() as gone:
        url = gone.url("/cat.png")
    response = local.api.post("/upload-from-url", json={"url": url})
    assert (response.status_code, response.json()) == (400, {"msg": "Failed to fetch URL"})


def test_html_under_an_image_name_is_unsupported(
    local: InProcessSandbox, files: MediaServer
) -> None:
    """CTRL ``uploadsFromUrl``: sniffed from the bytes → {"msg":"Unsupported file type."}."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/page.png")})
    assert (response.status_code, response.json()) == (400, {"msg": "Unsupported file type."})
    assert HTML.startswith(b"<!doctype")


def test_apng_by_url_is_unsupported(local: InProcessSandbox, files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl`` + ``fromBuffer``: image/apng is not in the allow-list."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/anim.png")})
    assert (response.status_code, response.json()) == (400, {"msg": "Unsupported file type."})


def test_xavc_by_url_is_stored_as_mp4(local: InProcessSandbox, files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl`` + ``fromBuffer``: a XAVC-brand MP4 is video/mp4."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/clip.mp4")})
    assert response.status_code == 201
    assert response.json()["path"].endswith(".mp4")


def test_redirects_are_followed(local: InProcessSandbox, files: MediaServer) -> None:
    """CTRL: Node's fetch follows redirects; each hop goes through the same address checks."""
    response = local.api.post("/upload-from-url", json={"url": files.url("/moved.png")})
    assert response.status_code == 201
    assert [r[1] for r in files.requests] == ["/moved.png", "/cat.png"]


def test_too_large_for_its_type(
    sandbox_app_factory: Callable[..., InProcessSandbox], files: MediaServer
) -> None:
    """§4 step 2/4: over the size cap → 400 {"msg":"File is too large."}."""
    sandbox = sandbox_app_factory(fetch_urls=True, allow_loopback_urls=True, image_max_bytes=10)
    response = sandbox.api.post("/upload-from-url", json={"url": files.url("/cat.png")})
    assert (response.status_code, response.json()) == (400, {"msg": "File is too large."})


def test_blocked_address_rules() -> None:
    """``webhook.url.validator.ts`` ``isBlockedIPv4``/``isBlockedIPv6``; loopback on request."""
    assert fetch.blocked_address("127.0.0.1")
    assert not fetch.blocked_address("127.0.0.1", allow_loopback=True)
    assert fetch.blocked_address("10.0.0.1", allow_loopback=True)
    assert fetch.blocked_address("::ffff:192.168.0.1")
    assert not fetch.blocked_address("93.184.216.34")
    assert not fetch.blocked_address("2606:2800:220:1::1")
