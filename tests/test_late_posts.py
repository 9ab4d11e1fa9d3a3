"""Posts sent after their publish time: ``run`` names them and sends none without a choice (#13).

Scenarios drive the CLI against a sandbox served over HTTP with a channel list of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="acme-x", name="Acme on X", identifier="x"),
    Channel(id="acme-masto", name="Acme Mastodon", identifier="mastodon"),
)


def _env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}


def _calendar(path: Path, *times: datetime) -> Path:
    lines = ["id,date,time,timezone,channels,text"]
    for n, when in enumerate(times):
        at = when.astimezone(UTC)
        lines.append(
            f'row{n},{at:%Y-%m-%d},{at:%H:%M},UTC,"Acme on X, Acme Mastodon",Post {n} of the month'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _listed(sandbox: RunningSandbox) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    answer = httpx.get(
        f"{sandbox.url}/public/v1/posts",
        params={
            "startDate": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDate": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        headers={"Authorization": sandbox.api_key},
        timeout=10,
    )
    answer.raise_for_status()
    posts: list[dict[str, object]] = answer.json()["posts"]
    return posts


@pytest.fixture
def account(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def test_passed_posts_send_nothing_without_a_choice(
    tmp_path: Path, account: RunningSandbox
) -> None:
    now = datetime.now(UTC)
    calendar = _calendar(tmp_path / "month.csv", now - timedelta(hours=2), now + timedelta(days=3))
    result = CliRunner().invoke(main, ["run", str(calendar), "--yes"], env=_env(account))
    assert result.exit_code == 1, result.output
    assert "month.csv row 2 on Acme on X" in result.output
    assert "(passed)" in result.output
    assert "--late publish" in result.output
    assert "--late skip" in result.output
    assert account.stats()["counted_requests"] == 0
    assert _listed(account) == []


def test_late_skip_leaves_passed_posts_out(tmp_path: Path, account: RunningSandbox) -> None:
    now = datetime.now(UTC)
    calendar = _calendar(tmp_path / "month.csv", now - timedelta(hours=2), now + timedelta(days=3))
    args = ["run", str(calendar), "--yes", "--late", "skip"]
    result = CliRunner().invoke(main, args, env=_env(account))
    assert result.exit_code == 0, result.output
    assert "2 late posts left out (--late skip)" in result.output
    assert len(_listed(account)) == 2  # the future row, on both channels
    assert account.stats()["counted_requests"] == 1


def test_late_publish_sends_them(tmp_path: Path, account: RunningSandbox) -> None:
    now = datetime.now(UTC)
    calendar = _calendar(tmp_path / "month.csv", now - timedelta(hours=2), now + timedelta(days=3))
    args = ["run", str(calendar), "--yes", "--late", "publish"]
    result = CliRunner().invoke(main, args, env=_env(account))
    assert result.exit_code == 0, result.output
    assert "already passed" in result.output
    assert len(_listed(account)) == 4
    assert account.stats()["counted_requests"] == 2


def test_posts_late_for_the_quota_count_too(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    account = sandbox_server_factory(channels=CHANNELS, limit=1, window=3600.0)
    now = datetime.now(UTC)
    soon = _calendar(
        tmp_path / "soon.csv", now + timedelta(minutes=20), now + timedelta(minutes=25)
    )
    args = ["run", str(soon), "--yes", "--limit", "1"]
    refused = CliRunner().invoke(main, args, env=_env(account))
    assert refused.exit_code == 1, refused.output
    assert "(late for the quota)" in refused.output
    assert account.stats()["counted_requests"] == 0
    skipped = CliRunner().invoke(main, [*args, "--late", "skip"], env=_env(account))
    assert skipped.exit_code == 0, skipped.output
    assert account.stats()["counted_requests"] == 1
    assert len(_listed(account)) == 2


def test_the_built_in_sandbox_rehearses_late_posts_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    now = datetime.now(UTC)
    calendar = tmp_path / "month.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        f"past,{now - timedelta(hours=3):%Y-%m-%d,%H:%M},UTC,x,An hour ago\n"
        f"next,{now + timedelta(days=2):%Y-%m-%d,%H:%M},UTC,x,In two days\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["run", str(calendar)])
    assert result.exit_code == 0, result.output
    assert "on your account the run would ask first" in result.output
    assert "2/2 posts scheduled" in result.output
