"""One test per row of README's exit-code table, each driving the CLI down that path (#13).

0 all done; 1 invalid input, or nothing sent because a question was declined or could not be
answered; 2 usage; 3 some posts failed; 4 authentication, configuration or an unreachable
server; 75 stopped with work pending.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.run.journal import Journal, journal_path_for
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postiz.client import PostizClient

CHANNELS = (
    Channel(id="bakery-x", name="Bakery X", identifier="x"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)


@pytest.fixture
def account(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _calendar(tmp_path: Path, channels: str = "Bakery X, Bakery Mastodon") -> Path:
    day = datetime.now(UTC) + timedelta(days=6)
    path = tmp_path / "bakery.csv"
    path.write_text(
        "id,date,time,timezone,channels,text\n"
        f'bread,{day:%Y-%m-%d},08:00,UTC,"{channels}",Fresh bread at eight\n',
        encoding="utf-8",
    )
    return path


def _run(args: list[str], env: dict[str, str] | None = None, **kw: str) -> Result:
    return CliRunner().invoke(main, args, env=env, **kw)  # type: ignore[arg-type]


def _env(account: RunningSandbox, key: str | None = None) -> dict[str, str]:
    return {"POSTIZ_API_URL": account.url, "POSTIZ_API_KEY": key or account.api_key}


def test_0_all_done(tmp_path: Path, account: RunningSandbox) -> None:
    result = _run(["run", str(_calendar(tmp_path)), "--yes"], _env(account))
    assert result.exit_code == 0, result.output


def test_1_invalid_input(tmp_path: Path, account: RunningSandbox) -> None:
    result = _run(["run", str(_calendar(tmp_path, "Nobody")), "--yes"], _env(account))
    assert result.exit_code == 1, result.output
    assert account.stats()["counted_requests"] == 0


def test_1_declined_at_the_prompt(tmp_path: Path, account: RunningSandbox) -> None:
    result = _run(["run", str(_calendar(tmp_path))], _env(account), input="n\n")
    assert result.exit_code == 1, result.output
    assert "Nothing was sent or deleted." in result.output
    assert account.stats()["counted_requests"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["status", "nosuch.csv"],
        ["run", "{calendar}", "--reserve", "30"],
        ["plan", "{calendar}", "--reserve", "30"],
        ["run", "{calendar}", "--no-such-option"],
    ],
)
def test_2_usage(tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    calendar = str(_calendar(tmp_path, "x"))  # the demo channels: no account here
    result = _run([a.replace("{calendar}", calendar) for a in args], {"POSTIZ_API_KEY": ""})
    assert result.exit_code == 2, result.output


def test_3_some_posts_failed(tmp_path: Path, account: RunningSandbox) -> None:
    listed = [
        {"id": c.id, "name": c.name, "identifier": c.identifier}
        for c in (*CHANNELS, Channel(id="gone", name="Old Page", identifier="facebook"))
    ]
    channels_file = tmp_path / "channels.json"
    channels_file.write_text(json.dumps(listed), encoding="utf-8")
    calendar = _calendar(tmp_path, "Bakery X, Old Page")
    args = ["run", str(calendar), "--yes", "--channels-file", str(channels_file)]
    result = _run(args, _env(account))
    assert result.exit_code == 3, result.output


def test_4_key_refused(tmp_path: Path, account: RunningSandbox) -> None:
    result = _run(["run", str(_calendar(tmp_path)), "--yes"], _env(account, "wrong-key"))
    assert result.exit_code == 4, result.output


def test_4_server_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"POSTIZ_API_URL": f"http://127.0.0.1:{port}", "POSTIZ_API_KEY": "k"}
    result = _run(["run", str(_calendar(tmp_path)), "--yes"], env)
    assert result.exit_code == 4, result.output
    assert f"cannot reach http://127.0.0.1:{port}" in result.output


def test_75_work_pending(tmp_path: Path, account: RunningSandbox) -> None:
    calendar = _calendar(tmp_path)
    client = PostizClient(account.url, account.api_key)
    with Journal(journal_path_for(calendar), fingerprint=PostizBackend(client).fingerprint):
        result = _run(["run", str(calendar), "--yes"], _env(account))
    client.close()
    assert result.exit_code == 75, result.output
