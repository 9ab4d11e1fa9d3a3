"""The one ETA: seconds until a run has sent its remaining counted requests.

``plan`` (through the planner), the live display of ``run`` and ``status`` all ask this module,
so they cannot disagree. It knows the per-window budget, the window's length and what the server
last said (``RateState``: calls left, ``X-RateLimit-Reset`` as ``reset_at``, a 429's
``Retry-After`` as ``blocked_until``). Pure: tested on a fake clock.
"""

from __future__ import annotations

import math

from calendar_sched.targets.base import RateState

#: Time one request takes on the wire, for the ETA of the last window. Postiz answers a create
#: in well under a second; uploads of large videos take longer, so this is an estimate only.
PER_REQUEST_SECONDS = 0.5


def eta_seconds(
    left: int,
    *,
    per_window: int,
    window_seconds: float,
    rate: RateState | None = None,
    now: float = 0.0,
    reserve: int = 0,
    per_request: float = PER_REQUEST_SECONDS,
) -> float:
    """Seconds until ``left`` more counted requests are sent.

    Args:
        left: counted requests still to send.
        per_window: counted requests the run sends per window (the limit minus the reserve).
        window_seconds: the length of one quota window.
        rate: the quota as last known; None: a fresh window starts now.
        now: epoch seconds, on the clock of ``rate``'s times.
        reserve: calls of ``rate.remaining`` left for other tools of the account.
        per_request: the time one request takes, for the requests of the last window.

    What the current window still covers goes at once; the rest goes ``per_window`` per window,
    the first of those windows starting when the current one resets (or a 429's block ends).
    """
    if left <= 0:
        return 0.0
    per_window = max(1, per_window)
    start = 0.0  # seconds from now until a fresh window begins
    if rate is not None and rate.blocked_until is not None and rate.blocked_until > now:
        start = rate.blocked_until - now
    elif rate is not None and rate.remaining is not None and not _reset_passed(rate, now):
        covered = max(0, min(rate.remaining - reserve, per_window))
        if left <= covered:
            return left * per_request
        left -= covered
        # Spent, with no word on the reset: the pacer waits a whole window, and so does this.
        start = window_seconds if rate.reset_at is None else rate.reset_at - now
    windows = math.ceil(left / per_window)
    in_last = left - (windows - 1) * per_window
    return start + (windows - 1) * window_seconds + in_last * per_request


def duration_text(seconds: float) -> str:
    """Every duration the tool prints: ``21s``, ``4m05s``, ``2h01m`` (rounded up, never early)."""
    whole = math.ceil(max(0.0, seconds) - 1e-9)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    minutes = math.ceil(whole / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def next_window_at(rate: RateState | None, now: float) -> float | None:
    """When the quota next frees up (a 429's block, else the window's reset), if still ahead."""
    if rate is None:
        return None
    future = [m for m in (rate.blocked_until, rate.reset_at) if m is not None and m > now]
    return max(future) if future else None


def _reset_passed(rate: RateState, now: float) -> bool:
    return rate.reset_at is not None and rate.reset_at <= now
