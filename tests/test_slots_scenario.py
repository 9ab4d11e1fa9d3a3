"""The posting queue end to end: the CLI against a sandbox served over HTTP with our channels.

A bakery's three channels; another tool already holds Bluesky's 09:00 slot on the first day.
Rows with a date but no time are placed around it in the fewest requests (worked out by hand
below), run, re-run (nothing sent), exported with their times, and a row added later moves none.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched import RunOptions, run_calendar
from calendar_sched.check.validation import ValidateOptions
from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.run.events import Event
from calendar_sched.run.journal import read_state
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.connect import connect

CHANNELS = (
    Channel(id="bakery-bsky", name="Bakery Bluesky", identifier="bluesky"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
    Channel(id="cafe-bsky", name="Cafe Bluesky", identifier="bluesky"),
)
SLOTS = ["--slots", "daily 09:00,12:00,17:00", "--timezone", "UTC"]
B, M, C = "Bakery Bluesky", "Bakery Mastodon", "Cafe Bluesky"


@pytest.fixture
def bakery(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS, limit=50, window=2.0)


def _day(offset: int) -> date:
    return (datetime.now(UTC) + timedelta(days=offset)).date()


def _write(path: Path, rows: list[tuple[str, date, str, str]]) -> Path:
    lines = ["id,date,time,channels,text"]
    lines += [
        f'{key},{day.isoformat()},{clock},"{chans}",{key} text' for key, day, clock, chans in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _at(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def test_date_only_rows_go_out_in_the_fewest_requests_and_stay_put(
    tmp_path: Path, bakery: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"POSTIZ_API_URL": bakery.url, "POSTIZ_API_KEY": bakery.api_key}
    runner = CliRunner()
    first, second = _day(5), _day(6)

    # Another calendar already holds Bakery Bluesky at 09:00 on the first day
    other = _write(tmp_path / "other.csv", [("promo", first, "09:00", B)])
    ran = runner.invoke(main, ["run", str(other), "--yes", "--timezone", "UTC"], env=env)
    assert ran.exit_code == 0, ran.output
    before = bakery.stats()["counted_requests"]

    rows = [
        ("e1", first, "", B),
        ("e2", first, "", M),
        ("e3", first, "", f"{B}, {M}"),
        ("e4", first, "", C),
        ("e5", second, "", f"{B}, {M}"),
        ("e6", second, "", f"{C}, {M}"),
    ]
    calendar = _write(tmp_path / "month.csv", rows)

    # Without slots: the rows are errors that say how to fix them
    refused = runner.invoke(main, ["plan", str(calendar), "--timezone", "UTC"], env=env)
    assert refused.exit_code == 1
    assert "--slots" in refused.output

    # By hand: day one, Bakery Bluesky has e1 and e3 and only 12:00 and 17:00 left; Bakery
    # Mastodon has e2 and e3. Two instants at least, and {12:00, 17:00} do it. Day two: e5 and
    # e6 share Mastodon, so two instants. Four requests. Find-slot per post: nine posts, nine
    # instants (a slot is free only when no post of the account is there).
    planned = runner.invoke(main, ["plan", str(calendar), *SLOTS, "--json"], env=env)
    assert planned.exit_code == 0, planned.output
    queue = json.loads(planned.output)["queue"]
    assert queue["requests"] == 4 == queue["lower_bound"]
    assert queue["next_free_slot_requests"] == 9
    assert queue["saved"] == 5
    assert queue["account_listed"] is True
    times = queue["times"]
    assert {times[k] for k in ("e1", "e2", "e3", "e4")} == {_at(first, 12), _at(first, 17)}
    assert times["e1"] != times["e3"]
    assert times["e2"] != times["e3"]
    assert times["e5"] != times["e6"]
    text = runner.invoke(main, ["plan", str(calendar), *SLOTS], env=env)
    assert "6 rows without a time (9 posts) placed in 4 requests (lower bound 4)" in text.output
    assert "needs 9: 5 requests saved" in text.output

    ran = runner.invoke(main, ["run", str(calendar), "--yes", *SLOTS], env=env)
    assert ran.exit_code == 0, ran.output
    assert "6 rows without a time (9 posts) placed in 4 requests" in ran.output
    assert bakery.stats()["counted_requests"] - before == 4

    # A re-run keeps every time and sends nothing
    again = runner.invoke(main, ["run", str(calendar), "--yes", *SLOTS], env=env)
    assert again.exit_code == 0, again.output
    assert bakery.stats()["counted_requests"] - before == 4

    # export writes the chosen times back
    out = tmp_path / "results.csv"
    exported = runner.invoke(main, ["export", str(calendar), *SLOTS, "--to", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = {row["id"]: row for row in csv.DictReader(handle)}
    assert {key: written[key]["publish_at_utc"] for key in times} == times
    assert {row["status"] for row in written.values()} == {"scheduled"}
    page = tmp_path / "results.html"
    shown = runner.invoke(main, ["export", str(calendar), *SLOTS, "--to", str(page)], env=env)
    assert shown.exit_code == 0, shown.output
    html = page.read_text(encoding="utf-8")
    assert all(
        f'"at":"{moment}"' in html or f'"at": "{moment}"' in html for moment in times.values()
    )

    # A row added later goes where it can; no placed post moves
    _write(calendar, [*rows, ("e7", first, "", C)])
    grown = runner.invoke(main, ["plan", str(calendar), *SLOTS, "--json"], env=env)
    assert grown.exit_code == 0, grown.output
    moved = json.loads(grown.output)["queue"]
    assert {k: moved["times"][k] for k in times} == times
    assert moved["kept"] == 6
    assert moved["times"]["e7"] in {_at(first, 12), _at(first, 17)} - {times["e4"]}
    ran = runner.invoke(main, ["run", str(calendar), "--yes", *SLOTS], env=env)
    assert ran.exit_code == 0, ran.output
    assert bakery.stats()["counted_requests"] - before == 5


def test_a_stopped_run_resumes_at_the_times_it_chose(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    server = sandbox_server_factory(channels=CHANNELS, limit=2, window=2.0)
    env = {"POSTIZ_API_URL": server.url, "POSTIZ_API_KEY": server.api_key}
    first = _day(5)
    # Five rows on one channel: five instants, two requests per window
    calendar = _write(tmp_path / "m.csv", [(f"q{n}", first, "", B) for n in range(5)])
    read = ValidateOptions(timezone="UTC", slots="daily 08:00,09:00,10:00,11:00,12:00")
    options = RunOptions(read=read, limit=2, window_seconds=2.0)
    waiting: list[Event] = []

    def stop_at_first_wait(event: Event) -> None:
        if event.kind == "waiting":
            waiting.append(event)

    stopped = run_calendar(
        [calendar], options, env=env, on_event=stop_at_first_wait, stop=lambda: bool(waiting)
    )
    assert stopped.status == "pending"
    assert stopped.preview.queue is not None
    chosen = stopped.preview.queue.times
    assert sorted(chosen.values()) == [
        datetime.fromisoformat(_at(first, hour)) for hour in range(8, 13)
    ]
    planned = read_state(RunOptions().journal_path([calendar])).planned
    assert {key.split("@")[0]: p.publish_at for key, p in planned.items()} == chosen

    resumed = run_calendar([calendar], options, env=env)
    assert resumed.status == "done"
    assert resumed.preview.queue is not None
    assert resumed.preview.queue.times == chosen
    assert resumed.preview.queue.kept == 5
    assert server.stats()["counted_requests"] == 5
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    with connect("postiz", env=env) as opened:
        listed = opened.backend.list_posts(start, start + timedelta(days=1))
    assert {p.publish_at for p in listed} == set(chosen.values())
