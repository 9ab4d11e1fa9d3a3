"""Where to send requests: the Postiz target from the environment.

``POSTIZ_API_URL`` and ``POSTIZ_API_KEY`` are the official Postiz CLI's names. The URL is the
server root (``https://api.postiz.com``, or ``https://host/api`` when self-hosted); the client
appends ``/public/v1``. With neither variable set, the embedded sandbox is the target.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from calendar_sched import identity
from calendar_sched.errors import ConfigError

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
    check_secret(key, KEY_VAR)
    return Target(base_url=normalize_base_url(url or DEFAULT_API_URL), api_key=key)


# What an HTTP header value can carry as a key: visible ASCII, no spaces or control characters.
_SECRET = re.compile(r"[\x21-\x7e]+")


def secret_problem(secret: str) -> str | None:
    """What is wrong with the shape of an API key or token, never quoting it; None when fine."""
    if not secret:
        return "it is empty"
    bad = next((i for i, ch in enumerate(secret) if not _SECRET.fullmatch(ch)), None)
    if bad is None:
        return None
    ch = secret[bad]
    what = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}.get(
        ch, "a control character" if ord(ch) < 32 or ord(ch) == 127 else "a non-ASCII character"
    )
    return f"it contains {what} (character {bad + 1} of {len(secret)})"


def check_secret(secret: str, var: str) -> None:
    """Refuse a key that cannot be sent in a header, naming the variable but not the key.

    Raises:
        ConfigError: the key holds spaces, line breaks, control or non-ASCII characters.
    """
    problem = secret_problem(secret)
    if problem is not None:
        raise ConfigError(
            f"{var} is not a valid key: {problem}; copy it again from the settings page "
            "(without quotes or a trailing line) and set it once more"
        )


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
    """The Postiz target's fingerprint (see ``identity.target_fingerprint``)."""
    return identity.target_fingerprint("postiz", base_url)


#: The APIs calendar-sched can schedule through.
TARGETS = ("postiz", "postsyncer")


def choose_target(requested: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """``postiz`` or ``postsyncer``: as requested, else the only one configured, else Postiz.

    Raises:
        ConfigError: both are configured and none was requested, or an unknown name.
    """
    source = os.environ if env is None else env
    if requested:
        if requested not in TARGETS:
            raise ConfigError(f"unknown target {requested!r}: choose one of {', '.join(TARGETS)}")
        return requested
    postiz = bool((source.get(KEY_VAR) or "").strip())
    postsyncer = bool((source.get(POSTSYNCER_TOKEN_VAR) or "").strip())
    if postiz and postsyncer:
        raise ConfigError(
            f"both {KEY_VAR} and {POSTSYNCER_TOKEN_VAR} are set: pass --target postiz or "
            "--target postsyncer"
        )
    return "postsyncer" if postsyncer else "postiz"


# PostSyncer

POSTSYNCER_API_URL = "https://postsyncer.com/api/v1"
POSTSYNCER_UPLOAD_URL = "https://upload.postsyncer.com/api/v1"
POSTSYNCER_TOKEN_VAR = "POSTSYNCER_API_TOKEN"
POSTSYNCER_URL_VAR = "POSTSYNCER_API_URL"
POSTSYNCER_UPLOAD_URL_VAR = "POSTSYNCER_UPLOAD_URL"


def normalize_postsyncer_url(url: str, *, var: str = POSTSYNCER_URL_VAR) -> str:
    """``https://host/api/v1/`` → ``https://host/api/v1``; refuses non-http(s) URLs."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{var} must be an http(s) URL such as {POSTSYNCER_API_URL}, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def upload_url_for(api_url: str) -> str:
    """The upload host for an API root: ``postsyncer.com`` → ``upload.postsyncer.com``."""
    parts = urlsplit(api_url)
    if parts.hostname == "postsyncer.com":
        return POSTSYNCER_UPLOAD_URL
    return api_url  # self-hosted stand-ins (the sandbox) take uploads on the same host


@dataclass(frozen=True)
class PostSyncerTarget:
    """A PostSyncer API root, upload root and token, or the embedded emulator."""

    base_url: str
    upload_url: str
    token: str = field(repr=False)
    embedded: bool = False


def resolve_postsyncer_target(env: Mapping[str, str] | None = None) -> PostSyncerTarget:
    """The target from ``POSTSYNCER_API_TOKEN``/``_API_URL``/``_UPLOAD_URL``; no token → embedded.

    Raises:
        ConfigError: a URL without a token, or a URL that is not http(s).
    """
    source = os.environ if env is None else env
    token = (source.get(POSTSYNCER_TOKEN_VAR) or "").strip()
    url = (source.get(POSTSYNCER_URL_VAR) or "").strip()
    if not token:
        if url:
            raise ConfigError(
                f"{POSTSYNCER_URL_VAR} is set but {POSTSYNCER_TOKEN_VAR} is missing: create a "
                "personal access token "
                "(PostSyncer → Settings → API Integrations) or unset the URL for the sandbox"
            )
        return PostSyncerTarget(base_url="", upload_url="", token="", embedded=True)
    check_secret(token, POSTSYNCER_TOKEN_VAR)
    base = normalize_postsyncer_url(url or POSTSYNCER_API_URL)
    upload = source.get(POSTSYNCER_UPLOAD_URL_VAR) or upload_url_for(base)
    upload = normalize_postsyncer_url(upload, var=POSTSYNCER_UPLOAD_URL_VAR)
    return PostSyncerTarget(base, upload, token)
