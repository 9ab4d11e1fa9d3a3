"""What several commands open the same way: the Postiz account, else the embedded sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from calendar_sched.targets.base import CostModel
from calendar_sched.targets.connect import STATE_DIR, connect
from calendar_sched.targets.postiz.backend import PostizBackend


@contextmanager
def target_backend(
    costs: CostModel | None = None, *, sandbox_label: str = "the built-in sandbox"
) -> Iterator[tuple[PostizBackend, str]]:
    """The configured Postiz account, else the embedded sandbox (state in .calendar-sched/).

    Yields the backend and where it points: the server's URL, else ``sandbox_label``.
    """
    with connect("postiz", costs=costs, state_dir=STATE_DIR, label=sandbox_label) as opened:
        assert isinstance(opened.backend, PostizBackend)
        yield opened.backend, opened.where
