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

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ISO major brands file-type reports as HEIF/HEIC, QuickTime, M4V, audio or Canon raw: refused.
_OTHER_ISO_BRANDS = frozenset(
    {"mif1", "msf1", "heic", "heix", "hevc", "hevx", "qt", "M4V", "M4VH", "M4VP"}
    | {"M4B", "M4A", "F4A", "F4B", "crx"}
)
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


def sniff_upload(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of bytes Postiz's uploads accept; None when they are refused.

    The allow-list of ``CustomFileValidationPipe`` (jpeg, png, gif, webp, tiff, bmp, avif, mp4)
    applied to what ``file-type`` reports: a PNG with an ``acTL`` chunk before its first
    ``IDAT`` is ``image/apng`` (refused); an ISO file whose major brand ``file-type`` maps
    nowhere else (``XAVC``, ``mp42``, ...) is ``video/mp4`` (accepted), while ``M4V`` is
    ``video/x-m4v``, ``qt`` QuickTime, ``3gp*`` 3GPP and ``M4A`` audio (all refused). The sandbox
    judges uploads with this same function.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith(_PNG_SIGNATURE):
        return None if _animated_png(data) else ("image/png", "png")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff", "tif"
    if data[:2] == b"BM" and len(data) >= 14:
        return "image/bmp", "bmp"
    if data[4:8] == b"ftyp" and len(data) > 8 and data[8] & 0x60:
        return _iso_type(data[8:12].decode("latin-1").replace("\0", " ", 1).strip())
    return None


def _animated_png(data: bytes) -> bool:
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT" or length >= 2**31:
            return False
        if kind == b"acTL":
            return True
        position += 12 + length
    return False


def _iso_type(brand: str) -> tuple[str, str] | None:
    # The major brands file-type maps to something other than video/mp4 (all refused here),
    # and the few it maps to video/mp4 under another extension.
    if brand in ("avif", "avis"):
        return "image/avif", "avif"
    if brand in ("M4P", "F4V", "F4P"):
        return "video/mp4", brand.lower()
    if brand in _OTHER_ISO_BRANDS or brand.startswith("3g"):
        return None
    return "video/mp4", "mp4"


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes: jpeg, png, gif, webp, mp4 or None.

    Uploads may also be tiff, bmp or avif, but their paths fail Postiz's post media check.
    ``head`` should reach past a PNG's first ``IDAT`` (an APNG says so before it).
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
    if head.startswith(_PNG_SIGNATURE):
        return "an animated PNG (APNG), which Postiz refuses"
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
                    head = chunk  # the first MiB: enough for the type (an APNG's acTL chunk)
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
