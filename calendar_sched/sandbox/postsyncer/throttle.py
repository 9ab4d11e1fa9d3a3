"""PostSyncer's rate limiter: a fixed one-minute window per user, every call counted.

Laravel's ``ThrottleRequests`` checks before it hits: a refused call does not count, and the
window starts with its first hit. Headers carry ``X-RateLimit-Reset`` as a Unix time.

Which headers a success carries is a setting (``RATE_HEADERS``), since the public sources
disagree and a client must pace right with any of them:

- ``always``: Limit, Remaining and Reset on every answer (PostSyncer's rate-limit docs page);
- ``laravel``: Limit and Remaining on successes, Reset only on the 429 (stock
  ``ThrottleRequests`` of ``Illuminate/Routing/Middleware``);
- ``429-only``: nothing on successes (a gateway that strips them).

The 429 always carries Limit, Remaining 0, Reset and ``Retry-After``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

TOO_MANY = {"message": "Too Many Attempts."}

RateHeaders = Literal["always", "laravel", "429-only"]
RATE_HEADERS: tuple[RateHeaders, ...] = ("always", "laravel", "429-only")


@dataclass
class Window:
    """Hits in the current window and when it ends (epoch seconds)."""

    hits: int = 0
    ends_at: float | None = None


@dataclass(frozen=True)
class Verdict:
    """The limiter's answer to one call."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    def headers(self, now: float, mode: RateHeaders = "always") -> dict[str, str]:
        """``X-RateLimit-*`` as ``mode`` sends them on a success; all and ``Retry-After`` on
        a 429."""
        if self.allowed and mode == "429-only":
            return {}
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
        }
        if not self.allowed or mode == "always":
            out["X-RateLimit-Reset"] = str(math.ceil(self.reset_at))
        if not self.allowed:
            out["Retry-After"] = str(max(0, math.ceil(self.reset_at - now)))
        return out


def attempt(window: Window, now: float, *, limit: int, seconds: float) -> Verdict:
    """Count one call at ``now`` if the window has room (mutating ``window``)."""
    if window.ends_at is None or now >= window.ends_at:
        window.hits = 0
        window.ends_at = now + seconds
    if window.hits >= limit:
        return Verdict(False, limit, 0, window.ends_at)
    window.hits += 1
    return Verdict(True, limit, limit - window.hits, window.ends_at)
