"""The retry policy, declared once: which errors retry, how often, and how long to wait.

Transient failures (5xx, timeouts, dropped connections) retry with exponential backoff and
jitter; a ``Retry-After`` the server sent wins over the backoff. A 429 on a *counted* call is
not retried here: on Postiz every counted call made during a block still counts and extends it,
so the executor stops sending counted calls, journals the block and waits itself. Free calls
(listings, uploads on current servers) do retry a 429 after ``Retry-After``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, stop_after_attempt

from calendar_sched.errors import RateLimited, RetriableApiError

Sleep = Callable[[float], None]

DEFAULT_ATTEMPTS = 5
DEFAULT_INITIAL = 1.0  # seconds before the second attempt
DEFAULT_MAX_WAIT = 60.0
DEFAULT_JITTER = 1.0  # seconds of uniform jitter added to each backoff


def should_retry(exc: BaseException, *, counted: bool) -> bool:
    """True for transient errors, except a 429 on a counted call (the executor's to handle)."""
    if not isinstance(exc, RetriableApiError):
        return False
    return not (counted and isinstance(exc, RateLimited))


class WaitRetryAfter:
    """Exponential backoff with jitter, replaced by the server's ``Retry-After`` when given."""

    def __init__(
        self,
        initial: float = DEFAULT_INITIAL,
        max_wait: float = DEFAULT_MAX_WAIT,
        jitter: float = DEFAULT_JITTER,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.max_wait = max_wait
        self.jitter = jitter
        self._rng = rng or random.Random()

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return float(retry_after)
        backoff = self.initial * 2 ** (state.attempt_number - 1)
        return float(min(self.max_wait, backoff + self._rng.uniform(0, self.jitter)))


def retrying(
    *,
    counted: bool = False,
    attempts: int = DEFAULT_ATTEMPTS,
    initial: float = DEFAULT_INITIAL,
    max_wait: float = DEFAULT_MAX_WAIT,
    jitter: float = DEFAULT_JITTER,
    sleep: Sleep = time.sleep,
    rng: random.Random | None = None,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` for one API call.

    Args:
        counted: the call counts against the quota (a 429 is then not retried).
        attempts: total tries, the first included.
        initial: backoff before the second try; doubles each time, capped at ``max_wait``.
        max_wait: the longest backoff (a ``Retry-After`` is honoured even when longer).
        jitter: up to this many seconds added at random to each backoff.
        sleep: how to wait; tests pass a recorder so they run instantly.
        rng: source of the jitter (seeded in tests).
        before_sleep: called before each wait, e.g. to report the retry.

    Returns:
        A ``Retrying`` that reraises the last error when the attempts run out.
    """
    return Retrying(
        retry=lambda state: bool(
            state.outcome
            and state.outcome.failed
            and should_retry(state.outcome.exception(), counted=counted)  # type: ignore[arg-type]
        ),
        stop=stop_after_attempt(attempts),
        wait=WaitRetryAfter(initial, max_wait, jitter, rng),
        sleep=sleep,
        reraise=True,
        before_sleep=before_sleep,
    )
