"""What ``run`` says when nobody can answer its confirmation question (#13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (Channel(id="cafe-threads", name="Cafe Threads", identifier="threads"),)


def test_a_script_without_yes_is_told_to_add_it(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    account = sandbox_server_factory(channels=CHANNELS)
    day = datetime.now(UTC) + timedelta(days=4)
    calendar = tmp_path / "cafe.csv"
    calendar.write_text(
        f"id,date,time,timezone,channels,text\nm,{day:%Y-%m-%d},10:00,UTC,Cafe Threads,Menu\n",
        encoding="utf-8",
    )
    env = {"POSTIZ_API_URL": account.url, "POSTIZ_API_KEY": account.api_key}
    result = CliRunner().invoke(main, ["run", str(calendar)], env=env, input="")
    assert result.exit_code != 0
    assert "nobody answered the question; run it again with --yes" in result.output
    assert account.stats()["counted_requests"] == 0
