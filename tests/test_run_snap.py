"""``run --snap`` applies the merge that ``plan --snap`` previews (#13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (Channel(id="shop-bsky", name="Shop Bluesky", identifier="bluesky"),)


def test_run_snap_merges_nearby_times_into_one_request(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    account = sandbox_server_factory(channels=CHANNELS)
    day = (datetime.now(UTC) + timedelta(days=5)).replace(hour=9, minute=0, second=0)
    calendar = tmp_path / "week.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        f"a,{day:%Y-%m-%d},09:05,UTC,Shop Bluesky,First\n"
        f"b,{day:%Y-%m-%d},09:10,UTC,Shop Bluesky,Second\n",
        encoding="utf-8",
    )
    env = {"POSTIZ_API_URL": account.url, "POSTIZ_API_KEY": account.api_key}
    result = CliRunner().invoke(main, ["run", str(calendar), "--yes", "--snap", "30"], env=env)
    assert result.exit_code == 0, result.output
    assert "2/2 posts scheduled, 1 counted request" in result.output
    assert account.stats()["counted_requests"] == 1
