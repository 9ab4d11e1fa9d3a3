"""Pull: existing posts → an editable calendar in this project's own format."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from calendar_sched import identity
from calendar_sched.errors import ConfigError
from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue
from calendar_sched.plan import account
from calendar_sched.sheets import pull
from calendar_sched.targets import remote as listed
from calendar_sched.targets.base import RemotePost
from calendar_sched.targets.postiz.backend import to_html
from tests.helpers.clock import FakeClock

CHANNELS = [
    Channel(id="demo-x", name="Acme on X", identifier="x", profile="acme"),
    Channel(
        id="demo-linkedin", name="Dana Reyes (LinkedIn)", identifier="linkedin", profile="dana"
    ),
    Channel(id="demo-youtube", name="Acme YouTube", identifier="youtube", profile="acme"),
]


def _remote(
    rid: str,
    when: datetime,
    content: str,
    *,
    channel: str = "demo-x",
    identifier: str = "x",
    state: str = "QUEUE",
    **raw: Any,
) -> RemotePost:
    item = {
        "id": rid,
        "content": content,
        "publishDate": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "state": state,
        "integration": {"id": channel, "providerIdentifier": identifier, "name": channel.upper()},
        **raw,
    }
    return RemotePost(rid, channel, when, state, content, "g-" + rid, item)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


REMOTES = [
    _remote(
        "p2",
        _at(2, 15),
        "<p>Webinar &amp; Q&amp;A</p><p></p><p>Join us</p>",
        settings=json.dumps({"__type": "x", "who_can_reply_post": "everyone"}),
        tags=[{"tag": {"id": "t1", "name": "events"}}],
    ),
    _remote(
        "p1",
        _at(1, 8),
        "<p>Launch</p>",
        channel="demo-linkedin",
        identifier="linkedin",
        state="DRAFT",
        image=json.dumps([{"id": "m1", "path": "https://cdn.example/a.png"}]),
    ),
    _remote("p3", _at(3, 9), "Weekly tip", state="PUBLISHED", intervalInDays=7),
    _remote("p3", _at(10, 9), "Weekly tip", state="PUBLISHED", intervalInDays=7),
    _remote(
        "p4",
        _at(4, 12),
        "<p>Video</p>",
        channel="demo-youtube",
        identifier="youtube",
        settings=json.dumps({"__type": "youtube", "title": "Demo", "tags": [{"value": "a"}]}),
    ),
]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Hello</p>", "Hello"),
        ("<p>a &amp; b &lt;c&gt;</p><p>second</p>", "a & b <c>\nsecond"),
        ("<p>a</p><p></p><p>b</p>", "a\n\nb"),
        ("<p>a</p>\n<p>b</p>", "a\nb"),
        ("<p>one<br>two</p>", "one\ntwo"),
        ("<p><strong>bold</strong> and <a href='x'>link</a></p>", "bold and link"),
        ("plain &amp; escaped", "plain & escaped"),
        ("no markup at all", "no markup at all"),
        ("", ""),
    ],
)
def test_html_to_text(content: str, text: str) -> None:
    assert listed.html_to_text(content) == text


@given(
    st.lists(st.text(alphabet=st.characters(exclude_characters="\r\n"), max_size=20), max_size=5)
)
def test_html_to_text_inverts_the_backends_to_html(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert listed.html_to_text(to_html(text)) == text


def test_remote_value_id() -> None:
    assert identity.remote_value_id("postiz:abc123") == "abc123"
    assert identity.remote_value_id("postiz:") is None
    assert identity.remote_value_id("launch") is None


def test_pull_entries_shape_order_and_dedupe() -> None:
    entries = pull.pull_entries(REMOTES, timezone="Europe/Berlin")
    assert [e["id"] for e in entries] == ["postiz:p1", "postiz:p2", "postiz:p3", "postiz:p4"]
    draft, webinar, tip, video = entries
    assert draft["type"] == "draft"
    assert draft["publish_at"] == "2026-12-01T09:00:00+01:00"
    assert draft["channels"] == ["demo-linkedin"]
    assert draft["media"] == ["https://cdn.example/a.png"]
    assert webinar["text"] == "Webinar & Q&A\n\nJoin us"
    assert webinar["settings"] == {"x": {"who_can_reply_post": "everyone"}}
    assert webinar["tags"] == ["events"]
    assert tip["repeat_every_days"] == 7
    assert tip["_note"] == "PUBLISHED on DEMO-X"
    assert video["settings"]["youtube"]["tags"] == [{"value": "a"}]


def test_pull_entries_channel_filter() -> None:
    wanted = pull.select_channels(["x:acme", "Acme YouTube"], CHANNELS)
    assert wanted == {"demo-x", "demo-youtube"}
    entries = pull.pull_entries(REMOTES, channel_ids=wanted)
    assert {e["channels"][0] for e in entries} == {"demo-x", "demo-youtube"}


def test_select_channels_unknown_lists_known() -> None:
    with pytest.raises(ConfigError, match=r"no channel 'pinterest'"):
        pull.select_channels(["demo-x", "pinterest"], CHANNELS)


def test_write_calendar_yaml(tmp_path: Path) -> None:
    out = tmp_path / "pulled.yaml"
    pull.write_calendar(pull.pull_entries(REMOTES), out)
    text = out.read_text()
    assert "# Comments (thread replies) are not listed by the API" in text
    assert "  # DRAFT on DEMO-LINKEDIN\n  - id: postiz:p1" in text
    data = yaml.safe_load(text)
    assert data["timezone"] == "UTC"
    assert data["posts"][1] == {
        "id": "postiz:p2",
        "publish_at": "2026-12-02T15:00:00+00:00",
        "channels": ["demo-x"],
        "type": "schedule",
        "text": "Webinar & Q&A\n\nJoin us",
        "tags": ["events"],
        "settings": {"x": {"who_can_reply_post": "everyone"}},
    }
    assert all("_note" not in post for post in data["posts"])


def test_write_calendar_empty_yaml(tmp_path: Path) -> None:
    out = tmp_path / "none.yml"
    pull.write_calendar([], out)
    assert yaml.safe_load(out.read_text())["posts"] == []


def test_write_calendar_csv_and_xlsx(tmp_path: Path) -> None:
    entries = pull.pull_entries(REMOTES)
    out = tmp_path / "pulled.csv"
    pull.write_calendar(entries, out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    assert list(rows[0])[:8] == [
        "id",
        "publish_at",
        "timezone",
        "channels",
        "type",
        "text",
        "media",
        "tags",
    ]
    assert rows[0]["media"] == "https://cdn.example/a.png"
    assert rows[1]["settings.x.who_can_reply_post"] == "everyone"
    assert rows[2]["repeat_every_days"] == "7"
    assert json.loads(rows[3]["settings.youtube.tags"]) == [{"value": "a"}]
    book = tmp_path / "pulled.xlsx"
    pull.write_calendar(entries, book, summary={"from": "2026-12-01"})
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["Calendar", "About"]
    sheet = workbook["Calendar"]
    assert sheet.cell(3, 6).value == "Webinar & Q&A\n\nJoin us"
    assert sheet.cell(1, 1).value == "id"


def test_write_calendar_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"use \.yaml, \.csv or \.xlsx"):
        pull.write_calendar([], tmp_path / "x.json")


def _post(entry_key: str, remote: RemotePost, **changes: Any) -> Post:
    fields: dict[str, Any] = {
        "entry_key": entry_key,
        "position": Position(file="pulled.yaml", index=0),
        "channel": next(c for c in CHANNELS if c.id == remote.channel_id),
        "publish_at": remote.publish_at,
        "type": "draft" if remote.state == "DRAFT" else "schedule",
        "values": [PostValue(text=listed.html_to_text(remote.content))],
        "settings": listed.remote_settings(remote),
        "tags": listed.remote_tags(remote),
    }
    fields.update(changes)
    return Post(**fields)


def test_pulled_unchanged_detects_edits() -> None:
    webinar = REMOTES[0]
    assert account.pulled_unchanged(_post("postiz:p2", webinar), webinar)
    assert not account.pulled_unchanged(_post("launch", webinar), webinar)
    assert not account.pulled_unchanged(_post("postiz:p2", webinar, publish_at=_at(2, 16)), webinar)
    edited = [PostValue(text="Webinar & Q&A")]
    assert not account.pulled_unchanged(_post("postiz:p2", webinar, values=edited), webinar)
    assert not account.pulled_unchanged(_post("postiz:p2", webinar, tags=[]), webinar)
    assert not account.pulled_unchanged(_post("postiz:p2", webinar, type="draft"), webinar)
    draft = REMOTES[1]
    media = [MediaRef(source="https://cdn.example/a.png", url="https://cdn.example/a.png")]
    values = [PostValue(text="Launch", media=media)]
    assert account.pulled_unchanged(_post("postiz:p1", draft, values=values), draft)
    assert not account.pulled_unchanged(_post("postiz:p1", draft), draft)  # media removed


def test_listing_window_covers_the_end_day() -> None:
    start, end = pull.listing_window(_at(1, 0), _at(31, 0))
    assert (start, end) == (_at(1, 0), datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert pull.listing_window(_at(1, 0), _at(31, 12))[1] == _at(31, 12)


CALENDAR = """id,publish_at,channels,text,tags,settings.youtube.title,settings.youtube.type,media
launch,2030-03-01T09:00:00+01:00,"demo-x, demo-linkedin","Launch day & more
Second line",launch,,,
tips,2030-03-02T10:30:00+01:00,demo-linkedin,Weekly tip,,,,https://cdn.example.com/tip.png
draft,2030-03-03T12:00:00+01:00,demo-x,Draft idea,,,,
"""


@pytest.fixture
def seeded(
    sandbox_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, list[Post]]:
    """A live sandbox holding the posts of CALENDAR, created as `run` creates them."""
    from calendar_sched.check.validation import validate
    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient

    source = tmp_path / "month.csv"
    source.write_text(CALENDAR.replace("draft,2030", "draft,2030"), encoding="utf-8")
    checked = validate([source])
    assert checked.report.valid, checked.report.to_json()
    posts = [replace(p, type="draft") if p.entry_key == "draft" else p for p in checked.posts]
    with PostizClient(sandbox_server.url, sandbox_server.api_key) as client:
        backend = PostizBackend(client)
        for post in posts:
            backend.create([post], {})
    monkeypatch.setenv("POSTIZ_API_URL", sandbox_server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", sandbox_server.api_key)
    monkeypatch.chdir(tmp_path)
    return sandbox_server, posts


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".xlsx"])
def test_pull_then_validate_round_trips(seeded: tuple[Any, list[Post]], suffix: str) -> None:
    from click.testing import CliRunner

    from calendar_sched.check.validation import validate
    from calendar_sched.cli import main
    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient

    server, sent = seeded
    out = f"pulled{suffix}"
    args = ["pull", "--from", "2030-03-01", "--to", "2030-03-31", "--out", out]
    result = CliRunner().invoke(main, [*args, "--timezone", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    assert f"Pulled 4 posts from {server.url}" in result.output
    assert "thread replies" in result.output
    checked = validate([out])
    assert checked.report.valid, checked.report.to_json()
    with PostizClient(server.url, server.api_key) as client:
        listed = PostizBackend(client).list_posts(
            datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC)
        )
    by_id = {r.id: r for r in listed}
    assert len(checked.posts) == len(sent) == 4
    for post in checked.posts:
        remote_id = identity.remote_value_id(post.entry_key)
        assert remote_id in by_id
        assert account.pulled_unchanged(post, by_id[remote_id]), post.entry_key
    texts = sorted(p.values[0].text for p in checked.posts)
    assert texts == sorted(p.values[0].text for p in sent)
    assert server.stats()["counted_requests"] == 4  # pulling and listing cost nothing


def test_pull_cli_channel_filter_and_json(seeded: tuple[Any, list[Post]]) -> None:
    from click.testing import CliRunner

    from calendar_sched.cli import main

    args = ["pull", "--from", "2030-03-01", "--to", "2030-03-02", "--out", "x.yaml"]
    result = CliRunner().invoke(main, [*args, "--channels", "Acme on X", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"path": "x.yaml", "entries": 1, "states": {"QUEUE": 1}}
    (post,) = yaml.safe_load(Path("x.yaml").read_text())["posts"]
    assert post["channels"] == ["demo-x"]
    assert post["text"] == "Launch day & more\nSecond line"


def test_pull_cli_errors(seeded: tuple[Any, list[Post]]) -> None:
    from click.testing import CliRunner

    from calendar_sched.cli import main

    runner = CliRunner()
    base = ["pull", "--from", "2030-03-05", "--to", "2030-03-01", "--out", "x.yaml"]
    backwards = runner.invoke(main, base)
    assert backwards.exit_code == 2
    assert "must not be before --from" in backwards.output
    bad_zone = runner.invoke(main, [*base[:4], "2030-03-06", *base[5:], "--timezone", "Mars/Base"])
    assert bad_zone.exit_code == 2
    assert "unknown zone 'Mars/Base'" in bad_zone.output
    bad_out = runner.invoke(main, [*base[:4], "2030-03-06", "--out", "x.json"])
    assert bad_out.exit_code == 2  # a usage error (#19)
    assert "write a .yaml, .yml, .csv or .xlsx file" in bad_out.output
    unknown = runner.invoke(
        main, [*base[:4], "2030-03-06", "--out", "x.yaml", "--channels", "nope"]
    )
    assert unknown.exit_code == 4
    assert "no channel 'nope'" in unknown.output


def _run_pull(tmp_path: Path) -> tuple[Any, Any, list[RemotePost]]:
    """Run CALENDAR into the sandbox, then pull it back into pulled.yaml."""
    from click.testing import CliRunner

    from calendar_sched.cli import main

    Path("month.csv").write_text(CALENDAR, encoding="utf-8")
    runner = CliRunner()
    sent = runner.invoke(main, ["run", "month.csv", "--yes"])
    assert sent.exit_code == 0, sent.output
    args = ["pull", "--from", "2030-03-01", "--to", "2030-03-31", "--out", "pulled.yaml"]
    pulled = runner.invoke(main, args)
    assert pulled.exit_code == 0, pulled.output
    return runner, main, _listing()


def _listing() -> list[RemotePost]:
    import os

    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient

    url, key = os.environ["POSTIZ_API_URL"], os.environ["POSTIZ_API_KEY"]
    with PostizClient(url, key) as client:
        return PostizBackend(client).list_posts(
            datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC)
        )


def test_pull_then_run_sends_nothing(seeded_env: Any, tmp_path: Path) -> None:
    runner, main, before = _run_pull(tmp_path)
    counted = seeded_env.stats()["counted_requests"]
    again = runner.invoke(main, ["run", "pulled.yaml", "--yes"])
    assert again.exit_code == 0, again.output
    assert "4 listed; 4 pulled posts unchanged (nothing to send)" in again.output
    assert "4/4 posts scheduled, 0 counted requests sent" in again.output
    assert seeded_env.stats()["counted_requests"] == counted
    assert sorted(r.id for r in _listing()) == sorted(r.id for r in before)
    status = runner.invoke(main, ["status", "pulled.yaml", "--json"])
    assert json.loads(status.output)["done"] == 4


def test_pull_edit_one_time_then_run_sends_one_request(seeded_env: Any, tmp_path: Path) -> None:
    runner, main, before = _run_pull(tmp_path)
    counted = seeded_env.stats()["counted_requests"]
    data = yaml.safe_load(Path("pulled.yaml").read_text())
    edited = data["posts"][0]
    edited["publish_at"] = "2030-03-01T11:15:00+00:00"
    edited["media"] = "none"  # the listing shows no media: say the post has none (#13)
    Path("pulled.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    again = runner.invoke(main, ["run", "pulled.yaml", "--yes"])
    assert again.exit_code == 0, again.output
    assert "3 pulled posts unchanged (nothing to send); 1 pulled posts edited" in again.output
    assert seeded_env.stats()["counted_requests"] == counted + 1
    assert seeded_env.stats()["posts_updated"] == 1
    after = {r.id: r for r in _listing()}
    assert sorted(after) == sorted(r.id for r in before)  # same ids: updated in place
    moved = after[identity.remote_value_id(edited["id"]) or ""]
    assert moved.publish_at == datetime(2030, 3, 1, 11, 15, tzinfo=UTC)
    idle = runner.invoke(main, ["run", "pulled.yaml", "--yes"])
    assert idle.exit_code == 0, idle.output
    assert seeded_env.stats()["counted_requests"] == counted + 1


def test_published_posts_are_held_until_republish(
    sandbox_server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    server = sandbox_server_factory(clock=clock)
    monkeypatch.setenv("POSTIZ_API_URL", server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", server.api_key)
    monkeypatch.chdir(tmp_path)
    runner, main, _ = _run_pull(tmp_path)
    clock.now = datetime(2030, 3, 1, 9, 0, tzinfo=UTC).timestamp()  # the launch is out
    states = {r.id: r.state for r in _listing()}
    data = yaml.safe_load(Path("pulled.yaml").read_text())
    edited = data["posts"][0]
    remote_id = identity.remote_value_id(edited["id"]) or ""
    assert states[remote_id] == "PUBLISHED"
    edited["text"] = "Launch day, take two"
    edited["media"] = "none"  # the listing shows no media: say the post has none (#13)
    Path("pulled.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    counted = server.stats()["counted_requests"]

    held = runner.invoke(main, ["run", "pulled.yaml", "--yes"])
    assert held.exit_code == 0, held.output
    assert "1 edited posts are already published and are left as they are" in held.output
    assert "  pulled.yaml item 0 " in held.output  # the held post, by file and item
    assert server.stats()["counted_requests"] == counted  # not even a refused request
    assert listed.html_to_text({r.id: r for r in _listing()}[remote_id].content) != edited["text"]

    again = runner.invoke(main, ["run", "pulled.yaml", "--yes", "--republish"])
    assert again.exit_code == 0, again.output
    assert "1 published posts to publish again" in again.output
    assert server.stats()["counted_requests"] == counted + 1  # the unedited one stays as is
    after = {r.id: r for r in _listing()}
    assert sorted(after) == sorted(states)
    assert listed.html_to_text(after[remote_id].content) == "Launch day, take two"

    idle = runner.invoke(main, ["run", "pulled.yaml", "--yes", "--republish"])
    assert idle.exit_code == 0, idle.output
    assert server.stats()["counted_requests"] == counted + 1


@pytest.fixture
def seeded_env(sandbox_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A live sandbox configured as the target, with the working directory in tmp_path."""
    monkeypatch.setenv("POSTIZ_API_URL", sandbox_server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", sandbox_server.api_key)
    monkeypatch.chdir(tmp_path)
    return sandbox_server
