"""What `run`, `export` and `pull` say when a run or a path cannot go ahead (#13)."""

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


def test_export_refuses_to_overwrite_the_calendar_or_invent_a_folder(tmp_path: Path) -> None:
    calendar = tmp_path / "cafe.csv"
    calendar.write_text("id,date,time,timezone,channels,text\n", encoding="utf-8")
    before = calendar.read_bytes()
    itself = CliRunner().invoke(main, ["export", str(calendar), "--to", str(calendar)])
    assert itself.exit_code == 2
    assert "is the calendar itself" in itself.output
    assert calendar.read_bytes() == before
    elsewhere = tmp_path / "missing" / "dir" / "x.csv"
    missing = CliRunner().invoke(main, ["export", str(calendar), "--to", str(elsewhere)])
    assert missing.exit_code == 2
    assert "does not exist; create it first" in missing.output
    assert not (tmp_path / "missing").exists()
    pulled = CliRunner().invoke(
        main, ["pull", "--from", "2030-01-01", "--to", "2030-01-31", "--out", str(elsewhere)]
    )
    assert pulled.exit_code == 2
    assert not (tmp_path / "missing").exists()
