"""Serving the PostSyncer emulator: foreground (``sandbox serve --api postsyncer``) or a thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from calendar_sched.sandbox import server as base
from calendar_sched.sandbox.embedded import embedded_key
from calendar_sched.sandbox.postsyncer.app import Clock, create_app
from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig

DB_NAME = "postsyncer.db"


def serve(
    config: PostSyncerConfig,
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run the emulator in the foreground until interrupted; ``on_ready`` gets the API root."""
    base.serve_app(
        create_app(config), host, port, on_ready=on_ready, log_level=log_level, path="/api/v1"
    )


class RunningPostSyncer(base.RunningSandbox):
    """The PostSyncer emulator in a background thread on a free port; a context manager."""

    def __init__(
        self,
        config: PostSyncerConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = time.time,
    ) -> None:
        self.postsyncer = config
        self._prepare(create_app(config, clock=clock), host, port)

    @property
    def api_key(self) -> str:
        """The Bearer token clients send."""
        return self.postsyncer.token

    @property
    def api_url(self) -> str:
        """The API root clients use (``POSTSYNCER_API_URL``)."""
        return self.url + "/api/v1"


def start_embedded_postsyncer(
    state_dir: Path, *, limit: int = 60, window: float = 60.0
) -> RunningPostSyncer:
    """A PostSyncer emulator with state in ``state_dir/postsyncer.db`` (persists between runs)."""
    config = PostSyncerConfig(
        token=embedded_key(state_dir),
        db_path=state_dir / DB_NAME,
        limit=limit,
        window=window,
    )
    return RunningPostSyncer(config).start()
