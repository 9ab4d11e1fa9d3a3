"""The one fake clock: epoch seconds that move only when a test (or a sleep) moves them."""

from __future__ import annotations

#: 2030-03-17T17:46:40Z, the default "now" of a FakeClock.
DEFAULT_START = 1_900_000_000.0


class FakeClock:
    """A clock to hand to a client, backend or sandbox instead of ``time.time``/``time.sleep``.

    ``sleep`` records the wait and moves time on at once; ``advance`` moves it by hand.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance time instead of waiting, and record the wait."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward by hand."""
        self.now += seconds
