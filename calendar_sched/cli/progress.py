"""Progress of a run for the CLI: a rich live display on a terminal, one line per event otherwise.

CLI-side (it imports rich); the executor only calls ``on_event`` with ``executor.Event`` values.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from calendar_sched.cli.render import duration
from calendar_sched.plan import eta
from calendar_sched.run.executor import Event

#: Events worth a line on a terminal too (the live display shows the rest).
NOTABLE = {"recovered", "removed", "pruned", "failed", "rate-limited", "already-published", "split"}


def planned_sent(event: Event) -> int:
    """Counted requests of the plan sent so far (retries and split parts are apart)."""
    return event.requests_sent - event.extra_requests


def eta_seconds(
    event: Event, *, per_window: int, window_seconds: float, now: float, reserve: int = 0
) -> float:
    """Time left for the plan's unsent counted requests (``plan.eta``, as plan and status)."""
    left = max(0, event.requests_planned - planned_sent(event))
    return eta.eta_seconds(
        left,
        per_window=per_window,
        window_seconds=window_seconds,
        rate=event.rate,
        now=now,
        reserve=reserve,
    )


class RunProgress:
    """Renders executor events; use as a context manager around ``execute``."""

    def __init__(
        self,
        console: Console,
        *,
        per_window: int,
        window_seconds: float,
        reserve: int = 0,
        live: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.console = console
        self.per_window = per_window
        self.window_seconds = window_seconds
        self.reserve = reserve
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
            parts.append(f"next window in {duration(event.until - now)}")
        eta = eta_seconds(
            event,
            per_window=self.per_window,
            window_seconds=self.window_seconds,
            now=now,
            reserve=self.reserve,
        )
        parts.append(f"ETA {duration(eta)}")
        return " · ".join(parts)

    def __call__(self, event: Event) -> None:
        """The executor's ``on_event``."""
        with self._lock:
            self.last = event
            if self.live:
                self._bars.update(self._posts, completed=event.done, total=event.total)
                sent = planned_sent(event)
                self._bars.update(
                    self._requests, completed=sent, total=max(event.requests_planned, sent)
                )
                if event.kind in NOTABLE:
                    self.console.print(event.message)
                return
            self.console.print(self.line(event), soft_wrap=True, highlight=False, markup=False)

    def line(self, event: Event) -> str:
        """One plain line for logs: time, event, progress counters."""
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%H:%M:%S")
        sent = planned_sent(event)
        retried = f" +{event.extra_requests} retried" if event.extra_requests else ""
        counters = (
            f"[{event.done}/{event.total} posts, "
            f"{sent}/{max(sent, event.requests_planned)} requests{retried}]"
        )
        return f"{stamp} {event.kind}: {event.message} {counters}"
