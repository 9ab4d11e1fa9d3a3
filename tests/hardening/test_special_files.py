"""Files that are not regular files, oversize calendars, loops and deep nesting (#19 items 7, 14).

Every FIFO test runs the reader in a worker thread with a timeout: before the fix, opening a
FIFO for reading blocked forever.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calendar_sched.check.validation import validate
from calendar_sched.cli import main
from calendar_sched.errors import ConfigError, InputError
from calendar_sched.files import HeldLock, read_regular
from calendar_sched.load.channels import load_channels_file
from calendar_sched.load.sources import read
from calendar_sched.sheets.source_table import read_source

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX only")

CALENDAR = "id,publish_at,channels,text\na,2030-03-01T09:00:00Z,demo-x,hi\n"


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, or fail if it has not returned after ``seconds``."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the test thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still blocked after {seconds} s")
    if "error" in box:
        raise box["error"]
    return box.get("result")


@pytest.mark.parametrize("name", ["cal.csv", "cal.xlsx", "cal.yaml", "cal.json"])
def test_a_fifo_calendar_is_refused_at_once(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    os.mkfifo(path)
    loaded = _within(5, lambda: read(path))
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert "FIFO (named pipe), not a regular file" in loaded.problems[0].message


def test_a_symlink_to_dev_zero_is_refused_not_read(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    path.symlink_to("/dev/zero")
    loaded = _within(5, lambda: read(path))
    assert "a device, not a regular file" in loaded.problems[0].message


def test_a_calendar_over_the_cap_names_the_limit_and_how_to_raise_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cal.csv"
    path.write_text(CALENDAR + "b,2030-03-02T09:00:00Z,demo-x," + "x" * 1_200_000 + "\n")
    monkeypatch.setenv("CALENDAR_SCHED_MAX_FILE_MB", "1")
    (problem,) = read(path).problems
    assert problem.code == "unreadable-file"
    assert "over the 1 MB limit" in problem.message
    assert "CALENDAR_SCHED_MAX_FILE_MB" in problem.message
    monkeypatch.setenv("CALENDAR_SCHED_MAX_FILE_MB", "2")
    assert [p.code for p in read(path).problems] == ["cell-too-large"]  # read, then checked


def test_read_regular_stops_a_file_that_grows_past_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 2048)
    assert read_regular(path, limit=4096) == b"x" * 2048
    with pytest.raises(InputError, match="over the"):
        read_regular(path, limit=1024)


def test_a_fifo_channels_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    os.mkfifo(path)
    with pytest.raises(InputError, match="not a regular file"):
        _within(5, lambda: load_channels_file(path))
    calendar = tmp_path / "cal.csv"
    calendar.write_text(CALENDAR, encoding="utf-8")
    result = _within(
        20,
        lambda: CliRunner().invoke(main, ["validate", str(calendar), "--channels-file", str(path)]),
    )
    assert result.exit_code == 1
    assert "not a regular file" in result.output


def test_a_fifo_as_media_is_a_row_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "clip.mp4")
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,publish_at,channels,text,media\na,2030-03-01T09:00:00Z,demo-x,hi,clip.mp4\n",
        encoding="utf-8",
    )
    checked = _within(5, lambda: validate([calendar]))
    assert [(p.code, p.row) for p in checked.report.errors] == [("media-not-found", 2)]
    assert "not a regular file" in checked.report.errors[0].message


def test_a_fifo_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cal.journal.jsonl"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match=r"FIFO \(named pipe\), not a regular file"):
        _within(5, lambda: HeldLock(path))


def test_a_symlink_loop_is_a_report_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "loop.csv"
    path.symlink_to(path)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "a loop" in result.output
    assert "This is a bug" not in result.output


def test_deeply_nested_json_in_a_settings_cell_is_a_row_error(tmp_path: Path) -> None:
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,publish_at,channels,text,settings.x.community\n"
        f"a,2030-03-01T09:00:00Z,demo-x,hi,{'[' * 50_000}\n",
        encoding="utf-8",
    )
    checked = validate([calendar])
    assert [(p.code, p.row, p.field) for p in checked.report.errors] == [
        ("bad-value", 2, "settings.x.community")
    ]
    assert "nested too deeply" in checked.report.errors[0].message


def test_run_and_status_refuse_a_fifo_journal(tmp_path: Path) -> None:
    calendar = tmp_path / "cal.csv"
    calendar.write_text(CALENDAR, encoding="utf-8")
    journal = tmp_path / "j.jsonl"
    os.mkfifo(journal)
    for args in (["run", "--yes"], ["status"]):
        command = [args[0], str(calendar), "--journal", str(journal), *args[1:]]
        result = _within(30, lambda command=command: CliRunner().invoke(main, command))
        assert result.exit_code == 4, result.output
        assert "not a regular file; pass --journal with a file path" in result.output


def test_sandbox_serve_refuses_a_fifo_channels_file(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    os.mkfifo(path)
    command = ["sandbox", "serve", "--channels-file", str(path)]
    result = _within(20, lambda: CliRunner().invoke(main, command))
    assert result.exit_code == 1, result.output
    assert "not a regular file" in result.output


@pytest.mark.parametrize("name", ["deep.json", "deep.yaml"])
def test_deeply_nested_documents_are_a_clear_report(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    depth = 990 if name.endswith(".yaml") else 50_000  # libyaml stops at 1000 levels itself
    path.write_text(
        '{"posts": [{"text": "hi", "settings": {"x": {"a": ' + "[" * depth + "]" * depth + "}}}]}",
        encoding="utf-8",
    )
    (problem,) = read(path).problems
    assert problem.code == "unreadable-file"
    assert "nested too deeply" in problem.message


def test_export_of_a_deeply_nested_source_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"posts": [{"text": ' + "[" * 50_000 + "]" * 50_000 + "}]}")
    with pytest.raises(InputError, match="nested too deeply"):
        read_source(path)
