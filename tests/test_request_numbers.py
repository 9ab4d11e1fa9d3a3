"""One numbering and true ETAs against an account with its own channels (#13 items 6 and 9).

A sandbox served over HTTP with a bakery's channel list (not the demo one) and a short window:
``plan``, the run's log, ``status`` and ``export --per-post`` number requests the same way, from
1, uploads apart; retries don't inflate the totals; ETAs use the target's real window.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched import RunOptions, run_calendar
from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.run.events import Event
from calendar_sched.run.options import EMBEDDED_WINDOW
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="bakery-bsky", name="Bakery Bluesky", identifier="bluesky"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)
WINDOW = 3.0


def _calendar(path: Path, rows: int) -> Path:
    """``rows`` entries an hour apart on both bakery channels, the first with a thread."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    lines = ["id,date,time,timezone,channels,text,thread"]
    for n in range(rows):
        at = start + timedelta(hours=n)
        thread = "Order by noon" if n == 0 else ""
        lines.append(
            f'bread{n},{at:%Y-%m-%d},{at:%H:%M},UTC,"Bakery Bluesky, Bakery Mastodon",'
            f"Fresh bread number {n},{thread}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}


@pytest.fixture
def bakery(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS, limit=2, window=WINDOW)


def test_plan_log_export_and_stats_number_requests_alike(
    tmp_path: Path, bakery: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    calendar = _calendar(tmp_path / "bakery.csv", 4)
    env, runner = _env(bakery), CliRunner()
    window = ["--limit", "2", "--window", str(WINDOW)]
    planned = runner.invoke(main, ["plan", str(calendar), *window, "--json"], env=env)
    assert planned.exit_code == 0, planned.output
    data = json.loads(planned.output)
    by_post = {(p["entry"], p["channel"]): p["request"] for p in data["posts"]}
    assert sorted(set(by_post.values())) == [1, 2, 3, 4]
    assert [r["number"] for r in data["requests_detail"]] == [1, 2, 3, 4]

    bakery.set_faults(fault_5xx=0.5, seed=3)  # some calls fail once and are retried
    ran = runner.invoke(main, ["run", str(calendar), "--yes", *window], env=env)
    assert ran.exit_code == 0, ran.output
    logged = [int(n) for n in re.findall(r"in request (\d+) \[", ran.output)]
    assert logged == [1, 2, 3, 4]
    stats = bakery.stats()
    retries = stats["counted_requests"] - 4
    assert retries == stats["faults_5xx"] > 0  # the seed does fail some calls
    # The counters count the plan's requests; the retries are named apart, never "6/4".
    assert f"[8/8 posts, 4/4 requests +{retries} retried]" in ran.output
    assert f"{4 + retries} counted requests sent ({retries} of them retries" in ran.output
    # Posts and thread comments are counted apart by the sandbox.
    assert (stats["posts_created"], stats["comments_created"]) == (8, 2)

    exported = runner.invoke(
        main, ["export", str(calendar), "--per-post", "--to", "posts.csv"], env=env
    )
    assert exported.exit_code == 0, exported.output
    with open(tmp_path / "posts.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["entry"], r["channel"]): int(r["request"]) for r in rows} == by_post
    status = json.loads(runner.invoke(main, ["status", str(calendar), "--json"], env=env).output)
    assert (status["requests_sent"], status["extra_requests"]) == (4 + retries, retries)
    assert status["last_request"] == 4


def test_a_resumed_run_numbers_on_from_where_it_stopped_and_status_knows_the_window(
    tmp_path: Path, bakery: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "bakery.csv", 5)
    env = _env(bakery)
    options = RunOptions(limit=2, window_seconds=WINDOW)

    def stop_at_first_wait(event: Event) -> None:
        if event.kind == "waiting":
            waiting.append(event)

    waiting: list[Event] = []
    outcome = run_calendar(
        [calendar], options, env=env, on_event=stop_at_first_wait, stop=lambda: bool(waiting)
    )
    assert outcome.status == "pending"
    assert outcome.result is not None
    assert outcome.result.requests_sent == 2  # the first window's two

    runner = CliRunner()
    human = runner.invoke(main, ["status", str(calendar)], env=env)
    assert human.exit_code == 0, human.output
    match = re.search(r"Next quota window: \S+ \(in (\d+)s\)", human.output)
    assert match is not None, human.output
    assert int(match.group(1)) <= WINDOW  # the 3 s window, not an hour
    data = json.loads(runner.invoke(main, ["status", str(calendar), "--json"]).output)
    # Requests 3, 4 at the next reset (≤ 3 s), 5 one window later.
    assert data["eta_seconds"] is not None
    assert 2 * WINDOW - 1 < data["eta_seconds"] <= 2 * WINDOW + 1
    assert data["last_request"] == 2

    window = ["--limit", "2", "--window", str(WINDOW)]
    plan = json.loads(
        runner.invoke(main, ["plan", str(calendar), *window, "--json"], env=env).output
    )
    assert [r["number"] for r in plan["requests_detail"]] == [3, 4, 5]
    time.sleep(max(0.0, data["eta_seconds"] - 2 * WINDOW))  # let the window reset: no 429
    ran = runner.invoke(main, ["run", str(calendar), "--yes", *window], env=env)
    assert ran.exit_code == 0, ran.output
    assert [int(n) for n in re.findall(r"in request (\d+) \[", ran.output)] == [3, 4, 5]
    assert bakery.stats()["rejected_429"] == 0


def test_plan_without_an_account_paces_to_the_built_in_sandbox_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "channels.json").write_text(
        json.dumps([{"id": c.id, "name": c.name, "identifier": c.identifier} for c in CHANNELS]),
        encoding="utf-8",
    )
    calendar = _calendar(tmp_path / "bakery.csv", 5)
    args = ["plan", str(calendar), "--limit", "2", "--channels-file", "channels.json"]
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    assert data["window_seconds"] == EMBEDDED_WINDOW
    assert data["eta_seconds"] == 2 * EMBEDDED_WINDOW + 0.5  # 2 now, 2 at +10 s, 1 at +20 s
    human = CliRunner().invoke(main, args)
    assert human.exit_code == 0, human.output
    assert human.output.rstrip().endswith("3 windows · ETA 21s")
    assert "+20s" in human.output
    assert "per 10s window (the built-in sandbox's" in human.output
    hours = CliRunner().invoke(main, [*args, "--window", "3600", "--json"])
    assert json.loads(hours.output)["eta_seconds"] == 2 * 3600 + 0.5
