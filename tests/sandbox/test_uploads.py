"""§4 uploads: sniffed types, caps, error bodies, files served back, upload-from-url."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from calendar_sched.load.media import sniff_upload
from calendar_sched.sandbox import media
from calendar_sched.sandbox.server import RunningSandbox
from tests.helpers.sandbox import InProcessSandbox

PNG = media.placeholder("png")
MP4 = media.placeholder("mp4")
PATH = re.compile(r"^http://127\.0\.0\.1:\d+/uploads/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.png$")


def test_upload_over_real_http_and_served_back(sandbox_server: RunningSandbox) -> None:
    """§4: multipart field `file`, 201 {id,name,originalName,path,thumbnail,alt}; file served."""
    with httpx.Client(
        base_url=f"{sandbox_server.url}/public/v1",
        headers={"Authorization": sandbox_server.api_key},
    ) as client:
        response = client.post("/upload", files={"file": ("photo.jpg", PNG, "image/jpeg")})
        assert response.status_code == 201
        answer = response.json()
        assert set(answer) == {"id", "name", "originalName", "path", "thumbnail", "alt"}
        assert PATH.match(answer["path"]), answer["path"]
        assert answer["name"] == answer["path"].rsplit("/", 1)[1]
        assert (answer["originalName"], answer["thumbnail"], answer["alt"]) == (None, None, None)
        served = httpx.get(answer["path"])
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    stats = sandbox_server.stats()
    assert (stats["uploads"], stats["counted_requests"]) == (1, 0)


def test_type_comes_from_the_bytes(sandbox_app: InProcessSandbox) -> None:
    """§4: client MIME type and name are ignored; an mp4 named .png is stored as .mp4."""
    response = sandbox_app.api.post("/upload", files={"file": ("a.png", MP4, "image/png")})
    assert response.json()["path"].endswith(".mp4")


def test_unsupported_type(sandbox_app: InProcessSandbox) -> None:
    """§4: bytes of another type → 400 Unsupported file type."""
    response = sandbox_app.api.post("/upload", files={"file": ("a.png", b"%PDF-1.7 ...")})
    assert response.status_code == 400
    assert response.json() == {
        "message": "Unsupported file type.",
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_no_file(sandbox_app: InProcessSandbox) -> None:
    """§4 (CTRL ``uploadSimple``): no file part at all → 400 {"msg": "No file provided"}."""
    response = sandbox_app.api.post("/upload", data={"note": "no file here"})
    assert (response.status_code, response.json()) == (400, {"msg": "No file provided"})
    response = sandbox_app.api.post("/upload", json={"file": "not multipart"})
    assert (response.status_code, response.json()) == (400, {"msg": "No file provided"})


def test_image_size_cap_is_10_mb(sandbox_app: InProcessSandbox) -> None:
    """§4: images over 10 MB are refused with the byte count in the message."""
    big = PNG + b"\0" * (10 * 1024 * 1024)
    response = sandbox_app.api.post("/upload", files={"file": ("big.png", big)})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "File size exceeds the maximum allowed size of 10485760 bytes."
    )


def test_video_cap_is_separate(sandbox_app_factory: Callable[..., InProcessSandbox]) -> None:
    """§4: videos have their own (1 GB) cap; a video over the image cap is fine."""
    sandbox = sandbox_app_factory(image_max_bytes=100, video_max_bytes=1000)
    ok = sandbox.api.post("/upload", files={"file": ("v.mp4", MP4 + b"\0" * 500)})
    too_big = sandbox.api.post("/upload", files={"file": ("v.mp4", MP4 + b"\0" * 1000)})
    assert (ok.status_code, too_big.status_code) == (201, 400)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (media.placeholder("jpeg"), "jpg"),
        (media.placeholder("gif"), "gif"),
        (media.placeholder("webp"), "webp"),
        (b"\0\0\0\x1cftypavif" + b"\0" * 20, "avif"),
        (b"BM" + b"\0" * 30, "bmp"),
        (b"II*\0" + b"\0" * 8, "tif"),
        (b"\0\0\0\x14ftypqt  " + b"\0" * 8, None),
    ],
)
def test_sniffing(data: bytes, expected: str | None) -> None:
    """§4: the allow-list: jpeg, png, gif, webp, avif, bmp, tiff and mp4 only."""
    kind = sniff_upload(data)
    assert (kind[1] if kind else None) == expected


def test_served_paths_stay_inside_the_upload_directory(sandbox_app: InProcessSandbox) -> None:
    """Uploaded files are served back; nothing outside their directory is."""
    uploads = sandbox_app.config.uploads_path
    (uploads.parent / "secret.txt").write_text("no")
    assert media.resolve_stored(uploads, "../secret.txt") is None
    assert sandbox_app.http.get("/uploads/2027/01/15/missing.png").status_code == 404
