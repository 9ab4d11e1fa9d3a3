"""Uploads (reference §4): the type allow-list, size caps and local file storage.

Types are sniffed as Postiz's ``file-type`` does by ``calendar_sched.load.media.sniff_upload``,
the same function ``validate`` judges local media with, so the two cannot disagree.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

#: MIME type by file extension, for files served back.
MIME_BY_EXT = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "mp4": "video/mp4",
}

# Smallest byte strings each type is recognised by: stand-ins for URLs an offline sandbox
# does not fetch.
_PLACEHOLDERS = {
    "png": bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
    ),
    "gif": bytes.fromhex("4749463839610100010000000021f90401000000002c00000000010001000002003b"),
    "jpg": bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"),
    "webp": bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700"),
    "mp4": bytes.fromhex("000000186674797069736f6d0000020069736f6d69736f32"),
}


@dataclass(frozen=True)
class StoredFile:
    """A file written under the upload directory."""

    name: str
    relative: str  # "YYYY/MM/DD/<name>"


def size_cap(mime: str, *, image_max: int, video_max: int) -> int:
    """The largest size accepted for a type."""
    return video_max if mime.startswith("video/") else image_max


def placeholder(extension: str) -> bytes:
    """Bytes recognisable as the type of an extension (``jpeg`` counts as ``jpg``)."""
    return _PLACEHOLDERS["jpg" if extension == "jpeg" else extension]


def store_file(upload_dir: Path, data: bytes, extension: str, now: float) -> StoredFile:
    """Write a file as Postiz local storage does: ``YYYY/MM/DD/<32 hex>.<ext>``."""
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y/%m/%d")
    name = f"{secrets.token_hex(16)}.{extension}"
    target = upload_dir / day / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return StoredFile(name, f"{day}/{name}")


def resolve_stored(upload_dir: Path, relative: str) -> Path | None:
    """The stored file for a served path, refusing anything outside the upload directory."""
    root = upload_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target
