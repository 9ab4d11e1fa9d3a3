"""PostSyncer's rate limiter: a fixed one-minute window per user, every call counted.

Laravel's ``ThrottleRequests`` checks before it hits: a refused call does not count, and the
window starts with its first hit. Headers carry ``X-RateLimit-Reset`` as a Unix time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TOO_MANY = {"message": "Too Many Attempts."}


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

    def headers(self, now: float) -> dict[str, str]:
        """``X-RateLimit-*`` on every answer; ``Retry-After`` too on a 429."""
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
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
