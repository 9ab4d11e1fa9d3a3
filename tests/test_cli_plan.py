"""``calendar-sched plan`` and ``channels``: exact output, JSON shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.check.validation import validate
from calendar_sched.cli import main
from calendar_sched.cli.plan import Rows, write_json
from calendar_sched.run.journal import Journal, journal_path_for
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.base import RateState, SentPost

HEADER = "id,publish_at,channels,text\n"
CALENDAR = HEADER + (
    "a1,2030-12-01T09:00:00Z,x;linkedin;threads,Hello & welcome <all>\n"
    "a2,2030-12-01T09:00:00Z,mastodon;bluesky,Second\n"
    "a3,2030-12-02T10:20:00Z,x,Third one\n"
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)
    monkeypatch.delenv("POSTIZ_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "cal.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_plan_human_output(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["plan", write(tmp_path, CALENDAR)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == (
        "6 posts in 2 requests (lower bound 2; a per-row script needs 6) · 1 window · ETA 1s"
    )
    assert any("2030-12-01 09:00" in line for line in lines)
    assert "late" not in result.output


def test_plan_compares_with_postsyncer_only_when_asked(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTSYNCER_API_TOKEN", raising=False)
    calendar = write(tmp_path, CALENDAR)
    plain = runner.invoke(main, ["plan", calendar])
    assert "PostSyncer" not in plain.output
    asked = runner.invoke(main, ["plan", calendar, "--compare"])
    assert "PostSyncer for the same calendar: " in asked.output
    as_json = json.loads(runner.invoke(main, ["plan", calendar, "--json"]).output)
    assert as_json["postsyncer"] is None  # a second plan only when asked (#15)
    asked_json = json.loads(runner.invoke(main, ["plan", calendar, "--json", "--compare"]).output)
    assert asked_json["postsyncer"]["requests"] > 0
    monkeypatch.setenv("POSTSYNCER_API_TOKEN", "token-of-a-postsyncer-user")
    configured = runner.invoke(main, ["plan", calendar])
    assert "PostSyncer for the same calendar: " in configured.output


def test_plan_json_shape(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["plan", write(tmp_path, CALENDAR), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {k: data[k] for k in ("requests", "lower_bound", "naive_requests", "windows")} == {
        "requests": 2,
        "lower_bound": 2,
        "naive_requests": 6,
        "windows": 1,
    }
    assert data["eta_seconds"] == 1.0
    assert data["late"] == []
    assert data["posts"][0] == {
        "entry": "a1",
        "channel": "demo-x",
        "publish_at": "2030-12-01T09:00:00Z",
        "request": 1,
    }
    # Requests are numbered from 1, as the run's log and export --per-post number them.
    assert [p["request"] for p in data["posts"]] == [1, 1, 1, 1, 1, 2]
    assert [set(r) for r in data["requests_detail"]] == [
        {"number", "window", "counted", "kind", "posts", "bytes"}
    ] * 2
    assert [(r["kind"], r["posts"], r["counted"]) for r in data["requests_detail"]] == [
        ("post", 5, True),
        ("post", 1, True),
    ]
    assert all(0 < r["bytes"] < 100_000 for r in data["requests_detail"])
    # written row by row, yet exactly what json.dumps(indent=2) prints
    assert result.output == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_write_json_streams_rows_exactly_as_json_dumps_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [('é\n"<', None), (True, 1.5), ([1, {"z": [2]}], {}), (False, [])]
    # The last chunk holds an integer too big for orjson: the stdlib writes it.
    rows += [("\x00\x1f\x7f\u2028 😀 \\/", 2**40), ("huge", 2**70)]
    data = {
        "n": 1,
        "rows": Rows(("a", "b"), lambda: rows),
        "empty": Rows(("a",), lambda: []),
        "nested": {"k": [1, {"q": None}]},
        "list": [],
        "text": "ü",
    }
    write_json(data, chunk_rows=3)
    expected = {**data, "rows": [dict(zip(("a", "b"), r, strict=True)) for r in rows], "empty": []}
    assert capsys.readouterr().out == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    write_json({})
    assert capsys.readouterr().out == "{}\n"


def test_plan_windows_reserve_and_late_warnings(runner: CliRunner, tmp_path: Path) -> None:
    rows = "".join(f"e{i},2030-12-01T0{i}:00:00Z,x,Post {i}\n" for i in range(5))
    path = write(tmp_path, HEADER + rows)
    hour = ["--window", "3600"]
    result = runner.invoke(main, ["plan", path, "--limit", "3", "--reserve", "1", "--json", *hour])
    data = json.loads(result.output)
    assert [r["window"] for r in data["requests_detail"]] == [0, 0, 1, 1, 2]
    assert data["windows"] == 3
    assert data["eta_seconds"] == 2 * 3600 + 0.5
    human = runner.invoke(main, ["plan", path, "--limit", "3", "--reserve", "1", *hour])
    assert "5 posts in 5 requests" in human.output
    assert "3 windows · ETA 2h01m" in human.output
    assert "+2h00m" in human.output


def test_plan_late_posts_are_listed(runner: CliRunner, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(minutes=30)
    rows = "".join(
        f"e{i},{(soon + timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},x,Post {i}\n"
        for i in range(3)
    )
    calendar = write(tmp_path, HEADER + rows)
    result = runner.invoke(main, ["plan", calendar, "--limit", "1", "--window", "3600"])
    assert result.exit_code == 0, result.output
    assert "2 posts would be sent after their publish time" in result.output
    assert "cal.csv row 3 on Acme on X: due" in result.output
    assert "e0@demo-x" not in result.output.split("publish time")[1]


def test_plan_snap_lists_changes(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["plan", write(tmp_path, CALENDAR), "--snap", "60"])
    assert result.exit_code == 0, result.output
    assert "snapped cal.csv row 4: 2030-12-02T10:20:00Z → 2030-12-02T10:00:00Z" in result.output


def test_plan_invalid_input_prints_the_report_and_exits_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + "b1,not a date,x,Hi\nb2,2030-12-01T09:00:00Z,nosuch,Hi\n")
    result = runner.invoke(main, ["plan", path])
    assert result.exit_code == 1
    assert "bad-datetime" in result.output
    assert "unknown-channel" in result.output
    as_json = runner.invoke(main, ["plan", path, "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["valid"] is False


def test_plan_reserve_must_leave_room(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["plan", write(tmp_path, CALENDAR), "--limit", "2", "--reserve", "2"]
    )
    assert result.exit_code == 2
    assert "--reserve" in result.output


def test_plan_uses_the_journal_limit_and_skips_done_posts(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, CALENDAR)
    posts = validate([path]).posts
    with Journal(journal_path_for(path), fingerprint="fp") as journal:
        journal.rate(RateState(limit=1, remaining=0, reset_at=None))
        last = posts[-1]
        call = journal.started([last])
        journal.succeeded(call, [SentPost(last.key, "remote-1", last.channel.id)])
    result = runner.invoke(main, ["plan", path, "--json"])
    data = json.loads(result.output)
    assert data["limit"] == 1
    assert data["skipped"] == ["a3@demo-x"]
    assert (data["requests"], data["windows"]) == (1, 1)
    explicit = json.loads(runner.invoke(main, ["plan", path, "--json", "--limit", "7"]).output)
    assert explicit["limit"] == 7


def test_plan_count_uploads(runner: CliRunner, tmp_path: Path) -> None:
    text = HEADER.replace("text", "text,media") + (
        "m1,2030-12-01T09:00:00Z,x;threads,Pic,https://cdn.example/a.png\n"
    )
    path = write(tmp_path, text)
    free = json.loads(runner.invoke(main, ["plan", path, "--json"]).output)
    counted = json.loads(runner.invoke(main, ["plan", path, "--json", "--count-uploads"]).output)
    assert (free["requests"], free["uploads"], free["naive_requests"]) == (1, 1, 2)
    assert (counted["requests"], counted["lower_bound"], counted["naive_requests"]) == (2, 2, 4)


# channels


def test_channels_from_file(runner: CliRunner, tmp_path: Path) -> None:
    channels = [
        {"id": "c1", "name": "Acme", "identifier": "x", "profile": "acme"},
        {"id": "c2", "name": "Old", "identifier": "youtube", "disabled": True},
    ]
    path = write(tmp_path, json.dumps(channels), "channels.json")
    result = runner.invoke(main, ["channels", "--channels-file", path, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["id"], r["reference"], r["disabled"], r["required_settings"]) for r in rows] == [
        ("c1", "x:acme", False, ["who_can_reply_post"]),
        ("c2", "c2", True, ["title", "type"]),
    ]
    human = runner.invoke(main, ["channels", "--channels-file", path])
    assert "2 channels" in human.output


def test_channels_from_a_live_server(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = SandboxConfig(api_key="test-key-123", db_path=tmp_path / "sandbox.db")
    with RunningSandbox(config) as sandbox:
        monkeypatch.setenv("POSTIZ_API_URL", sandbox.url)
        monkeypatch.setenv("POSTIZ_API_KEY", sandbox.api_key)
        result = runner.invoke(main, ["channels", "--json"])
        monkeypatch.setenv("POSTIZ_API_KEY", "wrong-key")
        refused = runner.invoke(main, ["channels"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    # X's schema has no required list (who_can_reply_post is not required of articles, #14).
    assert (rows["demo-x"]["required_settings"], rows["demo-youtube"]["required_settings"]) == (
        [],
        ["title", "type"],
    )
    assert rows["demo-x-old"]["disabled"] is True
    assert refused.exit_code == 4
    assert "401" in refused.output
    assert "wrong-key" not in refused.output


def test_channels_embedded_sandbox(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["channels"])
    assert result.exit_code == 0, result.output
    assert "built-in sandbox" in result.output
    assert "demo-x" in result.output.replace("\n", "")
    assert (tmp_path / ".calendar-sched" / "sandbox.db").exists()


# the existing-posts check


def test_plan_checks_a_configured_account_for_duplicates(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sandbox_server: RunningSandbox,
) -> None:
    monkeypatch.setenv("POSTIZ_API_URL", sandbox_server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", sandbox_server.api_key)
    sent = runner.invoke(main, ["run", write(tmp_path, CALENDAR), "--yes"])
    assert sent.exit_code == 0, sent.output
    other = write(
        tmp_path,
        HEADER + "b1,2030-12-01T09:30:00Z,x,Hello & welcome <all>\nb2,2030-12-01T09:30:00Z,x,New\n",
        "other.csv",
    )
    human = runner.invoke(main, ["plan", other])
    assert human.exit_code == 0, human.output
    assert "Existing posts on the account: 5 listed" in human.output
    assert (
        "warning: duplicate-existing: other.csv row 2 on Acme on X: the same text is already "
        "scheduled on Acme on X"
    ) in human.output
    assert "channels were checked against the demo list" not in human.output
    data = json.loads(runner.invoke(main, ["plan", other, "--json", "--skip-duplicates"]).output)
    existing = data["existing"]
    assert (existing["listed"], existing["skipped_duplicates"]) == (5, ["b1@demo-x"])
    (dup,) = existing["duplicates"]
    assert (dup["post"], dup["existing_state"], dup["existing_publish_at"]) == (
        "b1@demo-x",
        "QUEUE",
        "2030-12-01T09:00:00Z",
    )
    assert [w["code"] for w in existing["warnings"]] == ["duplicate-existing"]
    assert [p["entry"] for p in data["posts"]] == ["b2"]
    offline = json.loads(runner.invoke(main, ["plan", other, "--offline", "--json"]).output)
    assert offline["existing"] is None
    assert len(offline["posts"]) == 2
    assert sandbox_server.stats()["counted_requests"] == 2  # plans list for free


def test_plan_check_existing_uses_the_embedded_sandbox(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, CALENDAR)
    assert json.loads(runner.invoke(main, ["plan", path, "--json"]).output)["existing"] is None
    assert not (tmp_path / ".calendar-sched").exists()  # offline by default
    result = runner.invoke(main, ["plan", path, "--check-existing", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["existing"]["listed"] == 0
    assert (tmp_path / ".calendar-sched" / "sandbox.db").exists()
