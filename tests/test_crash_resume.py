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
from tests.helpers.backend import CHANNELS, Crash, FakeBackend, make_posts, media_ref
from tests.helpers.calendars import write_calendar
from tests.helpers.sandbox import listing

NOW = datetime(2030, 2, 1, tzinfo=UTC)
#: Runs without a kill it takes at most to finish after the last kill.
RESUMES = 5
#: Seconds a spawned run may take to reach its kill point, or to finish.
DEADLINE = 60.0
#: Posts in the calendar the subprocess runs: 10 rows on 2 channels, one request per row.
POSTS = 20


def attempt(posts: list[Post], backend: FakeBackend, path: Path) -> bool:
    """One process lifetime: open, plan, execute; False when it 'died' (or paused)."""
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


def killed_attempt(posts: list[Post], backend: FakeBackend, path: Path, crash_after: int) -> bool:
    """``attempt`` with a kill due at counted call ``crash_after + 1`` of the server's life.

    Returns True when the run finished first, which it may only do without reaching the kill
    point; a run that reached it must have died there, mid-call, with the call in doubt.
    """
    backend.crash_after = crash_after
    complete = attempt(posts, backend, path)
    if complete:
        assert backend.calls <= crash_after, "the run reached the kill point and went on"
        return True
    assert backend.calls == crash_after + 1, (
        f"the run stopped at call {backend.calls}, not at the kill point {crash_after + 1}"
    )
    assert read_state(path).in_doubt, "the journal does not show the killed call in flight"
    return False


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
        backend.crash_commits = commits
        if killed_attempt(posts, backend, path, backend.calls + crash_after):
            break
        if torn:  # it died mid-write of the next line: a torn tail
            with path.open("ab") as tail:
                tail.write(b'{"event":"succeeded","call":"0123456789ab","posts":[{"key"'[:torn])
    backend.crash_after = None
    for _ in range(RESUMES):
        if attempt(posts, backend, path):
            break
    else:
        pytest.fail(f"the run was still not complete after {RESUMES} resumes without a kill")
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


def _kill_mid_run(process: subprocess.Popen[bytes], journal: Path, kill_at: int) -> None:
    """SIGKILL ``process`` once the journal has ``kill_at`` lines, and prove it died mid-run.

    Fails if the run exits by itself first (nothing would have been killed), if it does not get
    there within ``DEADLINE``, or if the journal shows all its work done at the kill.
    """
    deadline = time.monotonic() + DEADLINE
    while _lines(journal) < kill_at:
        if process.poll() is not None:
            pytest.fail(
                f"the run exited by itself (code {process.returncode}) at journal line "
                f"{_lines(journal)}, before the kill point at line {kill_at}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"the run did not reach journal line {kill_at} within {DEADLINE:.0f} s")
        time.sleep(0.005)
    assert process.poll() is None, f"the run exited by itself (code {process.returncode})"
    process.send_signal(signal.SIGKILL)
    code = process.wait(DEADLINE)
    assert code == -signal.SIGKILL, f"the run ended with code {code}, not by the SIGKILL"
    state = read_state(journal)
    assert len(state.done) < POSTS, "the journal shows every post done: the kill came too late"


def _run_to_end(calendar: Path, sandbox: RunningSandbox) -> int:
    """Spawn a resume and wait for its exit code (at most ``DEADLINE``)."""
    process = _spawn(calendar, sandbox)
    try:
        return process.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the resumed run did not finish within {DEADLINE:.0f} s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_points_then_resume(
    seed: int, tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    rng = random.Random(seed)
    sandbox = sandbox_server_factory()
    sandbox.set_faults(drop_after_commit=0.15, latency_ms=50, seed=seed)
    calendar = write_calendar(tmp_path / "cal.csv", POSTS // 2)
    journal = journal_path_for(calendar)
    # A run journals a header, its plan, then 3 lines a request (started, rate, succeeded): 32
    # lines or more for 10 requests. Each kill comes within two requests of the run's start, so
    # 4 or more requests (200 ms of latency or more) are left when the second one is due.
    for _ in range(2):
        kill_at = _lines(journal) + rng.randint(2, 6)
        process = _spawn(calendar, sandbox)
        try:
            _kill_mid_run(process, journal, kill_at)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    codes = []
    for _ in range(3):
        codes.append(_run_to_end(calendar, sandbox))
        if codes[-1] == 0:
            break
    assert codes[-1] == 0, f"no resume finished cleanly: exit codes {codes}"
    ids = [post["id"] for post in listing(sandbox)]
    assert len(ids) == len(set(ids)) == POSTS
    stats = sandbox.stats()
    assert stats["posts_created"] == POSTS
    assert stats["rejected_429"] == 0
    state = read_state(journal)
    assert state.in_doubt == {}
    assert state.pending_keys() == []
    assert len(state.done) == POSTS
