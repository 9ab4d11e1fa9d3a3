"""Edited rows without an id are not sent beside their old posts silently (#19 item 3).

A row without an ``id`` is known by a hash of its time, text and channels: an edit makes a new
post and the old one stays scheduled. ``run`` names such pairs and needs ``--edits replace|keep``
(or an answer); ``calendar-sched ids FILE`` writes the ids rows are known by, keeping every other
byte, so later edits update in place. Against a sandbox with a bakery's own channel list.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from click.testing import CliRunner, Result

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.cli import main
from calendar_sched.models import Channel
from calendar_sched.sandbox.server import RunningSandbox

CHANNELS = (
    Channel(id="bakery-bsky", name="Bakery Bluesky", identifier="bluesky"),
    Channel(id="bakery-masto", name="Bakery Mastodon", identifier="mastodon"),
)
DAY = datetime.now(UTC) + timedelta(days=5)
HEADER = "date,time,timezone,channels,text"


def _rows(*texts: str) -> list[str]:
    return [f'{DAY:%Y-%m-%d},{9 + n:02d}:00,UTC,Bakery Mastodon,"{t}"' for n, t in enumerate(texts)]


def _write(path: Path, lines: list[str], newline: str = "\n", bom: bool = False) -> Path:
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


@pytest.fixture
def bakery(sandbox_server_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_server_factory(channels=CHANNELS)


def _run(args: list[str], bakery: RunningSandbox, input: str | None = None) -> Result:
    env = {"POSTIZ_API_URL": bakery.url, "POSTIZ_API_KEY": bakery.api_key}
    return CliRunner().invoke(main, args, env=env, input=input)


def _texts(bakery: RunningSandbox) -> list[str]:
    answer = httpx.get(
        f"{bakery.url}/public/v1/posts",
        params={
            "startDate": f"{DAY - timedelta(days=1):%Y-%m-%dT00:00:00Z}",
            "endDate": f"{DAY + timedelta(days=1):%Y-%m-%dT00:00:00Z}",
        },
        headers={"Authorization": bakery.api_key},
        timeout=10,
    )
    answer.raise_for_status()
    # Postiz stores content as HTML (<p>…</p>): compare the text.
    return sorted(re.sub(r"<[^>]+>", "", str(post["content"])) for post in answer.json()["posts"])


def _keys(path: Path) -> set[str]:
    channels = list(CHANNELS)
    return {post.key for post in validate([path], ValidateOptions(channels=channels)).posts}


@pytest.fixture
def edited(tmp_path: Path, bakery: RunningSandbox) -> Path:
    """A calendar without ids that ran, then had the text of its second row edited."""
    calendar = _write(tmp_path / "bakery.csv", [HEADER, *_rows("Rye", "Spelt")])
    assert _run(["run", str(calendar), "--yes"], bakery).exit_code == 0
    return _write(calendar, [HEADER, *_rows("Rye", "Spelt, now with seeds")])


def test_a_script_sends_nothing_and_names_the_rows_that_look_edited(
    edited: Path, bakery: RunningSandbox
) -> None:
    result = _run(["run", str(edited), "--yes"], bakery)
    assert result.exit_code == 1, result.output
    assert "1 row without an id look edited" in result.output
    assert "bakery.csv row 3 on Bakery Mastodon (before: bakery.csv row 3 on Bakery" in (
        result.output
    )
    assert "--edits replace" in result.output
    assert "Nothing was sent." in result.output
    assert _texts(bakery) == ["Rye", "Spelt"]


def test_edits_replace_deletes_the_old_post_and_sends_the_new(
    edited: Path, bakery: RunningSandbox
) -> None:
    result = _run(["run", str(edited), "--yes", "--edits", "replace"], bakery)
    assert result.exit_code == 0, result.output
    assert "--edits replace deletes 1 post that left the calendar:" in result.output
    assert _texts(bakery) == ["Rye", "Spelt, now with seeds"]


def test_edits_keep_publishes_both_and_an_answer_at_the_prompt_works_too(
    edited: Path, bakery: RunningSandbox
) -> None:
    asked = _run(["run", str(edited)], bakery, input="keep\ny\n")
    assert asked.exit_code == 0, asked.output
    assert "Replace the old posts (delete them), keep both, or stop?" in asked.output
    assert _texts(bakery) == ["Rye", "Spelt", "Spelt, now with seeds"]


def test_ids_then_an_edit_updates_the_post_in_place(edited: Path, bakery: RunningSandbox) -> None:
    calendar = _write(edited, [HEADER, *_rows("Rye", "Spelt")])  # as it was sent
    before = _keys(calendar)
    added = CliRunner().invoke(main, ["ids", str(calendar)])
    assert added.exit_code == 0, added.output
    assert "an id column; 2 rows given their id" in added.output
    assert _keys(calendar) == before  # the posts already sent keep their keys
    lines = calendar.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("Spelt", "Spelt, now with seeds")
    calendar.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(["run", str(calendar), "--yes"], bakery)
    assert result.exit_code == 0, result.output
    assert "look edited" not in result.output
    assert "1 post in 1 request" in result.output  # the edited row only, under its old id
    assert "1 counted request sent" in result.output
    assert _texts(bakery) == ["Rye", "Spelt, now with seeds"]


def test_ids_keeps_every_other_byte_of_a_csv(tmp_path: Path) -> None:
    lines = [
        HEADER,
        f'{DAY:%Y-%m-%d},09:00,UTC,Bakery Mastodon,"Two lines:\r\nrye and spelt"',
        "",
        f"{DAY:%Y-%m-%d},10:00,UTC,Bakery Bluesky,Plain",
    ]
    original = "\r\n".join(lines) + "\r\n"
    calendar = tmp_path / "crlf.csv"
    calendar.write_bytes(b"\xef\xbb\xbf" + original.encode("utf-8"))
    before = _keys(calendar)
    assert CliRunner().invoke(main, ["ids", str(calendar), "--channels-file", _channels(tmp_path)])
    data = calendar.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    written = data[3:].decode("utf-8").split("\r\n")
    assert written[0] == "id," + lines[0]
    assert written[1].endswith("," + lines[1].split("\r\n")[0])  # the id before the record
    assert written[3] == ""  # a blank line stays blank
    # Each record's id, taken off again, gives back the file byte for byte.
    keys = sorted(k.split("@")[0] for k in before)
    stripped = data[3:].decode("utf-8")
    for key in ["id", *keys]:
        stripped = stripped.replace(key + ",", "", 1)
    assert stripped == original
    assert _keys(calendar) == before
    again = calendar.read_bytes()
    assert CliRunner().invoke(main, ["ids", str(calendar)]).exit_code == 0
    assert calendar.read_bytes() == again  # nothing left to add


def test_ids_fills_only_blank_id_cells(tmp_path: Path) -> None:
    calendar = _write(
        tmp_path / "part.csv",
        [
            "id;date;time;timezone;channels;text",
            f"rye-1;{DAY:%Y-%m-%d};09:00;UTC;Bakery Mastodon;'quoted'  text",
            f";{DAY:%Y-%m-%d};10:00;UTC;Bakery Mastodon;Spelt",
        ],
    )
    first = calendar.read_text(encoding="utf-8").splitlines()[:2]
    before = _keys(calendar)
    result = CliRunner().invoke(main, ["ids", str(calendar)])
    assert "1 row given their id" in result.output
    now = calendar.read_text(encoding="utf-8").splitlines()
    assert now[:2] == first
    assert now[2].startswith(next(k.split("@")[0] for k in before if not k.startswith("rye")))
    assert _keys(calendar) == before


def test_ids_in_a_workbook_and_a_yaml_file(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [HEADER.split(","), [f"{DAY:%Y-%m-%d}", "09:00", "UTC", "Bakery Mastodon", "Rye"]]:
        sheet.append(row)
    path = tmp_path / "month.xlsx"
    workbook.save(path)
    before = _keys(path)
    result = CliRunner().invoke(main, ["ids", str(path)])
    assert result.exit_code == 0, result.output
    assert "month.before-ids.xlsx" in result.output
    assert (tmp_path / "month.before-ids.xlsx").exists()
    assert openpyxl.load_workbook(path).active["F1"].value == "id"  # type: ignore[index]
    assert _keys(path) == before

    yaml_file = tmp_path / "month.yaml"
    yaml_file.write_text(
        f"posts:\n  - date: '{DAY:%Y-%m-%d}'\n    time: '09:00'\n    timezone: UTC\n"
        "    channels: Bakery Mastodon\n    text: Rye\n",
        encoding="utf-8",
    )
    listed = CliRunner().invoke(main, ["ids", str(yaml_file)])
    assert listed.exit_code == 0, listed.output
    key = next(iter(_keys(yaml_file))).split("@")[0]
    assert f"item 0 (line 2): id: {key}" in listed.output
    assert "id:" not in yaml_file.read_text(encoding="utf-8")


def test_ids_picks_the_sheet_as_validate_does(tmp_path: Path) -> None:
    # ``--sheet ideas`` for a sheet named "Ideas": validate read it, ids raised a KeyError.
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Notes"
    ideas = workbook.create_sheet("Ideas")
    for row in [HEADER.split(","), [f"{DAY:%Y-%m-%d}", "09:00", "UTC", "Bakery Mastodon", "Rye"]]:
        ideas.append(row)
    path = tmp_path / "month.xlsx"
    workbook.save(path)
    result = CliRunner().invoke(main, ["ids", str(path), "--sheet", "ideas"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path)["Ideas"]["F1"].value == "id"
    missing = CliRunner().invoke(main, ["ids", str(path), "--sheet", "January"])
    assert missing.exit_code == 1, missing.output
    assert "no sheet named 'January'; the workbook has 'Notes', 'Ideas'" in missing.output


def test_ids_in_a_macro_workbook_keeps_its_macros(tmp_path: Path) -> None:
    # .xlsm is read as .xlsx is; ids used to take it for a CSV and say "rename it to .xlsx",
    # which would have lost the macros.
    plain = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [HEADER.split(","), [f"{DAY:%Y-%m-%d}", "09:00", "UTC", "Bakery Mastodon", "Rye"]]:
        sheet.append(row)
    workbook.save(plain)
    path = tmp_path / "month.xlsm"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"macros stand-in")
    result = CliRunner().invoke(main, ["ids", str(path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "month.before-ids.xlsm").exists()
    assert openpyxl.load_workbook(path).active["F1"].value == "id"  # type: ignore[index]
    with zipfile.ZipFile(path) as written:
        assert written.read("xl/vbaProject.bin") == b"macros stand-in"


def _channels(tmp_path: Path) -> str:
    import json

    path = tmp_path / "channels.json"
    path.write_text(
        json.dumps([{"id": c.id, "name": c.name, "identifier": c.identifier} for c in CHANNELS]),
        encoding="utf-8",
    )
    return str(path)
