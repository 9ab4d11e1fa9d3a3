"""Where to send requests: the Postiz target from the environment, and offline channel lists.

``POSTIZ_API_URL`` and ``POSTIZ_API_KEY`` are the official Postiz CLI's names. The URL is the
server root (``https://api.postiz.com``, or ``https://host/api`` when self-hosted); the client
appends ``/public/v1``. With neither variable set, the embedded sandbox is the target.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from calendar_sched.errors import ConfigError, InputError
from calendar_sched.models import Channel

DEFAULT_API_URL = "https://api.postiz.com"
API_PREFIX = "/public/v1"
URL_VAR = "POSTIZ_API_URL"
KEY_VAR = "POSTIZ_API_KEY"


@dataclass(frozen=True)
class Target:
    """A Postiz server root and its key, or the embedded sandbox."""

    base_url: str  # server root without /public/v1; "" for the embedded sandbox until started
    api_key: str = field(repr=False)
    embedded: bool = False

    @property
    def fingerprint(self) -> str:
        """Stable id of the target for deterministic post ids; never derived from the key."""
        return target_fingerprint(self.base_url)


def resolve_target(
    env: Mapping[str, str] | None = None,
    *,
    api_url: str | None = None,
    api_key: str | None = None,
) -> Target:
    """The target from explicit values, else ``POSTIZ_API_URL``/``POSTIZ_API_KEY``.

    Args:
        env: the environment to read (default ``os.environ``).
        api_url: overrides ``POSTIZ_API_URL``.
        api_key: overrides ``POSTIZ_API_KEY``.

    Returns:
        The hosted or self-hosted server when a key is set (URL default
        ``https://api.postiz.com``, as the official CLI), the embedded sandbox when neither is set.

    Raises:
        ConfigError: a URL without a key, or a URL that is not http(s).
    """
    source = os.environ if env is None else env
    url = (api_url or source.get(URL_VAR) or "").strip()
    key = (api_key or source.get(KEY_VAR) or "").strip()
    if not url and not key:
        return Target(base_url="", api_key="", embedded=True)
    if not key:
        raise ConfigError(
            f"{URL_VAR} is set but {KEY_VAR} is missing: set it to the API key from the Postiz "
            f"settings page, or unset {URL_VAR} to use the built-in sandbox"
        )
    return Target(base_url=normalize_base_url(url or DEFAULT_API_URL), api_key=key)


def normalize_base_url(url: str) -> str:
    """``https://host/api/`` → ``https://host/api``; a trailing ``/public/v1`` is dropped."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{URL_VAR} must be an http(s) URL such as {DEFAULT_API_URL} or https://host/api, "
            f"not {url!r}"
        )
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def target_fingerprint(base_url: str) -> str:
    """sha256 of the normalised server root.

    Channel ids are globally unique, and every deterministic post id already mixes in its
    channel id, so the root alone keeps ids apart across servers while staying stable when
    channels are added to the account.
    """
    return hashlib.sha256(f"postiz|{base_url}".encode()).hexdigest()


def demo_channels() -> list[Channel]:
    """The demo channel list shipped with the package (the sandbox's seed)."""
    text = resources.files("calendar_sched").joinpath("data/demo_channels.json").read_text()
    return [Channel.model_validate(item) for item in json.loads(text)]


def load_channels_file(path: str | Path) -> list[Channel]:
    """A channel list in the ``GET /integrations`` shape, for offline work."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read channels file {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("integrations"), list):
        data = data["integrations"]
    if not isinstance(data, list):
        raise InputError(f"channels file {path} must hold a JSON list of channels")
    channels = []
    for index, item in enumerate(data):
        try:
            channels.append(Channel.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in (index, *first["loc"]))
            raise InputError(f"channels file {path}: item {where}: {first['msg']}") from exc
    return channels
