"""The quota budget as far as it is known: pacing for counted calls.

The server's last answer says how many counted calls are left and when the window resets; after a
restart the journal says the same. Between answers the budget counts the calls it lets through,
so it never lets one through that the known budget does not cover.
"""

from __future__ import annotations

from calendar_sched.backends.base import RateState

# Seconds past a reset or block before the next counted call: the server rounds and clocks drift,
# and a call that lands a moment early is the excess call that locks the org out.
SAFETY = 0.5


class Budget:
    """The quota as far as it is known: what is left in this window, when it resets, any block."""

    def __init__(
        self, *, limit: int, window_seconds: float, reserve: int = 0, rate: RateState | None = None
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.reserve = reserve
        self.remaining: int | None = None  # as the server last said, minus calls sent since
        self.reset_at: float | None = None
        self.blocked_until: float | None = None
        self.window_start: float | None = None  # our own estimate while the server says nothing
        self.used = 0
        if rate is not None:
            self.adopt(rate)

    def adopt(self, rate: RateState) -> None:
        """Take what the server said last."""
        if rate.limit is not None:
            self.limit = rate.limit
        if rate.remaining is not None:
            self.remaining = rate.remaining
        if rate.reset_at is not None:
            self.reset_at = rate.reset_at
        if rate.blocked_until is not None:
            self.block(rate.blocked_until)

    def block(self, until: float) -> None:
        """Nothing counted may be sent before ``until`` (after a 429)."""
        self.blocked_until = max(until, self.blocked_until or 0.0)

    def _reset(self) -> float | None:
        if self.reset_at is not None:
            return self.reset_at
        if self.window_start is not None:
            return self.window_start + self.window_seconds
        return None

    def _roll(self, now: float) -> None:
        reset = self._reset()
        if reset is not None and now >= reset + SAFETY:
            self.remaining = self.reset_at = self.window_start = None
            self.used = 0

    def available(self, now: float) -> int:
        """Counted calls left in the current window (reserve not deducted)."""
        self._roll(now)
        return self.remaining if self.remaining is not None else self.limit - self.used

    def wait(self, now: float) -> float:
        """Seconds until one more counted call is covered; 0 when it is now."""
        if self.blocked_until is not None and now < self.blocked_until + SAFETY:
            return self.blocked_until + SAFETY - now
        if self.available(now) > self.reserve:
            return 0.0
        reset = self._reset()
        if reset is None:  # spent, with no word on when it resets: assume a whole window
            self.window_start = now
            reset = now + self.window_seconds
        return max(0.0, reset + SAFETY - now)

    def spent(self, now: float) -> None:
        """Count one counted call just sent."""
        self._roll(now)
        if self.window_start is None:
            self.window_start = now
        self.used += 1
        if self.remaining is not None:
            self.remaining -= 1

    def as_rate(self) -> RateState:
        """The known state (our own count where the server said nothing), to journal."""
        remaining = self.remaining
        if remaining is None and self.window_start is not None:
            remaining = self.limit - self.used
        return RateState(self.limit, remaining, self._reset(), self.blocked_until)
