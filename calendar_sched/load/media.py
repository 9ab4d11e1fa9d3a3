"""Media references: local files checked by their bytes, https URLs checked by their extension.

Postiz sniffs uploads from their bytes and only accepts post media whose path ends in
``.png .jpg .jpeg .gif .webp .mp4`` (case-sensitive), so a file's name is never trusted here.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from calendar_sched.models import MediaKind, MediaRef

#: Upload caps of Postiz (``CustomFileValidationPipe``).
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 1024 * 1024 * 1024

# ISO base-media brands that file-type reports as video/mp4 (qt, heic, avif, m4v are not).
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"mp71",
    b"avc1",
    b"dash",
    b"mmp4",
    b"MSNV",
    b"NDAS",
    b"f4v ",
}
#: The uploadable types a post may use: upload extension → media type.
_POST_TYPES = {"jpg": "jpeg", "png": "png", "gif": "gif", "webp": "webp", "mp4": "mp4"}
_CHUNK = 1024 * 1024


#: Media a Postiz post may carry (``ValidUrlExtension``), by extension.
POST_MEDIA_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4")


def media_kind_of_path(path: str) -> str:
    """The server's view of a media path: ``video`` when it contains ``mp4``."""
    return "video" if "mp4" in path else "image"


@dataclass(frozen=True)
class MediaProblem:
    """Why a media reference cannot be used: a report code and a message with the fix."""

    code: str
    message: str


def sniff_upload(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a type Postiz uploads accept, from the first bytes; else None.

    The allow-list of ``CustomFileValidationPipe``: jpeg, png, gif, webp, tiff, bmp, avif, mp4.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff", "tif"
    if head[:2] == b"BM" and len(head) >= 14:
        return "image/bmp", "bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif", "avif"
        if brand in _MP4_BRANDS:
            return "video/mp4", "mp4"
    return None


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes: jpeg, png, gif, webp, mp4 or None.

    Uploads may also be tiff, bmp or avif, but their paths fail Postiz's post media check.
    """
    found = sniff_upload(head)
    return None if found is None else _POST_TYPES.get(found[1])


def describe(head: bytes) -> str:
    """A short human name for bytes that are not allowed, for error messages."""
    known = {
        b"%PDF": "a PDF",
        b"BM": "a BMP image",
        b"II*\x00": "a TIFF image",
        b"MM\x00*": "a TIFF image",
        b"PK\x03\x04": "a ZIP/Office file",
    }
    for magic, name in known.items():
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1").strip()
        names = {"qt": "a QuickTime movie", "heic": "a HEIC image", "avif": "an AVIF image"}
        return names.get(brand, f"an ISO media file of brand {brand!r}")
    if not head:
        return "an empty file"
    return "not an image or video"


def kind_of(media_type: str) -> MediaKind:
    """``video`` for mp4, ``image`` for the rest."""
    return "video" if media_type == "mp4" else "image"


@dataclass
class MediaChecker:
    """Checks media references; caches local files by (path, size, mtime) and URLs across rows.

    A calendar reuses a brand's few assets on many rows: each file is hashed once per run, and
    each distinct reference (as written, from one folder) is looked up once per checker, which
    lives as long as one validation.
    """

    _files: dict[tuple[str, int, int], MediaRef | MediaProblem] = field(default_factory=dict)
    _urls: dict[str, MediaRef | MediaProblem] = field(default_factory=dict)
    _uses: dict[tuple[str, Path], MediaRef | MediaProblem] = field(default_factory=dict)

    def check(self, source: str, base_dir: Path) -> MediaRef | MediaProblem:
        """A MediaRef for a usable reference, else the problem with it."""
        source = source.strip()
        if "://" in source:
            found = self._urls.get(source)
            if found is None:
                found = self._urls[source] = check_url(source)
            return found
        use = (source, base_dir)
        found = self._uses.get(use)
        if found is None:
            found = self._uses[use] = self._check_file(source, base_dir)
        return found

    def _check_file(self, source: str, base_dir: Path) -> MediaRef | MediaProblem:
        path = Path(os.path.expanduser(source))
        if not path.is_absolute():
            path = base_dir / path
        try:
            info = path.stat()
        except (OSError, ValueError):
            return MediaProblem(
                "media-not-found",
                f"no file at {path}; paths are relative to the calendar file ({base_dir})",
            )
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return MediaProblem("media-not-found", f"{path} is {kind}; name an image or video file")
        cache_key = (str(path), info.st_size, info.st_mtime_ns)
        found = self._files.get(cache_key)
        if found is None:
            found = _inspect(source, path)
            self._files[cache_key] = found
        if isinstance(found, MediaRef) and found.source != source:
            return replace(found, source=source)
        return found


def check_url(source: str) -> MediaRef | MediaProblem:
    """A remote reference: https only, and the path must end with an extension Postiz accepts."""
    try:
        parts = urlsplit(source)
    except ValueError:
        return MediaProblem("bad-value", f"media URL {source!r} is not a valid URL")
    if parts.scheme.lower() != "https" or not parts.netloc:
        return MediaProblem("bad-value", f"media URL {source!r} must start with https://")
    path = parts.path
    if not path.endswith(POST_MEDIA_EXTENSIONS):
        allowed = " ".join(POST_MEDIA_EXTENSIONS)
        hint = ""
        if path.lower().endswith(POST_MEDIA_EXTENSIONS):
            hint = " (Postiz compares extensions case-sensitively: use lower case)"
        return MediaProblem(
            "bad-media-type",
            f"media URL must end with one of {allowed}{hint}; download it and use a local "
            "file, or use a direct link to the image or video",
        )
    kind: MediaKind = "video" if media_kind_of_path(path) == "video" else "image"
    return MediaRef(source=source, url=source, kind=kind)


def _inspect(source: str, path: Path) -> MediaRef | MediaProblem:
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                if not head:
                    head = chunk[:64]
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        return MediaProblem("media-not-found", f"cannot read {path}: {exc.strerror or exc}")
    media_type = sniff(head)
    if media_type is None:
        return MediaProblem(
            "bad-media-type",
            f"{path.name} is {describe(head)}; Postiz posts take jpeg, png, gif, webp or mp4",
        )
    kind = kind_of(media_type)
    cap = MAX_VIDEO_BYTES if kind == "video" else MAX_IMAGE_BYTES
    if size > cap:
        return MediaProblem(
            "bad-value",
            f"{path.name} is {size / 1024 / 1024:.1f} MB; Postiz accepts {kind}s up to "
            f"{cap // 1024 // 1024} MB",
        )
    return MediaRef(source=source, path=str(path), kind=kind, sha256=digest.hexdigest(), size=size)
