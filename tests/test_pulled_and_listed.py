"""Pulled posts without their media, and one identity per post whatever the file (#13).

Scenarios drive the CLI against a sandbox served over HTTP with a channel list of its own: an
unedited pull costs nothing, an edited pulled Instagram post is refused until its media are named,
and the same month saved as XLSX after CSV sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="shop-x", name="Shop on X", identifier="x"),
    Channel(id="shop-insta", name="Shop Instagram", identifier="instagram"),
    Channel(id="shop-yt", name="Shop YouTube", identifier="youtube"),
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + b"\x00" * 16
HEADER = [
    "date",
    "time",
    "timezone",
    "channels",
    "text",
    "media",
    "settings.youtube.title",
    "settings.youtube.type",
]


@pytest.fixture
def account(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key, "COLUMNS": "300"}


def _counted(sandbox: RunningSandbox) -> int:
    return int(sandbox.stats()["counted_requests"])


def _day(days: int) -> datetime:
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def _rows() -> list[list[str]]:
    """A month of video, Instagram and X posts, all in the future."""
    rows = []
    for n in range(3):
        at = _day(3 + n)
        day, hour = f"{at:%Y-%m-%d}", f"{at:%H:%M}"
        rows += [
            [day, hour, "UTC", "Shop on X", f"Offer {n} of the month", "", "", ""],
            [day, hour, "UTC", "Shop Instagram", f"Look {n}", "media/look.png", "", ""],
            [
                day,
                hour,
                "UTC",
                "Shop YouTube",
                f"Clip {n}",
                "media/clip.mp4",
                f"Clip {n}",
                "public",
            ],
        ]
    return rows


def _month(folder: Path) -> Path:
    (folder / "media").mkdir(exist_ok=True)
    (folder / "media" / "look.png").write_bytes(PNG)
    (folder / "media" / "clip.mp4").write_bytes(MP4)
    path = folder / "month.csv"
    lines = [",".join(HEADER)] + [",".join(row) for row in _rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _invoke(sandbox: RunningSandbox, *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=_env(sandbox))


def _run_and_pull(tmp_path: Path, sandbox: RunningSandbox) -> Path:
    sent = _invoke(sandbox, "run", str(_month(tmp_path)), "--yes")
    assert sent.exit_code == 0, sent.output
    assert _counted(sandbox) > 0
    pulled = tmp_path / "pulled.yaml"
    start, end = f"{_day(0):%Y-%m-%d}", f"{_day(10):%Y-%m-%d}"
    out = _invoke(sandbox, "pull", "--from", start, "--to", end, "--out", str(pulled))
    assert out.exit_code == 0, out.output
    return pulled


def _edit_instagram(pulled: Path, **changes: Any) -> None:
    data = yaml.safe_load(pulled.read_text(encoding="utf-8"))
    post = next(p for p in data["posts"] if p["channels"] == ["shop-insta"])
    post.update(changes)
    pulled.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_unedited_pull_of_a_month_with_video_and_instagram_sends_nothing(
    tmp_path: Path, account: RunningSandbox
) -> None:
    pulled = _run_and_pull(tmp_path, account)
    before = _counted(account)
    # Offline, before any run of the pulled file: edited or not cannot be told.
    offline = CliRunner().invoke(
        main,
        ["plan", str(pulled), "--channels-file", str(_channels_file(tmp_path))],
        env={"COLUMNS": "300"},
    )
    assert offline.exit_code == 0, offline.output
    assert "pulled-media-unchecked" in offline.output
    planned = _invoke(account, "plan", str(pulled))
    assert planned.exit_code == 0, planned.output
    again = _invoke(account, "run", str(pulled), "--yes")
    assert again.exit_code == 0, again.output
    assert "media-required" not in again.output
    assert _counted(account) == before


def _channels_file(folder: Path) -> Path:
    path = folder / "channels.yaml"
    items = [{"id": c.id, "name": c.name, "identifier": c.identifier} for c in CHANNELS]
    path.write_text(yaml.safe_dump(items), encoding="utf-8")
    return path


def test_edited_pulled_instagram_post_is_refused_until_its_media_are_named(
    tmp_path: Path, account: RunningSandbox
) -> None:
    pulled = _run_and_pull(tmp_path, account)
    data = yaml.safe_load(pulled.read_text(encoding="utf-8"))
    assert all("media" not in post for post in data["posts"])  # GET /posts lists no media
    _edit_instagram(pulled, text="Look again")
    before = _counted(account)
    for command in (["plan"], ["run", "--yes"]):
        refused = _invoke(account, command[0], str(pulled), *command[1:])
        assert refused.exit_code == 1, refused.output
        assert "pulled-media-unknown" in refused.output
        assert "media: none" in refused.output
    assert _counted(account) == before

    # `media: none` really drops them: Instagram's own rule then speaks, nothing is sent.
    _edit_instagram(pulled, media="none")
    dropped = _invoke(account, "run", str(pulled), "--yes")
    assert dropped.exit_code == 1, dropped.output
    assert "media-required" in dropped.output
    assert "pulled-media-unknown" not in dropped.output
    assert _counted(account) == before

    _edit_instagram(pulled, media=["media/look.png"])
    named = _invoke(account, "run", str(pulled), "--yes")
    assert named.exit_code == 0, named.output
    assert _counted(account) > before


def test_same_month_as_xlsx_after_csv_sends_nothing(
    tmp_path: Path, account: RunningSandbox
) -> None:
    first = _invoke(account, "run", str(_month(tmp_path)), "--yes")
    assert first.exit_code == 0, first.output
    before = _counted(account)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in _rows():
        sheet.append(row)
    book.save(tmp_path / "month.xlsx")
    again = _invoke(account, "run", str(tmp_path / "month.xlsx"), "--yes")
    assert again.exit_code == 0, again.output
    assert _counted(account) == before
    # Nothing left to do for the XLSX's own journal either.
    third = _invoke(account, "run", str(tmp_path / "month.xlsx"), "--yes")
    assert third.exit_code == 0, third.output
    assert _counted(account) == before
