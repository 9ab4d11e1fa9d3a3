"""The quota budget as far as it is known: pacing for counted calls.

The server's last answer says how many counted calls are left and when the window resets; after a
restart the journal says the same. Between answers the budget counts the calls it lets through,
so it never lets one through that the known budget does not cover.

Every answer's reset is an upper bound of the true one: the server counts from the moment it
took the window's first call, which is before we read its answer, and Postiz rounds the seconds
left up. So within one window the earliest reset any answer implied is kept: the first call of
a window answers "the whole window from now", which is exact to its round trip, while later
answers would add up to a second of rounding. Waiting until then plus a small margin for clock
rates (``drift_margin``) never sends early and wastes no whole second per window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calendar_sched.targets.base import RateState

if TYPE_CHECKING:
    from calendar_sched.targets.ledger import QuotaLedger

# Seconds past a reset or block before the next counted call when its time is only guessed (no
# header yet) or given as a clock time by another machine (PostSyncer's Unix resets): the server
# rounds and clocks drift, and a call that lands a moment early is the excess call that locks
# the org out.
SAFETY = 0.5

#: Relative clock-rate difference allowed between the server and us (100 ppm: two uncorrected
#: quartz clocks at ±50 ppm), and a fixed part for scheduling jitter.
DRIFT = 1e-4
JITTER = 0.02


def drift_margin(window_seconds: float) -> float:
    """Margin past a reset the server gave in seconds from its answer (Postiz's Reset)."""
    return JITTER + DRIFT * window_seconds


class Budget:
    """The quota as far as it is known: what is left in this window, when it resets, any block."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        reserve: int = 0,
        rate: RateState | None = None,
        margin: float = SAFETY,
        shared: QuotaLedger | None = None,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.reserve = reserve
        self.margin = margin
        self.remaining: int | None = None  # as the server last said, minus calls sent since
        self.reset_at: float | None = None  # the earliest reset the window's answers implied
        self.blocked_until: float | None = None
        self.window_start: float | None = None  # our own estimate while the server says nothing
        self.used = 0
        # Other runs against the same account spend from the same quota: each counted call is
        # also taken from the account's ledger, and the server's answers go there too.
        self.shared = shared
        self._taken = False  # wait() took this call from the ledger; spent() must not again
        if rate is not None:
            self.adopt(rate)

    def adopt(self, rate: RateState) -> None:
        """Take what the server said last (its reset: the tighter one, within one window)."""
        self._adopt(rate)
        if self.shared is not None:
            self.shared.adopt(self, rate)

    def _adopt(self, rate: RateState) -> None:
        if rate.limit is not None:
            self.limit = rate.limit
        reset = rate.reset_at
        if reset is not None:
            if self.reset_at is not None and self._same_window(self.reset_at, reset, rate):
                reset = min(self.reset_at, reset)
            self.reset_at = reset
        if rate.remaining is not None:
            self.remaining = rate.remaining
        if rate.blocked_until is not None:
            self.blocked_until = max(rate.blocked_until, self.blocked_until or 0.0)

    def _same_window(self, known: float, reset: float, rate: RateState) -> bool:
        # A new window shows as more calls left than we counted, or a reset about a window later
        # (answers of one window differ by their rounding and round trips only).
        counted, said = self.remaining, rate.remaining
        if counted is not None and said is not None and said > counted:
            return False
        return abs(reset - known) < self.window_seconds / 2

    def block(self, until: float) -> None:
        """Nothing counted may be sent before ``until`` (after a 429)."""
        self.blocked_until = max(until, self.blocked_until or 0.0)
        if self.shared is not None:
            self.shared.block(self, until)

    def _reset(self) -> float | None:
        if self.reset_at is not None:
            return self.reset_at
        if self.window_start is not None:
            # Our own send time is before the server took the call: add what the margin lacks.
            return self.window_start + self.window_seconds + max(0.0, SAFETY - self.margin)
        return None

    def _roll(self, now: float) -> None:
        reset = self._reset()
        if reset is not None and now >= reset + self.margin:
            self.remaining = self.reset_at = self.window_start = None
            self.used = 0

    def available(self, now: float) -> int:
        """Counted calls left in the current window (reserve not deducted)."""
        self._roll(now)
        return self.remaining if self.remaining is not None else self.limit - self.used

    def wait(self, now: float) -> float:
        """Seconds until one more counted call is covered; 0 when it is now.

        With a shared ledger, 0 also means the call was taken from it: send it.
        """
        wait = self._own_wait(now)
        if wait > 0 or self.shared is None or self._taken:
            return wait
        wait = self.shared.take(self, now)
        self._taken = wait <= 0
        return wait

    def _own_wait(self, now: float) -> float:
        if self.blocked_until is not None and now < self.blocked_until + self.margin:
            return self.blocked_until + self.margin - now
        if self.available(now) > self.reserve:
            return 0.0
        if self._reset() is None:  # spent, with no word on when it resets: a whole window
            self.window_start = now
        reset = self._reset()
        assert reset is not None
        return max(0.0, reset + self.margin - now)

    def spent(self, now: float) -> None:
        """Count one counted call just sent."""
        if self.shared is not None and not self._taken:
            self.shared.charge(self, now)
        self._taken = False
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
