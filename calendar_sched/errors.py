"""The one exception tree of calendar-sched.

    CalendarSchedError                 root: everything the library raises on purpose
     ├── InputError                    a calendar or channels file cannot be read at all
     ├── ConfigError                   bad settings: missing key, bad URL, unknown target
     │    └── ReserveTooLarge          the reserve leaves no request of a quota window
     ├── ApiError                      the API answered with an error (status, path, body)
     │    ├── RetriableApiError        5xx, timeouts, dropped connections: try again later
     │    │    ├── Unreachable         no connection at all: refused, unknown host
     │    │    └── RateLimited         429: wait ``retry_after`` seconds
     │    ├── FatalApiError            other 4xx: retrying the same request cannot help
     │    │    ├── ValidationRejected  400 naming a provider and channel
     │    │    ├── AlreadyPublished    400 from the republish guard
     │    │    └── PayloadTooLarge     413: the body is over the server's cap
     │    └── AuthError                401/403: the key is wrong or revoked
     ├── JournalCorrupt                the journal cannot be read or has an unknown version
     ├── JournalLocked                 another run holds the journal
     └── DiskFull                      no space left to write the journal: resume later

Row-level problems in a calendar are not exceptions: they are ``report.RowError`` values.
No message ever carries the API key.
"""

from __future__ import annotations

from typing import Any


class CalendarSchedError(Exception):
    """Root of every error calendar-sched raises on purpose."""


class InputError(CalendarSchedError):
    """A calendar or channels file cannot be read at all."""


class ConfigError(CalendarSchedError):
    """Configuration is missing or wrong (URL, key, target, options)."""


class ReserveTooLarge(ConfigError):
    """The reserve leaves no request of a quota window for this run."""

    def __init__(self, reserve: int, limit: int, *, given: bool) -> None:
        super().__init__(f"the reserve ({reserve}) must be below the limit ({limit})")
        self.reserve = reserve
        self.limit = limit
        self.given = given  # the limit was an option, not the server's last word or a default


class ApiError(CalendarSchedError):
    """The API answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.body = body


class RetriableApiError(ApiError):
    """A transient failure (5xx, timeout, dropped connection): the same call may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unreachable(RetriableApiError):
    """No connection to the server at all (refused, unknown host): check the URL."""


class RateLimited(RetriableApiError):
    """429 Too Many Requests: nothing counted may be sent for ``retry_after`` seconds."""


class FatalApiError(ApiError):
    """A 4xx other than auth and rate limit: resending the same request cannot help."""


class ValidationRejected(FatalApiError):
    """400 that names the provider and channel whose post the server refused."""

    def __init__(self, message: str, *, provider: str = "", channel: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.provider = provider
        self.channel = channel


class AlreadyPublished(FatalApiError):
    """400 from the republish guard: the post is already published."""


class PayloadTooLarge(FatalApiError):
    """413: the request body is over the server's cap; split it."""


class AuthError(ApiError):
    """401/403: the API key is missing, wrong or revoked."""


class JournalCorrupt(CalendarSchedError):
    """The journal cannot be read, or was written by an unknown format version."""


class JournalLocked(CalendarSchedError):
    """Another run holds the lock on this journal."""


class DiskFull(CalendarSchedError):
    """The disk (or quota) is full: the journal cannot be written; free space and resume."""
