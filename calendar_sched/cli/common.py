"""What several commands open the same way: the Postiz account, else the embedded sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from calendar_sched.targets.base import CostModel
from calendar_sched.targets.connect import resolve_target
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postiz.client import PostizClient

#: Where the embedded sandbox keeps its state (posts, uploads, quota), in the working directory.
STATE_DIR = ".calendar-sched"


@contextmanager
def target_backend(
    costs: CostModel | None = None, *, sandbox_label: str = "the built-in sandbox"
) -> Iterator[tuple[PostizBackend, str]]:
    """The configured Postiz account, else the embedded sandbox (state in .calendar-sched/).

    Yields the backend and where it points: the server's URL, else ``sandbox_label``.
    """
    target = resolve_target()
    if not target.embedded:
        with PostizClient(target.base_url, target.api_key) as client:
            yield (
                PostizBackend(client, costs=costs, fingerprint=target.fingerprint),
                client.base_url,
            )
        return
    from calendar_sched.sandbox.embedded import start_embedded

    quota = costs or CostModel()
    with (
        start_embedded(Path(STATE_DIR), limit=quota.limit, window=quota.window_seconds) as sandbox,
        PostizClient(sandbox.url, sandbox.api_key) as client,
    ):
        yield PostizBackend(client, costs=costs, fingerprint=target.fingerprint), sandbox_label
