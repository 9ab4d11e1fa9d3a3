"""Two runs against one account share its quota through the ledger (#19 item 11).

PostSyncer counts every call per user, Postiz ``POST /posts`` per organisation: whoever sends
them. Each run's Budget takes its counted calls from one file-locked ledger per account, so
runs at once stay under the limit together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.base import RateState
from calendar_sched.targets.ledger import QuotaLedger, account_id, user_state_dir
from calendar_sched.targets.pacing import Budget
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import TOKEN

URL = "https://ps.test/api/v1"


def _budget(ledger: QuotaLedger, limit: int = 3) -> Budget:
    return Budget(limit=limit, window_seconds=60.0, shared=ledger)


def _send(budget: Budget, clock: FakeClock) -> float:
    """Wait as a run does, then spend; the time the call went out."""
    while (wait := budget.wait(clock.now)) > 0:
        clock.sleep(wait)
    budget.spent(clock.now)
    return clock.now


def test_two_budgets_on_one_ledger_share_the_limit(tmp_path: Path) -> None:
    """Runs A and B alternate: together 3 per window, the fourth call waits for the reset."""
    clock = FakeClock(1_000_000_000.0)
    a = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path))
    b = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path))
    sent = [_send(run, clock) for run in (a, b, a, b, a, b)]
    assert sent[:3] == [1_000_000_000.0] * 3
    assert sent[3] >= 1_000_000_060.0  # the 4th of the account, though B's 2nd
    assert sent[5] == sent[3]
    assert sum(1 for t in sent if t < 1_000_000_060.0) == 3


def test_other_accounts_have_their_own_ledgers(tmp_path: Path) -> None:
    """The ledger is per API URL and key: another key or URL does not share it."""
    clock = FakeClock(1_000_000_000.0)
    mine = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=1)
    other_key = _budget(QuotaLedger.for_account(URL, "other-token-xyz", tmp_path), limit=1)
    other_url = _budget(QuotaLedger.for_account(URL + "/", TOKEN, tmp_path), limit=1)
    assert _send(mine, clock) == 1_000_000_000.0
    assert _send(other_key, clock) == 1_000_000_000.0
    assert _send(other_url, clock) > 1_000_000_000.0  # a trailing slash is the same account
    assert account_id(URL, TOKEN) != account_id(URL, "other-token-xyz")


def test_the_key_is_never_written(tmp_path: Path) -> None:
    """Only a digest names the file; the file holds the URL and counts."""
    clock = FakeClock(1_000_000_000.0)
    ledger = QuotaLedger.for_account(URL, TOKEN, tmp_path)
    _send(_budget(ledger), clock)
    for path in (tmp_path / "quota").iterdir():
        assert TOKEN not in path.name
        assert TOKEN not in path.read_text("utf-8")
    data = json.loads(ledger.path.read_text("utf-8"))
    assert (data["api_url"], data["used"]) == (URL, 1)


def test_a_block_or_a_lower_remaining_reaches_the_other_run(tmp_path: Path) -> None:
    """A 429 seen by A blocks B; a server's lower remaining is what both pace to."""
    clock = FakeClock(1_000_000_000.0)
    a = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=10)
    b = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=10)
    _send(a, clock)
    a.adopt(RateState(limit=10, remaining=1, reset_at=1_000_000_060.0))
    assert _send(b, clock) == 1_000_000_000.0  # the last one
    assert b.wait(clock.now) > 0
    clock.now = 1_000_000_061.0
    a.block(1_000_000_200.0)
    assert b.wait(clock.now) >= 1_000_000_200.0 - clock.now


def test_a_damaged_ledger_starts_over(tmp_path: Path) -> None:
    clock = FakeClock(1_000_000_000.0)
    ledger = QuotaLedger.for_account(URL, TOKEN, tmp_path)
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_text("{not json", encoding="utf-8")
    assert _send(_budget(ledger), clock) == 1_000_000_000.0


def test_state_dir_follows_the_environment(tmp_path: Path) -> None:
    assert user_state_dir({"CALENDAR_SCHED_STATE_DIR": str(tmp_path)}) == tmp_path
    assert user_state_dir({"XDG_STATE_HOME": "/x"}) == Path("/x/calendar-sched")
    assert user_state_dir({}).parts[-3:] == (".local", "state", "calendar-sched")


_RUN = """
import sys
from pathlib import Path
from calendar_sched.targets.ledger import QuotaLedger
from calendar_sched.targets.postsyncer.client import PostSyncerClient
url, token, state, calls = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
ledger = QuotaLedger.for_account(url, token, state)
with PostSyncerClient(url, token, limit=4, window_seconds=1.5, ledger=ledger) as client:
    for _ in range(calls):
        client.request("GET", "/accounts")
print("done")
"""


@pytest.fixture
def real_sandbox(tmp_path: Path) -> Iterator[RunningPostSyncer]:
    """A PostSyncer sandbox on the real clock (processes cannot share a fake one): 4 per 1.5 s."""
    config = PostSyncerConfig(token=TOKEN, db_path=tmp_path / "real.db", limit=4, window=1.5)
    with RunningPostSyncer(config) as sandbox:
        yield sandbox


def test_two_processes_at_once_never_exceed_the_limit(
    real_sandbox: RunningPostSyncer, tmp_path: Path
) -> None:
    """Two real runs (processes) against one sandbox allowing 4 calls per 1.5 s: each alone
    would send 4 in the first window; sharing the ledger, none of their 12 calls is refused."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    state = str(tmp_path / "state")
    command = [sys.executable, "-c", _RUN, real_sandbox.api_url, TOKEN, state, "6"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) for _ in "ab"]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    stats = real_sandbox.stats()
    assert (stats["counted_requests"], stats["rejected_429"]) == (12, 0)


def test_an_answer_counts_the_calls_other_runs_took_before_it(tmp_path: Path) -> None:
    """A's first answer says 3 left of 4, but B took a call the server had not seen yet: 2 left,
    even though both runs started out assuming a limit of 30."""
    clock = FakeClock(1_000_000_000.0)
    a = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=30)
    b = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=30)
    _send(a, clock)
    _send(b, clock)
    a.adopt(RateState(limit=4, remaining=3, reset_at=1_000_000_060.0))
    assert [_send(run, clock) for run in (a, b)] == [1_000_000_000.0] * 2
    assert b.wait(clock.now) > 0  # four taken: the fifth waits for the reset


def test_a_late_answer_from_the_last_window_keeps_this_windows_count(tmp_path: Path) -> None:
    """An answer that comes back after the window it was counted in has reset says nothing of the
    new window: the calls taken since are still counted."""
    clock = FakeClock(1_000_000_000.0)
    a = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=2)
    b = _budget(QuotaLedger.for_account(URL, TOKEN, tmp_path), limit=2)
    _send(a, clock)
    a.adopt(RateState(limit=2, remaining=1, reset_at=1_000_000_060.0))
    clock.now = 1_000_000_061.0
    _send(b, clock)  # a new window
    a.adopt(RateState(limit=2, remaining=0, reset_at=1_000_000_060.0))  # late, of the old one
    assert _send(b, clock) == 1_000_000_061.0
    assert a.wait(clock.now) > 0  # B's two are this window's limit


def test_an_unwritable_state_dir_is_a_clear_error_only_when_a_call_is_counted(
    tmp_path: Path,
) -> None:
    """Opening the ledger writes nothing (plan, pull and channels never need it); the first
    counted call says which folder failed and how to choose another."""
    from calendar_sched.errors import ConfigError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be", encoding="utf-8")
    ledger = QuotaLedger.for_account(URL, TOKEN, blocker / "state")
    budget = _budget(ledger)
    with pytest.raises(ConfigError, match="CALENDAR_SCHED_STATE_DIR") as caught:
        budget.wait(1_000_000_000.0)
    assert str(blocker) in str(caught.value)
    assert TOKEN not in str(caught.value)
