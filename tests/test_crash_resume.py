"""Crash and resume: whatever the kill point, every Post ends up on the server exactly once.

In-process with the FakeBackend for the property (fast); a few subprocess runs killed with
SIGKILL against the sandbox for the real thing (see test_cli_run.py for the CLI side).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.executor import execute
from calendar_sched.journal import Journal, read_state
from calendar_sched.models import Post
from calendar_sched.planner import plan
from tests.fakes_backend import CHANNELS, Crash, FakeBackend, make_posts, media_ref

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


@settings(max_examples=60, deadline=None)
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
