"""Background runs: ``run_calendar`` starts a run in a thread and returns at once.

A tool call should not block for the hour a quota window can last, so the server runs a
calendar in a thread of its own process and answers ``running`` with the journal's counts and
``next_window_at``; ``run_status`` reads the journal again. One run per journal at a time: a
second ``run_calendar`` for a calendar that is running answers its status instead of starting
another. The journal keeps everything, so a run cut short (the server stopped) resumes from it
on the next ``run_calendar``, never sending a Post twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.errors import CalendarSchedError
from calendar_sched.run.events import Event
from calendar_sched.run.journal import JournalState, read_state
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import RunOutcome, run_calendar
from calendar_sched.run.status import journal_status

logger = logging.getLogger("calendar_sched.mcp")


@dataclass
class Run:
    """One background run: its thread, the last event, and how it ended."""

    files: list[Path]
    journal: Path
    thread: threading.Thread | None = None
    last: Event | None = None
    outcome: RunOutcome | None = None
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        """True while its thread works."""
        return self.thread is not None and self.thread.is_alive()


class Runs:
    """The server's runs, one per journal."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env
        self._lock = threading.Lock()
        self._runs: dict[Path, Run] = {}

    def start(self, files: list[Path], options: RunOptions) -> tuple[dict[str, Any], bool]:
        """Start a run of ``files`` (unless one is running); its status, and whether it started."""
        journal = options.journal_path(files).resolve()
        with self._lock:
            current = self._runs.get(journal)
            if current is not None and current.running:
                return self.status(files, options), False
            run = Run(files, journal)
            run.thread = threading.Thread(
                target=self._work, args=(run, options), name=f"run {files[0].name}", daemon=True
            )
            self._runs[journal] = run
            run.thread.start()
        run.thread.join(timeout=0.5)  # a run that ends at once (nothing to send) answers done
        return self.status(files, options), True

    def wait(self, files: list[Path], options: RunOptions, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the run of ``files`` to end (for tests, shutdown)."""
        run = self._runs.get(options.journal_path(files).resolve())
        if run is not None and run.thread is not None:
            run.thread.join(timeout)

    def progress(self, files: list[Path], options: RunOptions) -> tuple[bool, Event | None]:
        """Whether the run of ``files`` is still working, and its last event."""
        run = self._runs.get(options.journal_path(files).resolve())
        if run is None:
            return False, None
        return run.running, run.last

    def _work(self, run: Run, options: RunOptions) -> None:
        def on_event(event: Event) -> None:
            run.last = event

        try:
            run.outcome = run_calendar(
                run.files, options, env=self._env, confirm=lambda _: True, on_event=on_event
            )
        except CalendarSchedError as exc:
            run.error = str(exc)
        except Exception as exc:  # the server outlives any run; the error goes to the status
            logger.exception("run of %s stopped", run.files[0])
            run.error = f"{type(exc).__name__}: {exc}"

    def status(self, files: list[Path], options: RunOptions) -> dict[str, Any]:
        """The run's state (``running``, ``done``, ``pending``, ``failed``, …) and the journal's."""
        journal = options.journal_path(files).resolve()
        run = self._runs.get(journal)
        data: dict[str, Any] = {
            "calendar": [str(f) for f in files],
            "journal": str(journal),
            **_counts(read_state(journal)),
        }
        if run is None:
            data["status"] = "idle" if journal.exists() else "not_started"
        elif run.running:
            data["status"] = "running"
            if run.last is not None:
                data["progress"] = {
                    "done": run.last.done,
                    "total": run.last.total,
                    "requests_planned": run.last.requests_planned,
                    "last_event": run.last.message,
                }
        elif run.error is not None:
            data.update(status="error", message=run.error)
        elif run.outcome is not None:
            data["status"] = run.outcome.status
            data["target"] = run.outcome.preview.where
            if run.outcome.status == "invalid":
                data["report"] = run.outcome.preview.validation.report.to_dict()
            if run.outcome.result is not None:
                data["failures"] = dict(run.outcome.result.failed)
            if run.outcome.status == "late":
                data["message"] = (
                    f"{len(run.outcome.preview.late)} posts would be sent after their publish "
                    "time; nothing was sent. Call run_calendar with late: publish or late: skip."
                )
        return data


def _counts(state: JournalState) -> dict[str, Any]:
    """``status --json`` without its per-post list: done, pending, failed, in doubt, requests."""
    return journal_status(state, now=time.time(), per_post=False)
