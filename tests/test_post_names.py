"""Messages about a post name its file, row and channel, never its hash key (#13, item 7).

Driven through the CLI against a sandbox served over HTTP with a channel list of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="bakery-x", name="Bakery X", identifier="x"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)
#: A post key, ``<entry key>@<channel id>`` (the entry key is the row's id or a hash).
HASH_KEY = re.compile(r"\S+@bakery-(x|masto)\b")


@pytest.fixture
def account(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _write(path: Path, rows: list[tuple[str, str, str]], text: str = "") -> Path:
    """A calendar five days ahead: one row per (id, time, channels), text ``text`` if given."""
    day = datetime.now(UTC) + timedelta(days=5)
    lines = ["id,date,time,timezone,channels,text"]
    lines += [f'{i},{day:%Y-%m-%d},{t},UTC,"{c}",{text or f"Fresh {i} at {t}"}' for i, t, c in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(args: list[str], account: RunningSandbox) -> Result:
    env = {"POSTIZ_API_URL": account.url, "POSTIZ_API_KEY": account.api_key}
    return CliRunner().invoke(main, args, env=env)


def test_removed_and_pruned_posts_are_named_by_row_and_channel(
    tmp_path: Path, account: RunningSandbox
) -> None:
    calendar = tmp_path / "bakery.csv"
    _write(calendar, [("bread", "08:00", "Bakery X"), ("cake", "09:00", "Bakery Mastodon")])
    assert _run(["run", str(calendar), "--yes"], account).exit_code == 0

    _write(calendar, [("bread", "08:00", "Bakery X")])
    kept = _run(["run", str(calendar), "--yes"], account)
    assert kept.exit_code == 0, kept.output
    assert "left the calendar" in kept.output
    assert "  bakery.csv row 3 on Bakery Mastodon" in kept.output
    assert not HASH_KEY.search(kept.output), kept.output

    pruned = _run(["run", str(calendar), "--yes", "--prune"], account)
    assert pruned.exit_code == 0, pruned.output
    assert "deleted bakery.csv row 3 on Bakery Mastodon" in pruned.output
    assert not HASH_KEY.search(pruned.output), pruned.output


def test_failures_and_status_name_the_row_and_channel(
    tmp_path: Path, account: RunningSandbox
) -> None:
    # The channels file calls the Mastodon channel a LinkedIn one: the tool lets 700
    # characters through, the server (Mastodon: 500) refuses the post after sending.
    listed = [
        {"id": "bakery-x", "name": "Bakery X", "identifier": "x"},
        {"id": "bakery-masto", "name": "Bakery Mastodon", "identifier": "linkedin"},
    ]
    channels_file = tmp_path / "channels.json"
    channels_file.write_text(json.dumps(listed), encoding="utf-8")
    calendar = _write(
        tmp_path / "bakery.csv",
        [("cake", "09:00", "Bakery Mastodon")],
        text="crust " * 120,
    )

    args = ["run", str(calendar), "--yes", "--channels-file", str(channels_file)]
    result = _run(args, account)
    assert result.exit_code == 3, result.output
    assert "  bakery.csv row 2 on Bakery Mastodon: " in result.output
    assert not HASH_KEY.search(result.output), result.output

    status = CliRunner().invoke(main, ["status", str(calendar)], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert "bakery.csv row 2 on Bakery Mastodon" in status.output
    assert not HASH_KEY.search(status.output), status.output
