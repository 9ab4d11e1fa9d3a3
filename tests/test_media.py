"""Media checks: bytes decide the type, URLs need an allowed extension, files are hashed."""

import hashlib
from pathlib import Path

import pytest

from calendar_sched.load import media
from calendar_sched.load.media import MediaChecker, MediaProblem, check_url, describe, sniff
from calendar_sched.models import MediaRef

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
GIF = b"GIF89a" + b"\x00" * 24
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + b"\x00" * 16
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00" + b"\x00" * 16
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "kind"),
    [(PNG, "png"), (JPEG, "jpeg"), (GIF, "gif"), (WEBP, "webp"), (MP4, "mp4")],
)
def test_sniff_allowed(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (MOV, "QuickTime"),
        (HEIC, "HEIC"),
        (b"%PDF-1.4", "PDF"),
        (b"BM\x00\x00", "BMP"),
        (b"", "empty"),
        (b"hello", "not an image"),
    ],
)
def test_sniff_refuses(head: bytes, name: str) -> None:
    assert sniff(head) is None
    assert name in describe(head)


@pytest.mark.parametrize(
    ("head", "upload"),
    [
        (b"BM" + b"\x00" * 30, ("image/bmp", "bmp")),
        (b"II*\x00" + b"\x00" * 8, ("image/tiff", "tif")),
        (b"\x00\x00\x00\x1cftypavif" + b"\x00" * 20, ("image/avif", "avif")),
        (b"\x00\x00\x00\x1cftypM4V " + b"\x00" * 20, None),
        (b"\x00\x00\x00\x1cftypmp71" + b"\x00" * 20, ("video/mp4", "mp4")),
    ],
)
def test_uploadable_is_not_always_postable(head: bytes, upload: tuple[str, str] | None) -> None:
    """Postiz stores bmp/tiff/avif uploads, but posts refuse their paths: one sniffer, two uses."""
    assert media.sniff_upload(head) == upload
    assert sniff(head) == ("mp4" if upload and upload[1] == "mp4" else None)


def test_local_file_is_hashed_and_typed_by_bytes(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(PNG)  # a PNG under a .jpg name is still fine
    (tmp_path / "clip.mp4").write_bytes(MP4)
    checker = MediaChecker()
    photo = checker.check("photo.jpg", tmp_path)
    clip = checker.check(str(tmp_path / "clip.mp4"), Path("/elsewhere"))
    assert isinstance(photo, MediaRef)
    assert isinstance(clip, MediaRef)
    assert photo.kind == "image"
    assert clip.kind == "video"
    assert photo.sha256 == hashlib.sha256(PNG).hexdigest()
    assert photo.size == len(PNG)
    assert photo.path == str(tmp_path / "photo.jpg")
    assert photo.source == "photo.jpg"


def test_same_file_under_two_names_shares_the_check(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    checker = MediaChecker()
    first = checker.check("a.png", tmp_path)
    second = checker.check("./a.png", tmp_path)
    assert isinstance(first, MediaRef)
    assert isinstance(second, MediaRef)
    assert second.source == "./a.png"
    assert second.dedupe_key == first.dedupe_key


def test_local_problems(tmp_path: Path) -> None:
    (tmp_path / "doc.png").write_bytes(b"%PDF-1.7 not an image")
    (tmp_path / "folder").mkdir()
    checker = MediaChecker()
    missing = checker.check("nope.png", tmp_path)
    assert isinstance(missing, MediaProblem)
    assert missing.code == "media-not-found"
    assert "relative to the calendar file" in missing.message
    folder = checker.check("folder", tmp_path)
    assert isinstance(folder, MediaProblem)
    assert folder.code == "media-not-found"
    pdf = checker.check("doc.png", tmp_path)
    assert isinstance(pdf, MediaProblem)
    assert pdf.code == "bad-media-type"
    assert "a PDF" in pdf.message


def test_too_big_image(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(10 * 1024 * 1024 + 1)
    found = MediaChecker().check("big.png", tmp_path)
    assert isinstance(found, MediaProblem)
    assert found.code == "bad-value"
    assert "up to 10 MB" in found.message


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://cdn.example.com/a.png", "image"),
        ("https://cdn.example.com/a.webp?w=200", "image"),
        ("https://cdn.example.com/v/clip.mp4", "video"),
    ],
)
def test_urls_allowed(url: str, kind: str) -> None:
    found = check_url(url)
    assert isinstance(found, MediaRef)
    assert found.kind == kind
    assert found.url == url


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("http://cdn.example.com/a.png", "bad-value", "https://"),
        ("https://cdn.example.com/a.JPG", "bad-media-type", "lower case"),
        ("https://cdn.example.com/page", "bad-media-type", "must end with"),
        ("https://cdn.example.com/a.mov", "bad-media-type", ".mp4"),
        ("https://[abc/x.png", "bad-value", "not a valid URL"),
        ("ftp://cdn.example.com/a.png", "bad-value", "https://"),
    ],
)
def test_urls_refused(url: str, code: str, says: str) -> None:
    found = MediaChecker().check(url, Path("."))
    assert isinstance(found, MediaProblem)
    assert found.code == code
    assert says in found.message


def test_a_url_is_checked_once_per_run() -> None:
    checker = MediaChecker()
    first = checker.check("https://cdn.example.com/a.png", Path("."))
    again = checker.check(" https://cdn.example.com/a.png ", Path("/elsewhere"))
    assert isinstance(first, MediaRef)
    assert again is first
    bad = checker.check("https://cdn.example.com/a.JPG", Path("."))
    assert checker.check("https://cdn.example.com/a.JPG", Path(".")) is bad


def test_a_file_is_hashed_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    calls: list[Path] = []
    real = media._inspect

    def counting(source: str, path: Path) -> MediaRef | MediaProblem:
        calls.append(path)
        return real(source, path)

    monkeypatch.setattr(media, "_inspect", counting)
    checker = MediaChecker()
    refs = [checker.check(name, tmp_path) for name in ("a.png", "a.png", "./a.png")]
    assert len(calls) == 1
    assert all(isinstance(ref, MediaRef) for ref in refs)
    assert [ref.source for ref in refs if isinstance(ref, MediaRef)] == [
        "a.png",
        "a.png",
        "./a.png",
    ]


def test_validate_judges_local_media_as_postiz_uploads_do(tmp_path: Path) -> None:
    """The bytes test is the sandbox's (``file-type``'s answers, Postiz's upload pipe): an APNG
    is refused at its row, an MP4 of an unmapped brand (Sony's XAVC) is a video."""
    from calendar_sched.check.validation import ValidateOptions, validate
    from tests.helpers.media_server import mp4, png

    (tmp_path / "moving.png").write_bytes(png(animated=True))
    (tmp_path / "still.png").write_bytes(png())
    (tmp_path / "camera.mp4").write_bytes(mp4(b"XAVC"))
    (tmp_path / "cal.csv").write_text(
        "id,publish_at,channels,text,media\n"
        "a,2030-12-01T09:00:00Z,x,Animated,moving.png\n"
        "b,2030-12-02T09:00:00Z,x,Still,still.png\n"
        "c,2030-12-03T09:00:00Z,x,From the camera,camera.mp4\n",
        encoding="utf-8",
    )
    result = validate([tmp_path / "cal.csv"], ValidateOptions(timezone="UTC"))
    errors = [(e.row, e.code) for e in result.report.errors]
    assert errors == [(2, "bad-media-type")]
    assert "animated PNG" in result.report.errors[0].message
    kinds = {post.position.row: [m.kind for m in post.values[0].media] for post in result.posts}
    assert kinds == {3: ["image"], 4: ["video"]}
