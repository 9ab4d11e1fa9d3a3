"""Crash and resume: whatever the kill point, every Post ends up on the server exactly once.

In-process with the FakeBackend for the property (fast); a few subprocess runs killed with
SIGKILL against the sandbox for the real thing (see test_cli_run.py for the CLI side).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.models import Post
from calendar_sched.plan.planner import plan
from calendar_sched.run.executor import execute
from calendar_sched.run.journal import Journal, journal_path_for, read_state
from calendar_sched.sandbox.server import RunningSandbox
from tests.fakes_backend import CHANNELS, Crash, FakeBackend, make_posts, media_ref
from tests.test_cli_run import listing, write_calendar

NOW = datetime(2030, 2, 1, tzinfo=UTC)


def attempt(posts: list[Post], backend: FakeBackend, path: Path) -> bool:
    """One process lifetime: open, plan, execute; False when it 'died'."""
    journal = Journal(path, fingerprint=backend.fingerprint)
    try:
        state = journal.state
        the_plan = plan(
            posts,
            backend,
            limit=backend.limit,
            window_seconds=backend.window,
            done=state.done_hashes(),
            uploaded=list(state.uploaded),
            now=NOW,
        )
        result = execute(
            the_plan, backend, journal, clock=backend.clock, sleep=backend.clock.sleep, attempts=3
        )
        assert not result.failed
        return result.complete
    except Crash:
        return False
    finally:
        journal.close()  # the kernel does this when a process dies


kills = st.lists(
    st.tuples(st.integers(0, 12), st.booleans(), st.integers(0, 40)), min_size=0, max_size=4
)


@settings(max_examples=30, deadline=None)
@given(kills=kills)
def test_outcome_is_the_same_whatever_the_kill_points(
    tmp_path_factory: object, kills: list[tuple[int, bool, int]]
) -> None:
    path = Path(tmp_path_factory.mktemp("crash")) / "cal.journal.jsonl"  # type: ignore[attr-defined]
    posts = make_posts(6, per_slot=2, channels=CHANNELS[:3], media=[media_ref("a.png")])
    backend = FakeBackend(limit=4, window=10.0)
    for crash_after, commits, torn in kills:
        backend.crash_after, backend.crash_commits = backend.calls + crash_after, commits
        if attempt(posts, backend, path):
            break
        if torn:  # it died mid-write of the next line: a torn tail
            with path.open("ab") as tail:
                tail.write(b'{"event":"succeeded","call":"0123456789ab","posts":[{"key"'[:torn])
    backend.crash_after = None
    while not attempt(posts, backend, path):
        pass
    assert backend.live_keys() == sorted(p.key for p in posts)
    assert {s.content for s in backend.store.values()} == {p.values[0].text for p in posts}
    assert backend.self_inflicted_429 == 0
    assert backend.upload_calls <= 1 + len(kills)
    state = read_state(path)
    assert state.in_doubt == {}
    assert state.pending_keys() == []
    assert set(state.done) == {p.key for p in posts}


# The real thing: a subprocess `run` killed with SIGKILL, then resumed, against the sandbox.


def _spawn(calendar: Path, sandbox: RunningSandbox) -> subprocess.Popen[bytes]:
    env = {**os.environ, "POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}
    command = [sys.executable, "-c", "from calendar_sched.cli import main; main()"]
    return subprocess.Popen(
        [*command, "run", str(calendar), "--yes"],
        env=env,
        cwd=calendar.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_points_then_resume(
    seed: int, tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    rng = random.Random(seed)
    sandbox = sandbox_server_factory()
    sandbox.set_faults(drop_after_commit=0.15, latency_ms=20, seed=seed)
    calendar = write_calendar(tmp_path / "cal.csv", 6)
    journal = journal_path_for(calendar)
    for _ in range(2):
        process = _spawn(calendar, sandbox)
        kill_at = _lines(journal) + rng.randint(2, 8)
        while process.poll() is None and _lines(journal) < kill_at:
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(30)
    for _ in range(3):
        if _spawn(calendar, sandbox).wait(60) == 0:
            break
    ids = [post["id"] for post in listing(sandbox)]
    assert len(ids) == len(set(ids)) == 12
    stats = sandbox.stats()
    assert stats["posts_created"] == 12
    assert stats["rejected_429"] == 0
    state = read_state(journal)
    assert state.in_doubt == {}
    assert state.pending_keys() == []
    assert len(state.done) == 12
