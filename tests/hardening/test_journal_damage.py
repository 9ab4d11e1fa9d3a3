"""A damaged journal is kept aside and rebuilt; a full disk is a pause, not a bug (#19 12, 13).

Against a sandbox served with a bakery's own channels: garbage, NULs and a malformed event in the
middle of a journal used to stop every run with exit 3 and no advice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main
from calendar_sched.errors import DiskFull
from calendar_sched.models import Channel
from calendar_sched.run.journal import Journal, read_state
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="bakery-bsky", name="Bakery Bluesky", identifier="bluesky"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)
DAY = datetime.now(UTC) + timedelta(days=7)


@pytest.fixture
def bakery(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _run(args: list[str], bakery: RunningSandbox) -> Result:
    env = {"POSTIZ_API_URL": bakery.url, "POSTIZ_API_KEY": bakery.api_key}
    return CliRunner().invoke(main, args, env=env)


def _calendar(path: Path, rows: int) -> Path:
    lines = ["id,date,time,timezone,channels,text"]
    lines += [
        f'r{n},{DAY:%Y-%m-%d},{8 + n:02d}:00,UTC,"Bakery Bluesky, Bakery Mastodon",Loaf {n}'
        for n in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_journal_damaged_in_the_middle_is_kept_aside_rebuilt_and_the_run_goes_on(
    tmp_path: Path, bakery: RunningSandbox
) -> None:
    calendar = _calendar(tmp_path / "bakery.csv", 4)
    assert _run(["run", str(calendar), "--yes"], bakery).exit_code == 0
    journal = tmp_path / "bakery.csv.journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    succeeded = [i for i, line in enumerate(lines) if b'"event":"succeeded"' in line]
    lines[succeeded[0]] = b"\x00\x00garbage{\n"  # an outcome lost to garbage
    lines[succeeded[1]] = json.dumps({"event": "succeeded", "call": 7}).encode() + b"\n"
    lines.insert(3, b"not json at all\n")
    journal.write_bytes(b"".join(lines))
    counted = bakery.stats()["counted_requests"]

    shown = CliRunner().invoke(main, ["status", str(calendar)])
    assert shown.exit_code == 0, shown.output
    assert "3 damaged journal lines left out" in shown.output

    again = _run(["run", str(calendar), "--yes"], bakery)
    assert again.exit_code == 0, again.output
    assert "was damaged (2 unreadable and 1 malformed lines)" in again.output
    copies = list(tmp_path.glob("bakery.csv.journal.jsonl.damaged-*"))
    assert len(copies) == 1
    assert b"garbage" in copies[0].read_bytes()
    assert b"garbage" not in journal.read_bytes()
    # The account's listing says the posts are there, the same: nothing is sent again.
    assert bakery.stats()["counted_requests"] == counted
    assert "8/8 posts scheduled" in again.output
    state = read_state(journal)
    assert (state.damaged, len(state.done)) == (0, 8)


def test_a_damaged_header_still_refuses_with_advice(tmp_path: Path, bakery: RunningSandbox) -> None:
    calendar = _calendar(tmp_path / "bakery.csv", 1)
    (tmp_path / "bakery.csv.journal.jsonl").write_bytes(b"\x00garbage\n{}\n")
    result = _run(["run", str(calendar), "--yes"], bakery)
    assert result.exit_code == 3, result.output
    assert "--journal NEW" in result.output
    assert bakery.stats()["counted_requests"] == 0


def test_a_full_disk_is_reported_as_such_and_the_journal_stays_whole(tmp_path: Path) -> None:
    path = tmp_path / "month.journal.jsonl"
    with Journal(path, fingerprint="fp") as journal:
        size = path.stat().st_size
        real = journal._file  # noqa: SLF001 - swapped for /dev/full, which answers ENOSPC
        assert real is not None
        with open("/dev/full", "r+b", buffering=0) as full:
            journal._file = full  # noqa: SLF001
            with pytest.raises(DiskFull, match="the disk is full.*run the same command again"):
                journal.planned([])
            journal._file = real  # noqa: SLF001
    assert path.stat().st_size == size
    assert read_state(path).damaged == 0


def test_a_full_disk_exits_75(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import calendar_sched.cli.status as status

    def full(*args: object, **kwargs: object) -> object:
        raise DiskFull("the disk is full: x cannot be written")

    monkeypatch.setattr(status, "read_state", full)
    calendar = _calendar(tmp_path / "bakery.csv", 1)
    (tmp_path / "bakery.csv.journal.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["status", str(calendar)])
    assert result.exit_code == 75, result.output
    assert "the disk is full" in result.output
