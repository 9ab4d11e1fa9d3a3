"""User values are printed as they are: no rich markup, no terminal control (#19 item 10).

``[/]`` in a channel, zone, date, id, media path or column name used to crash the report with
rich's MarkupError ("This is a bug"); ESC in a name could drive the terminal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.cli.render import console, plain

DAY = datetime.now(UTC) + timedelta(days=6)


@pytest.fixture(autouse=True)
def _no_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_a_report_of_values_that_look_like_markup_prints_them_literally(tmp_path: Path) -> None:
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text,media,[/]col\n"
        f"[/]one,{DAY:%Y-%m-%d},09:00,[/]Zone,x,Hello,,v\n"
        f"two,[bold]x,09:00,UTC,x,Hello,,v\n"
        f"four,{DAY:%Y-%m-%d},11:00,UTC,[/]Ghost\x1b[2J,Hello,,v\n"
        f"three,{DAY:%Y-%m-%d},10:00,UTC,x,Hello,media/[/].png,v\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["plan", str(calendar)], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "MarkupError" not in result.output
    assert "bug" not in result.output
    for shown in ("[/]Zone", "[bold]x", "[/]Ghost", "media/[/].png", "[/]col"):
        assert shown in result.output, shown
    assert "\x1b" not in result.output


def test_a_run_names_channels_with_brackets_and_escapes_as_text(tmp_path: Path) -> None:
    channels = tmp_path / "channels.json"
    name = "[red]Bakery[/] \x1b]0;pwned\x07X"
    channels.write_text(
        json.dumps([{"id": "bakery-x", "name": name, "identifier": "x"}]), encoding="utf-8"
    )
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        f"id,date,time,timezone,channels,text\nr1,{DAY:%Y-%m-%d},09:00,UTC,bakery-x,Hello\n",
        encoding="utf-8",
    )
    args = ["run", str(calendar), "--channels-file", str(channels), "--yes"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1/1 post scheduled" in result.output
    status = CliRunner().invoke(main, ["status", str(calendar)])
    assert status.exit_code == 0, status.output
    assert "\x1b" not in result.output + status.output


def test_the_console_strips_controls_but_keeps_text() -> None:
    assert plain("a\x1b[2Jb\x07c\x9bd\te\nf") == "a[2Jbcd\te\nf"
    out = console()
    with out.capture() as captured:
        out.print("[/] :coffee: \x1b[31mred")
    assert captured.get() == "[/] :coffee: [31mred\n"
