"""Settings of one sandbox: key, quota, channels, storage and fault rates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.channels import demo_channels, validate_channels
from calendar_sched.models import Channel

#: Minutes after UTC midnight Postiz offers when a channel has no posting times (§7 find-slot).
DEFAULT_POSTING_TIMES = (120, 400, 700)


@dataclass(frozen=True)
class Faults:
    """Injected failures: rates in [0, 1] per POST, and added latency per request."""

    fault_5xx: float = 0.0
    drop_after_commit: float = 0.0
    latency_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        """The admin endpoint's shape."""
        return {
            "fault_5xx": self.fault_5xx,
            "fault_drop_after_commit": self.drop_after_commit,
            "fault_latency_ms": self.latency_ms,
        }


@dataclass(frozen=True)
class SandboxConfig:
    """Everything one sandbox needs; defaults reproduce a stock self-hosted Postiz."""

    api_key: str
    db_path: Path
    limit: int = 30  # API_LIMIT of Postiz's docker-compose.yaml and .env.example (code: 90)
    window: float = 3600.0
    channels: tuple[Channel, ...] = field(default_factory=lambda: tuple(demo_channels()))
    verified: frozenset[str] = frozenset()  # channel ids with X "Verified" (longer posts)
    posting_times: dict[str, tuple[int, ...]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()  # org tag names that POST /posts tags can match by label
    public_url: str | None = None  # base of upload paths; None = the request's own base URL
    upload_dir: Path | None = None  # None = "<db file>.uploads" beside the database
    faults: Faults = Faults()
    seed: int = 0
    body_cap: int = 102_400  # body-parser's default "100kb" (reference §3)
    # upload-from-url: resolve and fetch as Postiz does (sandbox serve), or only check the URL
    # and store a stand-in of its type (the offline default of the library and the rehearsal).
    fetch_urls: bool = False
    allow_loopback_urls: bool = False  # when fetching, 127.0.0.1 (http too) is allowed
    fetch_timeout: float = 30.0
    image_max_bytes: int = 10 * 1024 * 1024
    video_max_bytes: int = 1024 * 1024 * 1024

    @property
    def uploads_path(self) -> Path:
        """Directory that holds uploaded files."""
        return self.upload_dir or self.db_path.with_name(self.db_path.name + ".uploads")


@dataclass(frozen=True)
class ChannelsFile:
    """A channels file read in the ``GET /integrations`` shape, with sandbox-only extras."""

    channels: tuple[Channel, ...]
    verified: frozenset[str]
    posting_times: dict[str, tuple[int, ...]]


def load_channels(path: Path) -> ChannelsFile:
    """Read a ``GET /integrations``-shaped list; extra keys ``verified``, ``postingTimes``."""
    try:
        items = json.loads(read_regular(path, limit=max_file_bytes()).decode("utf-8"))
    except (InputError, ValueError) as exc:  # read_regular refuses a FIFO or a device
        raise InputError(f"cannot read channels file {path}: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InputError(f"channels file {path} must hold a JSON list of objects")
    try:
        channels = tuple(validate_channels(items))
    except ValueError as exc:
        raise InputError(f"channels file {path}: {exc}") from exc
    verified = frozenset(str(item["id"]) for item in items if item.get("verified"))
    times = {
        str(item["id"]): tuple(int(minute) for minute in item["postingTimes"])
        for item in items
        if isinstance(item.get("postingTimes"), list)
    }
    return ChannelsFile(channels, verified, times)
