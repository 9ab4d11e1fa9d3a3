"""The December sample against the PostSyncer sandbox: every call planned, edits update in place."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.plan.planner import Plan, plan
from calendar_sched.run.executor import RunResult, execute
from calendar_sched.run.journal import Journal
from calendar_sched.sandbox.postsyncer.config import Account
from calendar_sched.sandbox.postsyncer.server import RunningPostSyncer
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_costs
from tests.helpers.clock import FakeClock
from tests.helpers.postsyncer import make_client

SAMPLES = Path(__file__).parents[2] / "samples"
EDITED = "dec01-shipping-dates"  # one text for all five accounts: one PostSyncer post


@pytest.fixture
def fake_clock() -> FakeClock:
    """Before the sample month, so nothing in it is in the past."""
    return FakeClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def calendar(tmp_path: Path) -> Path:
    """A copy of samples/december.csv with its media, free to edit."""
    shutil.copytree(SAMPLES / "media", tmp_path / "media")
    return Path(shutil.copy(SAMPLES / "december.csv", tmp_path / "december.csv"))


def _run(
    sandbox: RunningPostSyncer, clock: FakeClock, calendar: Path
) -> tuple[Plan, RunResult, int]:
    """One run as ``run --target postsyncer`` does it, and the calls the server counted."""
    before = sandbox.stats()["counted_requests"]
    now = datetime.fromtimestamp(clock.now, UTC)
    with make_client(sandbox, clock) as client:
        backend = PostSyncerBackend(client, costs=postsyncer_costs())
        options = ValidateOptions(channels=backend.discover(), now=now, target="postsyncer")
        checked = validate([calendar], options)
        assert checked.report.valid, checked.report.errors[:3]
        with Journal(
            calendar.with_name("december.journal.jsonl"), fingerprint=backend.fingerprint
        ) as journal:
            state = journal.state
            the_plan = plan(
                checked.posts,
                backend,
                done=state.done_hashes(),
                uploaded=set(state.uploaded),
                now=now,
            )
            result = execute(the_plan, backend, journal, clock=clock, sleep=clock.sleep)
    return the_plan, result, sandbox.stats()["counted_requests"] - before


def _posts(sandbox: RunningPostSyncer) -> list[dict[str, object]]:
    return sandbox.app.state.sandbox.store.posts(0, 10_000)[0]


def _edit_text(calendar: Path, key: str, text: str) -> None:
    with calendar.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for row in rows:
        if row["id"] == key:
            row["text"] = text
    with calendar.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def test_month_counts_every_call_as_planned_and_an_edit_updates_in_place(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, calendar: Path
) -> None:
    sandbox = postsyncer_factory()
    first, result, counted = _run(sandbox, fake_clock, calendar)
    assert result.complete
    assert not result.failed, result.failed
    assert first.label_calls > 1  # one listing plus one create per tag of the month
    assert counted == first.requests_counted  # discovery, labels, imports, uploads, posts
    assert sandbox.stats()["rejected_429"] == 0
    posts = len(_posts(sandbox))
    assert posts == sum(1 for r in first.requests if r.kind == "post")

    # Unchanged: nothing but discovery
    again, result, counted = _run(sandbox, fake_clock, calendar)
    assert (again.requests_counted, counted, len(again.posts)) == (2, 2, 0)

    # One row edited: its one post is updated with PUT, not created again
    _edit_text(calendar, EDITED, "Holiday shipping: order by 16 December (new dates).")
    edited, result, counted = _run(sandbox, fake_clock, calendar)
    assert result.complete
    assert not result.failed
    assert {p.entry_key for p in edited.posts} == {EDITED}
    assert counted == edited.requests_counted == 3  # discovery + one PUT; labels known
    assert len(_posts(sandbox)) == posts
    assert sandbox.stats()["posts_updated"] == 1
    changed = [p for p in _posts(sandbox) if "16 December" in str(p["content"])]
    assert len(changed) == 1
    assert len(changed[0]["accounts"]) == 5  # type: ignore[arg-type]


def test_an_account_the_server_refuses_fails_alone_with_its_message(
    postsyncer_factory: Callable[..., RunningPostSyncer], fake_clock: FakeClock, calendar: Path
) -> None:
    from calendar_sched.sandbox.postsyncer.config import demo_accounts

    accounts = tuple(
        Account(a.id, a.platform, a.username, a.workspace_id, a.name, failure="Token expired")
        if a.platform == "telegram"
        else a
        for a in demo_accounts()
    )
    sandbox = postsyncer_factory(accounts=accounts)
    the_plan, result, counted = _run(sandbox, fake_clock, calendar)
    telegram = {p.key for p in the_plan.posts if p.channel.identifier == "telegram"}
    assert telegram
    assert set(result.failed) == telegram
    assert all("Token expired" in message for message in result.failed.values())
    assert len(result.done) == len(the_plan.posts) - len(telegram)
    assert counted == the_plan.requests_counted
