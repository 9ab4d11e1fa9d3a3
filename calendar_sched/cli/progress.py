"""Progress of a run for the CLI: a rich live display on a terminal, one line per event otherwise.

CLI-side (it imports rich); the executor only calls ``on_event`` with ``executor.Event`` values.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from calendar_sched.run.executor import Event

#: Events worth a line on a terminal too (the live display shows the rest).
NOTABLE = {"recovered", "removed", "pruned", "failed", "rate-limited", "already-published", "split"}


def eta_seconds(event: Event, *, per_window: int, window_seconds: float, now: float) -> float:
    """Rough time left: windows still needed for the remaining counted requests."""
    left = max(0, event.requests_planned - event.requests_sent)
    if left == 0:
        return 0.0
    in_this = max(0, event.remaining or 0) if event.until is None else 0
    later = max(0, left - in_this)
    wait = max(0.0, (event.until or now) - now)
    return wait + math.ceil(later / max(1, per_window)) * window_seconds if later else wait


class RunProgress:
    """Renders executor events; use as a context manager around ``execute``."""

    def __init__(
        self,
        console: Console,
        *,
        per_window: int,
        window_seconds: float,
        live: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.console = console
        self.per_window = per_window
        self.window_seconds = window_seconds
        self.live = console.is_terminal if live is None else live
        self.clock = clock
        self.last: Event | None = None
        self._lock = threading.Lock()
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
        )
        self._posts = self._bars.add_task("posts scheduled", total=None)
        self._requests = self._bars.add_task("requests sent  ", total=None)
        self._status = Text("")
        self._live: Live | None = None

    def __enter__(self) -> RunProgress:
        if self.live:
            self._live = Live(
                Group(self._bars, self._status),
                console=self.console,
                refresh_per_second=4,
                get_renderable=self._renderable,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _renderable(self) -> Group:
        self._status.plain = self.status_line()
        return Group(self._bars, self._status)

    def status_line(self) -> str:
        """Budget, countdown to the next window and ETA, from the last event."""
        event = self.last
        if event is None:
            return "starting…"
        now = self.clock()
        parts = []
        if event.remaining is not None:
            parts.append(f"budget left this window: {max(0, event.remaining)}")
        if event.until is not None and event.until > now:
            parts.append(f"next window in {_clock(event.until - now)}")
        eta = eta_seconds(
            event, per_window=self.per_window, window_seconds=self.window_seconds, now=now
        )
        parts.append(f"ETA {_clock(eta)}")
        return " · ".join(parts)

    def __call__(self, event: Event) -> None:
        """The executor's ``on_event``."""
        with self._lock:
            self.last = event
            if self.live:
                self._bars.update(self._posts, completed=event.done, total=event.total)
                self._bars.update(
                    self._requests,
                    completed=event.requests_sent,
                    total=max(event.requests_planned, event.requests_sent),
                )
                if event.kind in NOTABLE:
                    self.console.print(event.message)
                return
            self.console.print(self.line(event), soft_wrap=True, highlight=False, markup=False)

    def line(self, event: Event) -> str:
        """One plain line for logs: time, event, progress counters."""
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%H:%M:%S")
        counters = (
            f"[{event.done}/{event.total} posts, "
            f"{event.requests_sent}/{event.requests_planned} requests]"
        )
        return f"{stamp} {event.kind}: {event.message} {counters}"


def _clock(seconds: float) -> str:
    seconds = max(0, int(math.ceil(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
