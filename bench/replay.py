"""Each peer's reaction to 429s, replayed on a virtual clock through the sandbox's own throttler.

Used where a live run at limit 30 would take too long (3k and 30k rows) or where the short
window would distort a tool (the official CLI starts a Node process per row, about 0.2 s, which a
5-second "hour" would stretch to 2½ minutes). The tool's requests are first sent for real against
a sandbox with no effective limit (so every count, body and answer is real); then its policy on
429 is replayed here, call by call, through ``calendar_sched.sandbox.throttle.hit`` with a
virtual clock, at the real limit and window. Every call takes ``CALL_SECONDS`` of virtual time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from calendar_sched.sandbox.throttle import ThrottleState, hit

CALL_SECONDS = 1.0
HOUR = 3600.0


@dataclass
class Replay:
    """What a policy cost at the real limit: hours until the last post was accepted, 429s."""

    counted: int = 0
    rejected_429: int = 0
    lockouts: int = 0
    seconds: float = 0.0

    @property
    def hours(self) -> float:
        """Virtual hours from the first call to the last accepted one."""
        return self.seconds / HOUR

    @property
    def windows(self) -> int:
        """Hour windows the run touched: "simulated hours" counted the way the issue asks."""
        return int(self.seconds // HOUR) + 1 if self.counted else 0

    def to_json(self) -> dict[str, float | int]:
        """Plain numbers for results.json."""
        return {
            "counted": self.counted,
            "rejected_429": self.rejected_429,
            "lockouts": self.lockouts,
            "hours": round(self.hours, 2),
            "windows": self.windows,
        }


class _Clocked:
    def __init__(self, limit: int, window: float) -> None:
        self.state = ThrottleState()
        self.limit = limit
        self.window = window
        self.now = 0.0
        self.result = Replay()

    def call(self) -> bool:
        decision = hit(self.state, self.now, limit=self.limit, window=self.window)
        self.now += CALL_SECONDS
        self.result.counted += 1
        if decision.new_block:
            self.result.lockouts += 1
        if not decision.allowed:
            self.result.rejected_429 += 1
        return decision.allowed

    def skip_blocked(self, calls: int) -> int:
        """Count up to ``calls`` calls that land inside the current block and hits window at
        once (each would be refused); returns how many. Same result as calling one by one."""
        until, end = self.state.blocked_until, self.state.window_end
        if until is None or end is None or self.now >= until or self.now >= end:
            return 0
        count = min(calls, math.ceil((min(until, end) - self.now) / CALL_SECONDS))
        self.state.hits += count
        self.now += count * CALL_SECONDS
        self.result.counted += count
        self.result.rejected_429 += count
        return count

    def blocked_for(self) -> float:
        until = self.state.blocked_until
        return 0.0 if until is None else max(0.0, until - self.now)


def per_row_script(posts: int, limit: int = 30, window: float = HOUR) -> Replay:
    """The guide's script: 3 tries with 1/2/4-minute sleeps, then it dies; the operator waits
    an hour and starts it again from the row that failed (the kindest reading of the guide)."""
    clock = _Clocked(limit, window)
    done = 0
    while done < posts:
        for attempt in range(3):
            if clock.call():
                done += 1
                break
            clock.now += 2**attempt * 60 * (window / HOUR)
        else:
            clock.now += window  # crashed: the operator waits an hour and re-runs the rest
    clock.result.seconds = clock.now
    return clock.result


def cli_loop(commands: int, limit: int = 30, window: float = HOUR) -> Replay:
    """The CLI's shell loop: no retry, a 429 loses the row and the loop goes on; after each
    pass the operator waits out the lock-out and runs the loop again over the rows that failed."""
    clock = _Clocked(limit, window)
    pending = commands
    while pending:
        sent = failed = 0
        while sent < pending:
            skipped = clock.skip_blocked(pending - sent)
            if skipped:
                sent += skipped
                failed += skipped
                continue
            failed += 0 if clock.call() else 1
            sent += 1
        pending = failed
        if pending:
            clock.now += clock.blocked_for()
    clock.result.seconds = clock.now
    return clock.result


def paced(requests: int, limit: int = 30, window: float = HOUR, reserve: int = 0) -> Replay:
    """A client that never sends a counted call its budget does not cover (calendar-sched)."""
    clock = _Clocked(limit, window)
    budget = limit - reserve
    for index in range(requests):
        if index and index % budget == 0:
            clock.now = max(clock.now, (index // budget) * window)
        clock.call()
    clock.result.seconds = clock.now
    return clock.result
