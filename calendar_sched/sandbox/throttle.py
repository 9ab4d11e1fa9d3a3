"""The Postiz throttler: a fixed window per organisation with a block (reference §2).

It mirrors the Lua script of ``@nest-lab/throttler-storage-redis`` 1.2.0: every counted call
increments ``hits``; the window's expiry is set on its first hit only; the first hit over the
limit sets a block for ``block`` seconds from that moment; calls during the block still count,
and when the hits window expires during a block a new one starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TOO_MANY = {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}


@dataclass
class ThrottleState:
    """The two Redis keys of one tracker: hits with their expiry, and the block's expiry."""

    hits: int = 0
    window_end: float | None = None
    blocked_until: float | None = None


@dataclass(frozen=True)
class Decision:
    """The guard's verdict on one counted call."""

    allowed: bool
    limit: int
    hits: int
    reset: int  # whole seconds until the hits window expires
    retry_after: int = 0  # whole seconds until the block ends (only when refused)
    new_block: bool = False  # this call set the block (a lock-out starts)

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` on allowed calls; only ``Retry-After`` on a 429."""
        if not self.allowed:
            return {"Retry-After": str(self.retry_after)}
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.hits)),
            "X-RateLimit-Reset": str(self.reset),
        }


def _seconds(delta: float) -> int:
    return max(0, math.ceil(delta - 1e-9))


def hit(state: ThrottleState, now: float, *, limit: int, window: float) -> Decision:
    """Count one call at ``now`` (mutating ``state``) and decide; the block lasts one window."""
    if state.window_end is None or now >= state.window_end:
        state.hits = 0
        state.window_end = now + window
    state.hits += 1
    if state.blocked_until is not None and now >= state.blocked_until:
        state.blocked_until = None
    reset = _seconds(state.window_end - now)
    if state.blocked_until is not None:
        return Decision(False, limit, state.hits, reset, _seconds(state.blocked_until - now))
    if state.hits > limit:
        state.blocked_until = now + window
        return Decision(False, limit, state.hits, reset, _seconds(window), new_block=True)
    return Decision(True, limit, state.hits, reset)
