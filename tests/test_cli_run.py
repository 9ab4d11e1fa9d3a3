"""``run`` and ``status`` end to end against the sandbox over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.cli import main
from calendar_sched.errors import AuthError
from calendar_sched.plan.planner import plan
from calendar_sched.run.executor import Event, execute
from calendar_sched.run.journal import Journal, journal_path_for, read_state
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.base import CostModel
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postiz.client import PostizClient
from tests.helpers.calendars import START, write_calendar
from tests.helpers.clock import FakeClock
from tests.helpers.sandbox import listing


def env_for(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}


def test_pacing_10_requests_in_3_windows_without_a_429(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    sandbox = sandbox_server_factory(limit=4, window=6.0)
    calendar = write_calendar(tmp_path / "cal.csv", 10, channels="x")
    args = ["run", str(calendar), "--yes", "--limit", "4", "--window", "6"]
    result = CliRunner().invoke(main, args, env=env_for(sandbox))
    assert result.exit_code == 0, result.output
    assert "10 posts in 10 requests" in result.output
    assert "3 windows" in result.output
    assert result.output.count("waiting: quota for this window used") == 2
    stats = sandbox.stats()
    assert stats["rejected_429"] == 0
    assert stats["counted_requests"] == 10
    assert len(listing(sandbox)) == 10

    status = CliRunner().invoke(main, ["status", str(calendar), "--json"])
    data = json.loads(status.output)
    assert {k: data[k] for k in ("done", "pending", "failed", "in_doubt", "requests_sent")} == {
        "done": 10,
        "pending": 0,
        "failed": 0,
        "in_doubt": 0,
        "requests_sent": 10,
    }
    assert len(data["posts"]) == 10


def test_rerun_is_free_and_dry_run_sends_nothing(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 3, per_slot=3)
    env = env_for(sandbox_server)
    dry = CliRunner().invoke(main, ["run", str(calendar), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was sent." in dry.output
    assert sandbox_server.stats()["counted_requests"] == 0
    first = CliRunner().invoke(main, ["run", str(calendar), "--yes"], env=env)
    assert first.exit_code == 0, first.output
    assert "6/6 posts scheduled, 1 counted request sent" in first.output
    again = CliRunner().invoke(main, ["run", str(calendar), "--yes"], env=env)
    assert again.exit_code == 0
    assert "6 posts unchanged since the last run: skipped" in again.output
    assert sandbox_server.stats()["counted_requests"] == 1


def test_real_target_asks_for_confirmation(tmp_path: Path, sandbox_server: RunningSandbox) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    result = CliRunner().invoke(
        main, ["run", str(calendar)], env=env_for(sandbox_server), input="n\n"
    )
    assert result.exit_code == 1
    assert "Send 2 posts to" in result.output
    assert sandbox_server.stats()["counted_requests"] == 0


def test_revoked_key_exits_4_with_the_fix(tmp_path: Path, sandbox_server: RunningSandbox) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    sandbox_server.revoke()
    result = CliRunner().invoke(main, ["run", str(calendar), "--yes"], env=env_for(sandbox_server))
    assert result.exit_code == 4
    assert "POSTIZ_API_KEY" in result.output


def test_status_without_a_journal(tmp_path: Path) -> None:
    calendar = tmp_path / "fresh.csv"
    calendar.write_text("id,date,time,timezone,channels,text\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["status", str(calendar)])
    assert result.exit_code == 0
    assert "nothing has run for this calendar yet" in result.output


def test_locked_journal_exits_75_naming_the_holder(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    client = PostizClient(sandbox_server.url, sandbox_server.api_key)
    fingerprint = PostizBackend(client).fingerprint
    with Journal(journal_path_for(calendar), fingerprint=fingerprint):
        result = CliRunner().invoke(
            main, ["run", str(calendar), "--yes"], env=env_for(sandbox_server)
        )
    client.close()
    assert result.exit_code == 75
    assert "is in use by pid" in result.output


# In-process against the real server, with one fake clock for server, client and executor.


def _run_in_process(
    sandbox: RunningSandbox,
    clock: FakeClock,
    calendar: Path,
    *,
    on_event: Callable[[Event], None] | None = None,
) -> Any:
    with PostizClient(sandbox.url, sandbox.api_key, clock=clock) as client:
        backend = PostizBackend(client, costs=CostModel(limit=30, window_seconds=3600))
        checked = validate([calendar], ValidateOptions(channels=backend.discover(), now=START))
        with Journal(journal_path_for(calendar), fingerprint=backend.fingerprint) as journal:
            the_plan = plan(
                checked.posts,
                backend,
                done=journal.state.done_hashes(),
                uploaded=set(journal.state.uploaded),
                now=START - timedelta(days=1),
            )
            return execute(
                the_plan, backend, journal, clock=clock, sleep=clock.sleep, on_event=on_event
            )


def test_faults_never_duplicate_and_waste_nothing(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    clock = FakeClock()
    sandbox = sandbox_server_factory(clock=clock)
    sandbox.set_faults(fault_5xx=0.3, drop_after_commit=0.3, seed=7)
    calendar = write_calendar(tmp_path / "cal.csv", 12, per_slot=2)
    result = _run_in_process(sandbox, clock, calendar)
    for _ in range(5):  # a burst longer than the retries pauses the run: resume
        if not result.pending:
            break
        result = _run_in_process(sandbox, clock, calendar)
    assert not result.pending, f"{len(result.pending)} posts still pending after 5 resumes"
    stats = sandbox.stats()
    ids = [post["id"] for post in listing(sandbox)]
    assert len(ids) == len(set(ids)) == 24
    assert stats["posts_created"] == 24
    assert stats["rejected_429"] == 0
    assert stats["faults_5xx"] + stats["dropped_after_commit"] > 0
    # Every counted call beyond the 6 planned ones was forced by an injected fault.
    assert stats["counted_requests"] == 6 + stats["faults_5xx"] + stats["dropped_after_commit"]


def test_key_revoked_mid_run_stops_then_resumes(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    clock = FakeClock()
    sandbox = sandbox_server_factory(clock=clock)
    calendar = write_calendar(tmp_path / "cal.csv", 4)

    def revoke_after_first(event: Event) -> None:
        if event.kind == "sent":
            sandbox.revoke()

    with pytest.raises(AuthError):
        _run_in_process(sandbox, clock, calendar, on_event=revoke_after_first)
    state = read_state(journal_path_for(calendar))
    assert len(state.done) == 2
    assert state.in_doubt == {}
    sandbox.revoke(False)
    result = _run_in_process(sandbox, clock, calendar)
    assert result.complete
    assert len(listing(sandbox)) == 8
    assert sandbox.stats()["posts_created"] == 8


def test_duplicate_existing_warned_then_skipped(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    env = env_for(sandbox_server)
    first = write_calendar(tmp_path / "first.csv", 1, channels="x")
    assert CliRunner().invoke(main, ["run", str(first), "--yes"], env=env).exit_code == 0
    # The same text on the same channel 30 minutes later, from another calendar.
    later = (START + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    again = tmp_path / "again.csv"
    again.write_text(
        f"id,publish_at,channels,text\nrepeat,{later},x,Post number 0 of the test\n"
        f"fresh,{later},x,Something new\n",
        encoding="utf-8",
    )
    skipped = CliRunner().invoke(main, ["run", str(again), "--yes", "--skip-duplicates"], env=env)
    assert skipped.exit_code == 0, skipped.output
    (r0,) = [
        p for p in listing(sandbox_server) if p["content"] == "<p>Post number 0 of the test</p>"
    ]
    assert (
        "warning: duplicate-existing: again.csv row 2 on Acme on X: the same text is already "
        "scheduled on "
        f"Acme on X at 2030-03-02T09:00:00Z (post {r0['id']})"
    ) in skipped.output
    assert "1 post already on the account, skipped (--skip-duplicates)" in skipped.output
    assert "1/1 post scheduled, 1 counted request sent" in skipped.output
    assert len(listing(sandbox_server)) == 2
    # Without the flag the warning stays a warning: the post is sent.
    sent = CliRunner().invoke(main, ["run", str(again), "--yes"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "warning: duplicate-existing: again.csv row 2 on Acme on X:" in sent.output
    assert "1 post unchanged since the last run: skipped" in sent.output
    assert len(listing(sandbox_server)) == 3
    # Its own post is no duplicate of itself on the next run.
    quiet = CliRunner().invoke(main, ["run", str(again), "--yes"], env=env)
    assert "duplicate-existing" not in quiet.output
    assert sandbox_server.stats()["counted_requests"] == 3
