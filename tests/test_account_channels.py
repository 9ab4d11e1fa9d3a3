"""Channels as the run resolved them: export and status read them from the journal, the built-in
sandbox rehearses with a ``--channels-file``'s channels, and a post on a channel the target does
not list fails before any counted request (#13, items 2 and 3).

Scenarios drive the CLI against a sandbox served over HTTP with a channel list of its own: one
channel shares its name with a demo channel under another id (the trap that made ``export``
report such rows ``skipped``), the other has a name the demo list lacks.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.run.journal import Journal, read_state, replay
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="nw-x-live", name="Acme on X", identifier="x", profile="northwind"),
    Channel(id="nw-masto", name="Northwind Mastodon", identifier="mastodon"),
)
GHOST = {"id": "nw-ghost", "name": "Northwind Ghost", "identifier": "mastodon"}
NO_SERVER = {"POSTIZ_API_URL": "http://127.0.0.1:9", "POSTIZ_API_KEY": "unused"}


def _channels_json(path: Path, *extra: dict[str, Any]) -> Path:
    items = [{"id": c.id, "name": c.name, "identifier": c.identifier} for c in CHANNELS]
    path.write_text(json.dumps([*items, *extra]), encoding="utf-8")
    return path


def _env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}


def _calendar(path: Path, rows: int, channels: str = "Acme on X, Northwind Mastodon") -> Path:
    """``rows`` entries a day apart from tomorrow, so the file never goes stale."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    lines = ["id,date,time,timezone,channels,text"]
    for n in range(rows):
        at = start + timedelta(days=n, hours=n)
        lines.append(f'row{n},{at:%Y-%m-%d},{at:%H:%M},UTC,"{channels}",Post {n} of the month')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env or {})


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _listed_ids(sandbox: RunningSandbox) -> set[str]:
    now = datetime.now(UTC)
    answer = httpx.get(
        f"{sandbox.url}/public/v1/posts",
        params={
            "startDate": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDate": (now + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        headers={"Authorization": sandbox.api_key},
        timeout=10,
    )
    answer.raise_for_status()
    return {str(post["id"]) for post in answer.json()["posts"]}


def _counted(output: str) -> int:
    found = re.search(r"(\d+) counted requests? sent", output)
    assert found, output
    return int(found.group(1))


@pytest.fixture
def account(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


@pytest.fixture
def no_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No POSTIZ_* variables and a working directory of the test's own (sandbox state)."""
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Item 2: export and status name the channels the run used, offline


def test_export_after_a_run_on_an_account_gives_every_post_its_id(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "month.csv", 4)
    ran = _cli(["run", str(calendar), "--yes"], _env(account))
    assert ran.exit_code == 0, ran.output
    on_server = _listed_ids(account)
    assert len(on_server) == 8

    # Offline: the configured URL reaches nothing, and no channel list is given.
    per_post = tmp_path / "posts.csv"
    exported = _cli(["export", str(calendar), "--per-post", "--to", str(per_post)], NO_SERVER)
    assert exported.exit_code == 0, exported.output
    posts = _read_csv(per_post)
    assert len(posts) == 8
    assert {p["status"] for p in posts} == {"scheduled"}
    assert {p["post_id"] for p in posts} == on_server
    assert {p["channel"] for p in posts} == {"nw-x-live", "nw-masto"}
    assert {p["channel_name"] for p in posts} == {"Acme on X", "Northwind Mastodon"}

    rows_out = tmp_path / "rows.csv"
    exported = _cli(["export", str(calendar), "--to", str(rows_out)], NO_SERVER)
    assert exported.exit_code == 0, exported.output
    rows = _read_csv(rows_out)
    assert [r["status"] for r in rows] == ["scheduled"] * 4
    ids = [dict(pair.split("=") for pair in r["post_ids"].split("; ")) for r in rows]
    assert all(set(row_ids) == {"nw-x-live", "nw-masto"} for row_ids in ids)
    assert {i for row_ids in ids for i in row_ids.values()} == on_server
    assert not any(r["error"] for r in rows)


def test_status_agrees_with_the_run_and_names_channels(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "month.csv", 3)
    ran = _cli(["run", str(calendar), "--yes"], _env(account))
    assert ran.exit_code == 0, ran.output
    assert "6/6 posts scheduled" in ran.output
    shown = _cli(["status", str(calendar), "--json"], NO_SERVER)
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert (data["done"], data["pending"], data["failed"]) == (6, 0, 0)
    assert {p["remote_id"] for p in data["posts"]} == _listed_ids(account)
    assert {(p["channel_id"], p["channel"]) for p in data["posts"]} == {
        ("nw-x-live", "Acme on X"),
        ("nw-masto", "Northwind Mastodon"),
    }


def test_the_journal_records_each_entrys_channels_once(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "month.csv", 2)
    for _ in range(2):  # the second run resumes: same channels, nothing new recorded
        ran = _cli(["run", str(calendar), "--yes"], _env(account))
        assert ran.exit_code == 0, ran.output
    journal = tmp_path / "month.csv.journal.jsonl"
    events = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    recorded = [e for e in events if e["event"] == "channels"]
    assert len(recorded) == 1
    assert recorded[0]["entries"] == {
        "row0": ["nw-x-live", "nw-masto"],
        "row1": ["nw-x-live", "nw-masto"],
    }
    assert [c["name"] for c in recorded[0]["channels"]] == ["Acme on X", "Northwind Mastodon"]
    assert events[0]["format_version"] == 1  # an added event type: no new format version
    state = read_state(journal)
    assert state.channel("nw-masto") == CHANNELS[1]


def test_a_journal_without_the_channels_event_still_reads(tmp_path: Path) -> None:
    header = {"event": "header", "format_version": 1, "fingerprint": "f" * 64}
    state = replay([header, {"event": "rate", "limit": 30, "remaining": 29}])
    assert state.channels is None
    assert state.entry_channels == {}
    # and a journal begun without it gains it on the next run
    path = tmp_path / "old.journal.jsonl"
    path.write_text(json.dumps(header) + "\n", encoding="utf-8")
    with Journal(path, fingerprint="f" * 64) as journal:
        journal.channels(list(CHANNELS), [])
    assert read_state(path).channels == list(CHANNELS)


def test_export_without_a_journal_still_uses_the_given_channels(tmp_path: Path) -> None:
    calendar = _calendar(tmp_path / "month.csv", 2)
    channels = _channels_json(tmp_path / "channels.json")
    out = tmp_path / "posts.csv"
    args = ["export", str(calendar), "--channels-file", str(channels), "--per-post", "--to"]
    exported = _cli([*args, str(out)], NO_SERVER)
    assert exported.exit_code == 0, exported.output
    assert {p["status"] for p in _read_csv(out)} == {"pending"}


def test_an_explicit_channels_file_still_wins_over_the_journal(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "month.csv", 2)
    ran = _cli(["run", str(calendar), "--yes"], _env(account))
    assert ran.exit_code == 0, ran.output
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            [
                {"id": "other-x", "name": "Acme on X", "identifier": "x"},
                {"id": "other-masto", "name": "Northwind Mastodon", "identifier": "mastodon"},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "posts.csv"
    args = ["export", str(calendar), "--channels-file", str(other), "--per-post", "--to"]
    exported = _cli([*args, str(out)], NO_SERVER)
    assert exported.exit_code == 0, exported.output
    posts = _read_csv(out)
    assert {p["channel"] for p in posts} == {"other-x", "other-masto"}
    assert not any(p["post_id"] for p in posts)  # the run sent none to those channels


# Item 3: rehearse with your own channels; no request for a channel the target lacks


def test_run_with_a_channels_file_rehearses_on_the_built_in_sandbox(no_account: Path) -> None:
    calendar = _calendar(no_account / "month.csv", 4)
    channels = _channels_json(no_account / "channels.json")
    args = ["run", str(calendar), "--channels-file", str(channels), "--yes"]
    ran = _cli(args)
    assert ran.exit_code == 0, ran.output
    assert "built-in sandbox" in ran.output
    assert "8/8 posts scheduled" in ran.output
    assert "failed" not in ran.output
    assert _counted(ran.output) >= 1

    posts = no_account / "posts.csv"
    exported = _cli(["export", str(calendar), "--per-post", "--to", str(posts)])
    assert exported.exit_code == 0, exported.output
    assert {p["status"] for p in _read_csv(posts)} == {"scheduled"}
    assert all(p["post_id"] for p in _read_csv(posts))

    # The stored state meets the demo list in between: each start seeds its own list and keeps
    # the posts, so the first calendar is still all there afterwards.
    demo = no_account / "demo.csv"
    demo.write_text(
        "id,date,time,timezone,channels,text\n"
        f"d0,{datetime.now(UTC) + timedelta(days=2):%Y-%m-%d},10:00,UTC,x:acme,Demo post\n",
        encoding="utf-8",
    )
    ran_demo = _cli(["run", str(demo), "--yes"])
    assert ran_demo.exit_code == 0, ran_demo.output
    again = _cli(args)
    assert again.exit_code == 0, again.output
    assert _counted(again.output) == 0


def test_a_post_on_a_channel_the_account_lacks_fails_before_any_request(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "ghost.csv", 3, channels="Northwind Ghost")
    channels = _channels_json(tmp_path / "channels.json", GHOST)
    ran = _cli(["run", str(calendar), "--channels-file", str(channels), "--yes"], _env(account))
    assert ran.exit_code == 3, ran.output
    assert "3 posts failed" in ran.output
    assert "ghost.csv row 2: channel 'Northwind Ghost' (nw-ghost) is not listed" in ran.output
    stats = account.stats()
    assert stats["counted_requests"] == 0
    assert _listed_ids(account) == set()

    shown = json.loads(_cli(["status", str(calendar), "--json"], NO_SERVER).output)
    assert shown["failed"] == 3
    assert {p["channel"] for p in shown["posts"]} == {"Northwind Ghost"}
    posts = tmp_path / "posts.csv"
    exported = _cli(["export", str(calendar), "--per-post", "--to", str(posts)], NO_SERVER)
    assert exported.exit_code == 0, exported.output
    assert {p["status"] for p in _read_csv(posts)} == {"failed"}


def test_posts_on_listed_channels_still_go_when_others_are_refused(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "mixed.csv", 2, channels="Northwind Mastodon, Northwind Ghost")
    channels = _channels_json(tmp_path / "channels.json", GHOST)
    ran = _cli(["run", str(calendar), "--channels-file", str(channels), "--yes"], _env(account))
    assert ran.exit_code == 3, ran.output
    assert "2/4 posts scheduled" in ran.output
    assert "2 posts failed" in ran.output
    stats = account.stats()
    assert stats["counted_requests"] == 2  # one per publish time, the ghost channel left out
    assert stats["posts_created"] == 2
    assert len(_listed_ids(account)) == 2


def test_plan_flags_posts_on_channels_the_account_lacks_as_run_would(
    tmp_path: Path, account: RunningSandbox
) -> None:
    """``plan`` with an account leaves out (and names) what ``run`` would refuse up front."""
    calendar = _calendar(tmp_path / "mixed.csv", 2, channels="Northwind Mastodon, Northwind Ghost")
    channels = _channels_json(tmp_path / "channels.json", GHOST)
    args = ["plan", str(calendar), "--channels-file", str(channels)]
    human = CliRunner().invoke(main, args, env=_env(account))
    assert human.exit_code == 0, human.output
    assert "channel-not-listed: 2 posts on channels the account does not list" in human.output
    assert "mixed.csv row 2: channel 'Northwind Ghost' (nw-ghost) is not listed" in human.output
    assert "2 posts in 2 requests" in human.output  # the ghost channel's posts left out
    data = json.loads(_cli([*args, "--json"], _env(account)).output)
    assert [(w["code"], w["row"]) for w in data["not_listed"]] == [
        ("channel-not-listed", 2),
        ("channel-not-listed", 3),
    ]
    assert data["requests"] == 2
    assert account.stats()["counted_requests"] == 0


def test_plan_counts_the_posts_already_there_under_their_ids(
    tmp_path: Path, account: RunningSandbox
) -> None:
    """The same month saved as another file: plan says the posts are there, nothing to send."""
    calendar = _calendar(tmp_path / "month.csv", 3, channels="Northwind Mastodon")
    sent = _cli(["run", str(calendar), "--yes"], _env(account))
    assert sent.exit_code == 0, sent.output
    copy = tmp_path / "copy" / "month.csv"
    copy.parent.mkdir()
    copy.write_bytes(calendar.read_bytes())  # no journal beside it
    shown = _cli(["plan", str(copy)], _env(account))
    assert shown.exit_code == 0, shown.output
    assert "3 posts already there under their ids, the same (nothing to send)" in shown.output
    assert "0 posts in 0 requests" in shown.output
