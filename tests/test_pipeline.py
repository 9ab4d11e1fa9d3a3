"""``preview_calendar`` and ``run_calendar`` driven directly, without click, against sandboxes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from calendar_sched import Preview, RunOptions, preview_calendar, run_calendar
from calendar_sched.check.validation import ValidateOptions
from calendar_sched.errors import ReserveTooLarge
from calendar_sched.run.events import Event
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postiz.client import PostizClient
from tests.helpers.calendars import START, write_calendar
from tests.helpers.clock import FakeClock


def env_for(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}


def counted(sandbox: RunningSandbox) -> int:
    return sandbox.stats()["counted_requests"]


def test_the_library_names_are_the_pipeline_functions() -> None:
    # The subpackage ``calendar_sched.run`` loads first here, yet shadows no public name.
    code = (
        "import calendar_sched.run.pipeline\n"
        "import calendar_sched\n"
        "from calendar_sched import preview_calendar, run_calendar\n"
        "assert calendar_sched.run_calendar is run_calendar, run_calendar\n"
        "assert run_calendar.__module__ == 'calendar_sched.run.pipeline'\n"
        "assert preview_calendar.__name__ == 'preview_calendar'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_second_run_sends_nothing(tmp_path: Path, sandbox_server: RunningSandbox) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 3, per_slot=3)
    env = env_for(sandbox_server)
    first = run_calendar([calendar], env=env)
    assert first.status == "done"
    assert first.result is not None
    assert (len(first.result.done), first.result.requests_sent) == (6, 1)
    assert first.preview.where == f"{sandbox_server.url}/public/v1"
    assert not first.preview.embedded
    assert counted(sandbox_server) == 1

    again = run_calendar([calendar], env=env)
    assert again.status == "done"
    assert again.result is not None
    assert again.result.requests_sent == 0
    assert again.preview.plan is not None
    assert (again.preview.plan.posts, len(again.preview.plan.skipped)) == ([], 6)
    assert counted(sandbox_server) == 1


def test_confirm_sees_the_preview_and_declining_sends_nothing(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    shown: list[Preview] = []

    def decline(preview: Preview) -> bool:
        shown.append(preview)
        return False

    outcome = run_calendar([calendar], env=env_for(sandbox_server), confirm=decline)
    assert (outcome.status, outcome.result, outcome.declined) == ("declined", None, True)
    (preview,) = shown
    assert preview.plan is not None
    assert [p.key for p in preview.plan.posts] == ["r0@demo-x", "r0@demo-mastodon"]
    assert preview.existing is not None  # the account was listed (free) before asking
    assert counted(sandbox_server) == 0


def test_dry_run_plans_and_sends_nothing(tmp_path: Path, sandbox_server: RunningSandbox) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 2)
    outcome = run_calendar(
        [calendar], RunOptions(dry_run=True), env=env_for(sandbox_server), confirm=pytest.fail
    )
    assert (outcome.status, outcome.result) == ("dry-run", None)
    assert outcome.preview.plan is not None
    assert len(outcome.preview.plan.posts) == 4
    assert counted(sandbox_server) == 0


def test_on_event_hears_the_target_then_the_executor(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 2)
    events: list[Event] = []
    outcome = run_calendar([calendar], env=env_for(sandbox_server), on_event=events.append)
    assert outcome.status == "done"
    kinds = [event.kind for event in events]
    assert kinds[0] == "target"
    assert events[0].message == f"{sandbox_server.url}/public/v1"
    assert kinds.count("sent") == 2
    assert kinds[-1] == "finished"
    assert (events[-1].done, events[-1].total) == (4, 4)


def test_a_used_up_window_leaves_the_rest_pending(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    sandbox = sandbox_server_factory(limit=2, window=3600.0)
    calendar = write_calendar(tmp_path / "cal.csv", 3, channels="x")
    options = RunOptions(limit=2, window_seconds=3600.0)
    events: list[Event] = []

    def stop() -> bool:  # as a user stops a run that would wait an hour
        return any(event.kind == "waiting" for event in events)

    outcome = run_calendar(
        [calendar], options, env=env_for(sandbox), on_event=events.append, stop=stop
    )
    assert outcome.status == "pending"
    assert outcome.result is not None
    assert outcome.result.pending == ["r2@demo-x"]
    assert outcome.result.stop_reason == "stopped on request"
    stats = sandbox.stats()
    assert (stats["counted_requests"], stats["rejected_429"]) == (2, 0)
    # The journal remembers the limit the server sent: a re-run paces to it without --limit.
    again = preview_calendar([calendar], RunOptions(check_existing=False), env={})
    assert again.plan is not None
    assert (again.plan.limit, [p.key for p in again.plan.posts]) == (2, ["r2@demo-x"])


def test_republish_reaches_the_request_without_changing_a_backend(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    clock = FakeClock(START.timestamp() - 86_400)
    sandbox = sandbox_server_factory(clock=clock)
    env = env_for(sandbox)
    calendar = write_calendar(tmp_path / "cal.csv", 1, channels="x")
    assert run_calendar([calendar], env=env).status == "done"
    clock.now = (START + timedelta(hours=1)).timestamp()  # it is out: PUBLISHED
    calendar.write_text(calendar.read_text().replace("Post number 0", "Edited post 0"))

    held = run_calendar([calendar], env=env)
    assert held.status == "done"
    assert held.preview.existing is not None
    assert held.preview.existing.held == ["r0@demo-x"]
    assert counted(sandbox) == 1

    republished = run_calendar([calendar], RunOptions(republish=True), env=env)
    assert republished.status == "done"
    assert republished.preview.existing is not None
    assert republished.preview.existing.republish == ["r0@demo-x"]
    assert counted(sandbox) == 2
    listing = httpx.get(
        f"{sandbox.url}/public/v1/posts",
        params={"startDate": "2030-01-01T00:00:00Z", "endDate": "2031-01-01T00:00:00Z"},
        headers={"Authorization": sandbox.api_key},
        timeout=10,
    ).json()["posts"]
    assert [post["content"] for post in listing] == ["<p>Edited post 0 of the test</p>"]


def test_with_republish_is_a_new_backend_on_the_same_client() -> None:
    with PostizClient("http://127.0.0.1:9", "key") as client:
        backend = PostizBackend(client, fingerprint="fp")
        derived = backend.with_republish(["a@x"])
        assert (backend.republish, derived.republish) == (frozenset(), frozenset({"a@x"}))
        assert derived.client is client
        assert (derived.costs, derived.fingerprint) == (backend.costs, "fp")
        with pytest.raises(AttributeError):
            backend.republish = frozenset({"a@x"})  # type: ignore[misc]


# preview


def test_preview_offline_plans_with_postsyncer_figures(tmp_path: Path) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 4, per_slot=2)
    assert preview_calendar([calendar], env={}).postsyncer is None  # only when asked
    preview = preview_calendar([calendar], RunOptions(compare_postsyncer=True), env={})
    assert preview.valid
    assert preview.plan is not None
    assert (preview.plan.requests_counted, len(preview.plan.posts)) == (2, 8)
    assert preview.postsyncer is not None
    assert preview.postsyncer.requests > preview.plan.requests_counted  # every call counts
    assert (preview.existing, preview.where) == (None, None)
    assert not (tmp_path / "cal.csv.journal.jsonl").exists()  # a preview writes nothing


def test_preview_checks_a_configured_account(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    env = env_for(sandbox_server)
    calendar = write_calendar(tmp_path / "cal.csv", 2)
    assert run_calendar([calendar], env=env).status == "done"
    preview = preview_calendar([calendar], env=env)
    assert preview.existing is not None
    assert preview.existing.listed == 4
    assert preview.plan is not None
    assert (preview.plan.posts, len(preview.plan.skipped)) == ([], 4)
    assert counted(sandbox_server) == 2  # the preview's listing is free


def test_preview_of_an_invalid_calendar_has_its_report_and_no_plan(tmp_path: Path) -> None:
    calendar = tmp_path / "bad.csv"
    calendar.write_text("id,publish_at,channels,text\nb1,not a date,x,Hi\n", encoding="utf-8")
    preview = preview_calendar([calendar], env={})
    assert (preview.valid, preview.plan) == (False, None)
    assert [e.code for e in preview.validation.report.errors] == ["bad-datetime"]


def test_the_reserve_must_leave_room_in_the_limit(tmp_path: Path) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    with pytest.raises(ReserveTooLarge) as raised:
        preview_calendar([calendar], RunOptions(limit=3, reserve=3), env={})
    assert (raised.value.limit, raised.value.given) == (3, True)
    with pytest.raises(ReserveTooLarge) as default:
        run_calendar([calendar], RunOptions(reserve=30, state_dir=tmp_path / "state"), env={})
    assert (default.value.limit, default.value.given) == (30, False)


def test_a_run_rehearses_on_the_embedded_sandbox(tmp_path: Path) -> None:
    calendar = write_calendar(tmp_path / "cal.csv", 1)
    options = RunOptions(
        state_dir=tmp_path / "state",
        read=ValidateOptions(),
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    outcome = run_calendar([calendar], options, env={}, confirm=lambda preview: True)
    assert outcome.status == "done"
    assert outcome.preview.embedded
    assert outcome.preview.where is not None
    assert "built-in sandbox" in outcome.preview.where
    assert outcome.preview.plan is not None
    assert outcome.preview.plan.window_seconds == 10.0  # a rehearsal paces in seconds
    assert (tmp_path / "state" / "sandbox.db").exists()
    again = run_calendar([calendar], replace(options, dry_run=True), env={})
    assert again.preview.plan is not None
    assert len(again.preview.plan.skipped) == 2
