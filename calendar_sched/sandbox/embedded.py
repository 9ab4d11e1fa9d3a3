"""The embedded default target: a local sandbox when no Postiz URL and key are configured."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from calendar_sched.models import Channel
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.server import RunningSandbox

DB_NAME = "sandbox.db"
KEY_NAME = "sandbox.key"


def embedded_key(state_dir: Path) -> str:
    """The sandbox key kept in the state directory, created on first use (not a real secret)."""
    path = state_dir / KEY_NAME
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    key = f"sandbox-{secrets.token_hex(10)}"
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n", encoding="utf-8")
    return key


def start_embedded(
    state_dir: Path,
    *,
    limit: int = 30,
    window: float = 3600.0,
    channels: Sequence[Channel] | None = None,
) -> RunningSandbox:
    """Start a sandbox on a free local port with state in ``state_dir`` (``.calendar-sched``).

    Posts, uploads and the quota persist between runs in ``state_dir/sandbox.db``, so a re-run
    resumes against the same server state and a lock-out lasts as long as it would on Postiz.
    The returned sandbox is running; stop it with ``stop()`` or use it as a context manager.

    ``channels`` (a ``--channels-file``; None: the demo channels) are what it lists, as
    ``sandbox serve --channels-file`` seeds a served one. Every start seeds the channel list
    anew and keeps the stored posts: a post on a channel the current list lacks stays stored,
    out of listings, until a later start lists its channel again.
    """
    config = SandboxConfig(
        api_key=embedded_key(state_dir),
        db_path=state_dir / DB_NAME,
        limit=limit,
        window=window,
    )
    if channels is not None:
        config = replace(config, channels=tuple(channels))
    return RunningSandbox(config).start()
