"""``run --prune`` deletes real posts only after a question, or with ``--yes`` (#19 item 1).

Against a sandbox served over HTTP with a bakery's own channel list: the run that has nothing new
to send but would delete used to delete silently, with exit 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="bakery-bsky", name="Bakery Bluesky", identifier="bluesky"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)


@pytest.fixture
def bakery(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _write(path: Path, ids: list[str]) -> Path:
    day = datetime.now(UTC) + timedelta(days=4)
    lines = ["id,date,time,timezone,channels,text"]
    lines += [
        f"{i},{day:%Y-%m-%d},{n + 8:02d}:00,UTC,Bakery Mastodon,Bread {i}"
        for n, i in enumerate(ids)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def listing(bakery: RunningSandbox) -> list[dict[str, object]]:
    """The bakery's live posts over the coming month."""
    now = datetime.now(UTC)
    answer = httpx.get(
        f"{bakery.url}/public/v1/posts",
        params={
            "startDate": f"{now:%Y-%m-%dT00:00:00Z}",
            "endDate": f"{now + timedelta(days=30):%Y-%m-%dT00:00:00Z}",
        },
        headers={"Authorization": bakery.api_key},
        timeout=10,
    )
    answer.raise_for_status()
    posts: list[dict[str, object]] = answer.json()["posts"]
    return posts


def _run(args: list[str], bakery: RunningSandbox, input: str | None = None) -> Result:
    env = {"POSTIZ_API_URL": bakery.url, "POSTIZ_API_KEY": bakery.api_key}
    return CliRunner().invoke(main, args, env=env, input=input)


@pytest.fixture
def shrunk(tmp_path: Path, bakery: RunningSandbox) -> Path:
    """A calendar of three rows that ran, then lost two of them."""
    calendar = _write(tmp_path / "bakery.csv", ["rye", "spelt", "sourdough"])
    assert _run(["run", str(calendar), "--yes"], bakery).exit_code == 0
    return _write(calendar, ["rye"])


def test_a_script_without_yes_deletes_nothing_and_says_what_it_would_delete(
    shrunk: Path, bakery: RunningSandbox
) -> None:
    result = _run(["run", str(shrunk), "--prune"], bakery)
    assert result.exit_code == 1, result.output
    assert "--prune deletes 2 posts that left the calendar:" in result.output
    assert "  bakery.csv row 3 on Bakery Mastodon" in result.output
    assert "  bakery.csv row 4 on Bakery Mastodon" in result.output
    assert "would delete 2 posts on" in result.output
    assert "Nothing was sent or deleted." in result.output
    assert len(listing(bakery)) == 3


def test_declining_deletes_nothing_and_yes_at_the_prompt_deletes(
    shrunk: Path, bakery: RunningSandbox
) -> None:
    declined = _run(["run", str(shrunk), "--prune"], bakery, input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "Delete 2 posts from" in declined.output
    assert len(listing(bakery)) == 3
    accepted = _run(["run", str(shrunk), "--prune"], bakery, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Deleted 2 posts removed from the calendar." in accepted.output
    assert len(listing(bakery)) == 1


def test_yes_alone_skips_the_question(shrunk: Path, bakery: RunningSandbox) -> None:
    result = _run(["run", str(shrunk), "--prune", "--yes"], bakery)
    assert result.exit_code == 0, result.output
    assert "Delete 2 posts" not in result.output
    assert len(listing(bakery)) == 1


def test_without_prune_nothing_is_asked_or_deleted(shrunk: Path, bakery: RunningSandbox) -> None:
    result = _run(["run", str(shrunk)], bakery)
    assert result.exit_code == 0, result.output
    assert "left the calendar but stay on the server" in result.output
    assert len(listing(bakery)) == 3
