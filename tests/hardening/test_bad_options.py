"""Absurd option values and unusable output paths are usage errors (exit 2), not crashes (#19 14).

``--window inf`` or ``nan`` used to crash ("This is a bug", exit 3), ``--snap 99999999999`` moved
every time to 1970, ``export --to`` an unwritable path crashed, a bad ``--to``/``--out`` suffix
exited 4 (configuration).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def calendar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SAMPLES / "media", tmp_path / "media")
    return Path(shutil.copy(SAMPLES / "december.csv", tmp_path / "december.csv"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--window", "inf"], "not in the range 1<=x<=86400"),
        (["plan", "--window", "nan"], "nan is not a number of seconds"),
        (["run", "--window", "1e308", "--yes"], "not in the range 1<=x<=86400"),
        (["plan", "--snap", "99999999999"], "not in the range 1<=x<=1440"),
        (["run", "--snap", "0", "--yes"], "not in the range 1<=x<=1440"),
        (["export", "--to", "out.docx"], "write a .csv, .xlsx, .json, .html or .htm file"),
        (["export", "--to", "/proc/x.csv"], "cannot write in /proc"),
    ],
)
def test_usage_errors_exit_2_and_say_why(calendar: Path, args: list[str], message: str) -> None:
    command, *rest = args
    result = CliRunner().invoke(main, [command, str(calendar), *rest])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "bug" not in result.output
    assert not (calendar.parent / "december.csv.journal.jsonl").exists()  # nothing ran


def test_pull_to_an_unknown_format_is_a_usage_error(calendar: Path) -> None:
    args = ["pull", "--from", "2026-12-01", "--to", "2026-12-31", "--out", "x.docx"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "write a .yaml, .yml, .csv or .xlsx file" in result.output
