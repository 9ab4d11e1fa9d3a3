"""Export: source rows back with status, post ids and errors; per-post rows; safe writers."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from calendar_sched import files
from calendar_sched.errors import ConfigError, InputError
from calendar_sched.models import Channel, Position, Post, PostValue
from calendar_sched.report import RowError
from calendar_sched.sheets import results, source_table, writers
from calendar_sched.sheets.outcomes import (
    PostOutcome,
    journal_outcomes,
    pending_outcomes,
    refresh_outcomes,
    row_status,
)
from calendar_sched.sheets.results import export_rows
from calendar_sched.targets.base import RemotePost

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


def _outcome(
    entry: str, channel: str, status: Any, row: int | None = None, **kw: Any
) -> PostOutcome:
    file = kw.pop("file", str(GOLDEN / "calendar.csv"))
    return PostOutcome(
        post_key=f"{entry}@{channel}",
        entry_key=entry,
        channel_id=channel,
        channel_name=kw.pop("channel_name", channel.replace("demo-", "Acme ")),
        status=status,
        position=Position(file=file, sheet=kw.pop("sheet", None), row=row)
        if row is not None
        else kw.pop("position", None),
        **kw,
    )


def _csv_outcomes() -> list[PostOutcome]:
    return [
        _outcome("launch", "demo-x", "scheduled", 2, remote_id="p1", publish_at_utc=_at(1, 8)),
        _outcome(
            "launch",
            "demo-linkedin",
            "failed",
            2,
            error="post is too long, please fix it",
            publish_at_utc=_at(1, 8),
            request=1,
        ),
        _outcome("webinar", "demo-x", "published", 4, remote_id="p2", publish_at_utc=_at(2, 14)),
        _outcome("tips", "demo-linkedin", "pending", 5, publish_at_utc=_at(3, 9)),
    ]


def _golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs; UPDATE_GOLDEN=1 regenerates it"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], None),
        (["scheduled"], "scheduled"),
        (["scheduled", "scheduled"], "scheduled"),
        (["scheduled", "failed"], "partial"),
        (["published", "pending"], "partial"),
        (["draft", "skipped"], "partial"),
        (["published", "scheduled"], "scheduled"),
        (["published", "draft", "scheduled"], "draft"),
        (["failed", "pending"], "failed"),
        (["pending", "skipped"], "pending"),
        (["skipped"], "skipped"),
    ],
)
def test_row_status(statuses: list[Any], expected: str | None) -> None:
    assert row_status(statuses) == expected


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("=1+2", "'=1+2"),
        ("+1 tip", "'+1 tip"),
        ("-5% off", "'-5% off"),
        ("@mention", "'@mention"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_neutralise(raw: str, escaped: str) -> None:
    assert writers.neutralise(raw) == escaped


def test_read_csv_keeps_every_column_and_row_number() -> None:
    source = source_table.read_source(GOLDEN / "calendar.csv")
    assert source.header == ["id", "publish_at", "channels", "text", "notes"]
    assert source.delimiter == ";"
    assert [number for number, _ in source.rows] == [2, 3, 4, 5]
    assert source.rows[0][1][3] == "Launch day!\nTwo lines"
    assert source.rows[1][1] == ["", "", "", "", ""]


def test_csv_write_back_golden(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    result = export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), out)
    assert result.rows == 4
    assert result.statuses == {"scheduled": 1, "published": 1, "failed": 1, "pending": 1}
    data = out.read_bytes()
    _golden("calendar.results.csv", data)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["id", "publish_at", "channels", "text", "notes", *results.RESULT_COLUMNS]
    launch = dict(zip(rows[0], rows[1], strict=True))
    assert launch["status"] == "partial"
    assert launch["post_ids"] == "demo-x=p1"
    assert launch["publish_at_utc"] == "2026-12-01T08:00:00Z"
    assert launch["error"] == "Acme linkedin: post is too long, please fix it"
    assert launch["notes"] == '\'=HYPERLINK("http://evil")'
    assert rows[2] == [""] * 9  # the blank row stays, so later rows keep their numbers
    assert rows[3][3:6] == ["'-5% off & more", "'@mention", "published"]
    assert rows[4][5] == "pending"


def test_json_write_back_golden(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), out, summary={"target": "sandbox"})
    data = out.read_bytes()
    _golden("calendar.results.json", data)
    document = json.loads(data)
    assert document["summary"]["target"] == "sandbox"
    assert document["summary"]["posts_failed"] == 1
    first = document["rows"][0]
    assert first["row"] == 2
    assert first["values"]["post_ids"] == {"demo-x": "p1"}
    assert first["values"]["notes"] == '=HYPERLINK("http://evil")'  # JSON is data, not a sheet


def test_xlsx_write_back_reads_back_with_types_styles_and_escaping(tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), out, summary={"requests_sent": 3})
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Results", "About"]
    sheet = workbook["Results"]
    header = [c.value for c in sheet[1]]
    assert header[-4:] == list(results.RESULT_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width >= 8
    status = header.index("status") + 1
    fills = {sheet.cell(r, status).value: sheet.cell(r, status).fill.fgColor.rgb for r in (2, 4, 5)}
    assert fills == {"partial": "00F8CBAD", "published": "00C6EFCE", "pending": "00FFEB9C"}
    when = sheet.cell(2, header.index("publish_at_utc") + 1)
    assert when.value == datetime(2026, 12, 1, 8, 0)
    assert when.is_date
    assert when.number_format == "yyyy-mm-dd hh:mm"
    formula = sheet.cell(2, header.index("notes") + 1)
    assert formula.value == '=HYPERLINK("http://evil")'
    assert formula.data_type == "s"
    assert formula.quotePrefix
    plain = sheet.cell(5, header.index("notes") + 1)
    assert plain.value == "plain"
    assert not plain.quotePrefix
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
    assert about["source"] == "calendar.csv"
    assert about["requests_sent"] == 3
    assert about["posts"] == 4


def test_xlsx_source_keeps_types_and_row_numbers(tmp_path: Path) -> None:
    source = tmp_path / "month.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "December"
    sheet.append(["id", "date", "time", "channels", "text", "budget"])
    sheet.append(["a", date(2026, 12, 1), "09:00", "demo-x", "Hello", 12.5])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["b", date(2026, 12, 2), "10:00", "demo-x", "World", 3])
    book.create_sheet("Notes").append(["ignored"])
    book.save(source)
    outcomes = [
        _outcome("a", "demo-x", "scheduled", 2, remote_id="r1", file=str(source), sheet="December"),
        _outcome("b", "demo-x", "draft", 4, remote_id="r2", file=str(source), sheet="December"),
        _outcome("c", "demo-x", "failed", 2, file=str(source), sheet="Notes"),  # other sheet
    ]
    out = tmp_path / "back.xlsx"
    export_rows(source, outcomes, out)
    back = openpyxl.load_workbook(out)["December"]
    assert back.cell(2, 2).value == datetime(2026, 12, 1)
    assert back.cell(2, 2).is_date
    assert back.cell(2, 6).value == 12.5
    assert [back.cell(r, 1).value for r in (2, 3, 4)] == ["a", None, "b"]
    assert [back.cell(r, 7).value for r in (2, 3, 4)] == ["scheduled", None, "draft"]
    assert back.cell(4, 8).value == "demo-x=r2"


def test_xlsx_named_sheet_missing_is_input_error(tmp_path: Path) -> None:
    source = tmp_path / "month.xlsx"
    openpyxl.Workbook().save(source)
    with pytest.raises(InputError, match="no sheet named 'Nope'; the workbook has 'Sheet'"):
        source_table.read_source(source, sheet="Nope")


def test_xlsx_sheet_is_picked_as_validate_picks_it(tmp_path: Path) -> None:
    # Case and spaces aside, as the reader's --sheet: export used to want the exact name.
    source = tmp_path / "month.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    ideas = book.create_sheet("Ideas")
    ideas.append(["text", "channels"])
    ideas.append(["hello", "x"])
    book.save(source)
    table = source_table.read_source(source, sheet=" ideas")
    assert (table.sheet, table.header, table.rows) == (
        "Ideas",
        ["text", "channels"],
        [(2, ["hello", "x"])],
    )


def test_yaml_source_rows_are_its_items(tmp_path: Path) -> None:
    outcomes = [
        _outcome("launch", "demo-x", "scheduled", position=Position(file="calendar.yaml", index=0)),
        _outcome("webinar", "demo-x", "failed", error="boom"),  # no position: matched by id
    ]
    out = tmp_path / "items.csv"
    export_rows(GOLDEN / "calendar.yaml", outcomes, out)
    data = out.read_bytes()
    _golden("calendar-yaml.results.csv", data)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0]["text"] == "Launch day!"
    assert rows[0]["text.x"] == "Launch day on X"
    assert rows[0]["channels"] == "demo-x, demo-linkedin"
    assert rows[0]["thread.1"] == "First reply"
    assert rows[0]["thread.2.delay"] == "5"
    assert rows[0]["settings.x.who_can_reply_post"] == "everyone"
    assert rows[0]["status"] == "scheduled"
    assert rows[1]["text"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["tags"] == "events, webinar"
    assert (rows[1]["status"], rows[1]["error"]) == ("failed", "Acme x: boom")
    document = json.loads(
        writers.json_text(
            results.results_table(source_table.read_source(GOLDEN / "calendar.yaml"), outcomes)
        )
    )
    assert [r["item"] for r in document["rows"]] == [0, 1]


def test_re_export_overwrites_result_columns(tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), first)
    later = [_outcome("tips", "demo-linkedin", "scheduled", 5, remote_id="p9", file=str(first))]
    second = tmp_path / "second.csv"
    export_rows(first, later, second)
    rows = list(csv.reader(io.StringIO(second.read_text("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0].count("status") == 1
    assert len(rows[0]) == 9
    assert rows[4][5:7] == ["scheduled", "demo-linkedin=p9"]
    assert rows[1][5] == ""  # no outcome for this row in the second export


def test_validation_errors_fill_their_rows() -> None:
    source = source_table.read_source(GOLDEN / "calendar.csv")
    problems = [
        RowError("bad-datetime", "cannot read 'soon'", row=5, field="publish_at"),
        RowError("past-publish-time", "in the past", row=4),
    ]
    table = results.results_table(source, [], problems)
    status, error = table.header.index("status"), table.header.index("error")
    assert table.rows[3][status] == "invalid"
    assert table.rows[3][error] == "bad-datetime: cannot read 'soon'"
    assert table.rows[2][status] is None  # warnings are not failures


def test_per_post_export(tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    result = export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), out, per_post=True)
    assert result.rows == 4
    data = out.read_bytes()
    _golden("calendar.posts.csv", data)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(results.PER_POST_COLUMNS)
    assert rows[1] == {
        "entry": "launch",
        "channel": "demo-linkedin",
        "channel_name": "Acme linkedin",
        "post_id": "",
        "status": "failed",
        "publish_at_utc": "2026-12-01T08:00:00Z",
        "request": "1",
        "error": "post is too long, please fix it",
    }
    xlsx = tmp_path / "posts.xlsx"
    export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), xlsx, per_post=True)
    sheet = openpyxl.load_workbook(xlsx)["Posts"]
    assert sheet.cell(3, 7).value == 1
    assert sheet.cell(2, 6).is_date


def test_pending_outcomes_from_posts() -> None:
    channel = Channel(id="demo-x", name="Acme on X", identifier="x")
    post = Post(
        entry_key="launch",
        position=Position(file="c.csv", row=2),
        channel=channel,
        publish_at=_at(1, 8),
        values=[PostValue(text="hi")],
    )
    (outcome,) = pending_outcomes([post])
    assert (outcome.post_key, outcome.status, outcome.channel_name) == (
        "launch@demo-x",
        "pending",
        "Acme on X",
    )
    assert outcome.position == post.position
    assert outcome.publish_at_utc == _at(1, 8)


def test_refresh_outcomes_applies_server_states() -> None:
    def remote(rid: str, state: str, **raw: Any) -> RemotePost:
        return RemotePost(rid, "demo-x", _at(5, 9), state, "<p>x</p>", None, raw)

    outcomes = [
        _outcome("a", "demo-x", "scheduled", 2, remote_id="p1"),
        _outcome("b", "demo-x", "scheduled", 3, remote_id="p2"),
        _outcome("c", "demo-x", "scheduled", 4, remote_id="gone"),
        _outcome("d", "demo-x", "pending", 5),
    ]
    fresh = refresh_outcomes(
        outcomes, [remote("p1", "PUBLISHED"), remote("p2", "ERROR", error="token expired")]
    )
    assert [o.status for o in fresh] == ["published", "failed", "scheduled", "pending"]
    assert fresh[0].publish_at_utc == _at(5, 9)
    assert fresh[1].error == "token expired"
    assert fresh[2].error == "not listed by the server any more (deleted?)"
    assert fresh[3] == outcomes[3]


def test_unknown_output_format_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use a .csv, .xlsx or .json"):
        export_rows(GOLDEN / "calendar.csv", [], tmp_path / "out.ods")


def test_unreadable_source_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a CSV, XLSX, YAML or JSON"):
        source_table.read_source(tmp_path / "x.pdf")
    with pytest.raises(InputError, match="cannot read"):
        source_table.read_source(tmp_path / "missing.csv")


def test_atomic_write_leaves_old_file_and_no_temp_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "results.csv"
    out.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        export_rows(GOLDEN / "calendar.csv", _csv_outcomes(), out)
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "results.json"
    files.atomic_write_text(out, "x" * 1000)
    files.atomic_write_text(out, "short")
    assert out.read_text() == "short"
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]


def _journal_posts() -> list[Post]:
    x = Channel(id="demo-x", name="Acme on X", identifier="x")
    li = Channel(id="demo-linkedin", name="Acme LinkedIn", identifier="linkedin")

    def make(key: str, channel: Channel, row: int, **kw: Any) -> Post:
        return Post(
            entry_key=key,
            position=Position(file="month.csv", row=row),
            channel=channel,
            publish_at=_at(1, 8),
            values=[PostValue(text=kw.pop("text", key))],
            **kw,
        )

    return [
        make("a", x, 2),
        make("a", li, 2),
        make("b", x, 3, type="draft"),
        make("c", x, 4),
        make("d", x, 5),
        make("e", x, 6),
    ]


def test_journal_outcomes_from_a_real_journal(tmp_path: Path) -> None:
    from calendar_sched.run.journal import Journal
    from calendar_sched.targets.base import SentPost

    a_x, a_li, b, c, d, e = _journal_posts()
    path = tmp_path / "month.csv.journal.jsonl"
    assert {o.status for o in journal_outcomes([a_x, b], path)} == {"pending"}
    with Journal(path, fingerprint="fp") as journal:
        journal.planned([a_x, a_li, b, c, d])
        call = journal.started([a_x, a_li], counted=True)
        journal.succeeded(call, [SentPost(a_x.key, "r1", "demo-x")])
        journal.post_failed(a_li.key, "post is too long, please fix it", status=400)
        call = journal.started([b, c])
        journal.succeeded(call, [SentPost(b.key, "r2", "demo-x"), SentPost(c.key, "r3", "demo-x")])
        journal.started([d])  # no outcome: the answer was lost
    edited_c = replace(c, values=[PostValue(text="c, edited")])
    outcomes = journal_outcomes([a_x, a_li, b, edited_c, d, e], path)
    # Requests are numbered from 1, as the run's log and ``plan --json`` number them.
    got = [(o.post_key, o.status, o.remote_id, o.request) for o in outcomes]
    assert got == [
        ("a@demo-x", "scheduled", "r1", 1),
        ("a@demo-linkedin", "failed", None, 1),
        ("b@demo-x", "draft", "r2", 2),
        ("c@demo-x", "pending", "r3", 2),
        ("d@demo-x", "pending", None, 3),
        ("e@demo-x", "skipped", None, None),
    ]
    assert outcomes[1].error == "post is too long, please fix it"
    assert outcomes[3].error == "edited since it was sent; run again to update it"
    assert outcomes[4].error == "sent, but the answer was lost; run again to reconcile"
    assert outcomes[0].position == a_x.position


EXPORT_CALENDAR = """id,publish_at,channels,text,notes
launch,2030-03-01T09:00:00+01:00,"demo-x, demo-linkedin",Launch day,=1+2
broken,not a date,demo-x,Oops,
tips,2030-03-02T10:30:00+01:00,demo-linkedin,Weekly tip,
"""


def test_export_cli_from_journal_and_refresh(
    sandbox_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from calendar_sched.check.validation import validate
    from calendar_sched.cli import main
    from calendar_sched.run.journal import Journal, journal_path_for
    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSTIZ_API_URL", sandbox_server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", sandbox_server.api_key)
    Path("month.csv").write_text(EXPORT_CALENDAR, encoding="utf-8")
    posts = validate(["month.csv"]).posts
    assert [p.key for p in posts] == ["launch@demo-x", "launch@demo-linkedin", "tips@demo-linkedin"]
    runner = CliRunner()
    before = runner.invoke(main, ["export", "month.csv", "--to", "before.json", "--json"])
    assert before.exit_code == 0, before.output
    assert json.loads(before.output)["statuses"] == {"pending": 3}
    with (
        PostizClient(sandbox_server.url, sandbox_server.api_key) as client,
        Journal(journal_path_for("month.csv"), fingerprint="fp") as journal,
    ):
        backend = PostizBackend(client)
        journal.planned(posts)
        call = journal.started(posts[:2])
        journal.succeeded(call, backend.create(posts[:2], {}))
    result = runner.invoke(main, ["export", "month.csv", "--to", "after.xlsx"])
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote 3 rows to after.xlsx (2 scheduled, 1 pending)\n"
    sheet = openpyxl.load_workbook("after.xlsx")["Results"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[5] for r in rows] == ["scheduled", "invalid", "pending"]
    assert rows[0][6].count("=") == 2  # demo-x=<id>; demo-linkedin=<id>
    assert rows[1][8].startswith("bad-datetime: ")
    assert sheet.cell(2, 5).value == "=1+2"
    assert sheet.cell(2, 5).quotePrefix
    about = dict(
        openpyxl.load_workbook("after.xlsx")["About"].iter_rows(min_row=2, values_only=True)
    )
    assert about["requests_sent"] == 1
    assert about["invalid_rows"] == 1
    fresh = runner.invoke(main, ["export", "month.csv", "--to", "p.csv", "--per-post", "--refresh"])
    assert fresh.exit_code == 0, fresh.output
    per_post = list(csv.DictReader(io.StringIO(Path("p.csv").read_text("utf-8-sig"))))
    assert [(r["entry"], r["status"], r["request"]) for r in per_post] == [
        ("launch", "scheduled", "1"),  # request 1, as the run's log and plan --json say
        ("launch", "scheduled", "1"),
        ("tips", "pending", ""),
    ]
    assert sandbox_server.stats()["counted_requests"] == 1  # export and refresh are free


def test_export_cli_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from calendar_sched.cli import main

    monkeypatch.chdir(tmp_path)
    Path("a.csv").write_text(EXPORT_CALENDAR, encoding="utf-8")
    runner = CliRunner()
    two = runner.invoke(main, ["export", "a.csv", "a.csv", "--to", "o.csv"])
    assert two.exit_code == 2
    assert "write-back takes one FILE" in two.output
    bad = runner.invoke(main, ["export", "a.csv", "--to", "o.ods"])
    assert bad.exit_code == 2  # a usage error (#19)
    assert "write a .csv, .xlsx, .json, .html or .htm file" in bad.output


SAMPLES = Path(__file__).parent.parent / "samples"


def _sample_outcomes(name: str) -> tuple[Path, list[PostOutcome]]:
    """The sample month's Posts with a deterministic mix of outcomes."""
    from calendar_sched.check.validation import ValidateOptions, validate
    from calendar_sched.load.channels import load_channels_file

    source = SAMPLES / name
    options = ValidateOptions(
        channels=load_channels_file(SAMPLES / "channels.json"), now=_at(1, 0) - timedelta(days=30)
    )
    checked = validate([source], options)
    assert checked.report.valid, checked.report.to_json()
    entries = list(dict.fromkeys(p.entry_key for p in checked.posts))
    first_channel: dict[str, str] = {}
    for post in checked.posts:
        first_channel.setdefault(post.entry_key, post.channel.id)
    outcomes = []
    for outcome in pending_outcomes(checked.posts):
        kind = entries.index(outcome.entry_key) % 4  # 0 done, 1 first channel only, 2 failed
        first = first_channel[outcome.entry_key] == outcome.channel_id
        status: Any = "pending"
        if kind == 0 or (kind == 1 and first):
            status = "scheduled"
        elif kind in (1, 2):
            status = "failed"
        post_id = f"id-{outcome.entry_key}-{outcome.channel_id}" if status == "scheduled" else None
        error = "Refresh channel needed" if status == "failed" else None
        outcomes.append(replace(outcome, status=status, remote_id=post_id, error=error))
    return source, outcomes


def test_sample_month_golden_exports_agree_across_formats(tmp_path: Path) -> None:
    source, outcomes = _sample_outcomes("december.csv")
    export_rows(source, outcomes, tmp_path / "csv.csv")
    data = (tmp_path / "csv.csv").read_bytes()
    _golden("december.results.csv", data)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {r["status"] for r in rows} == {"scheduled", "partial", "failed", "pending"}
    expected = [(r["id"], r["status"], r["post_ids"], r["error"]) for r in rows]

    source, outcomes = _sample_outcomes("december.xlsx")
    export_rows(source, outcomes, tmp_path / "xlsx.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "xlsx.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    got = [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert [(r["id"], r["status"], r["post_ids"] or "", r["error"] or "") for r in got] == expected

    source, outcomes = _sample_outcomes("december.yaml")
    export_rows(source, outcomes, tmp_path / "yaml.json")
    items = json.loads((tmp_path / "yaml.json").read_text())["rows"]
    as_rows = [
        (
            i["values"]["id"],
            i["values"]["status"],
            "; ".join(f"{k}={v}" for k, v in (i["values"]["post_ids"] or {}).items()),
            i["values"]["error"] or "",
        )
        for i in items
    ]
    assert as_rows == expected


def test_xlsx_from_csv_has_real_dates_a_filter_wrapped_text_and_invalid_rows(
    tmp_path: Path,
) -> None:
    source = tmp_path / "month.csv"
    long_text = "A long post text that certainly runs past sixty characters in one cell."
    source.write_text(
        "id,date,time,channels,text\n"
        f"a,2030-03-02,09:30,x,{long_text}\n"
        "b,2030-03-40,25:00,x,Bad date and time\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.xlsx"
    problems = [RowError("bad-datetime", "cannot read '2030-03-40'", row=3, field="date")]
    export_rows(source, [], out, row_errors=problems)
    sheet = openpyxl.load_workbook(out)["Results"]
    header = [c.value for c in sheet[1]]
    day, clock = sheet.cell(2, header.index("date") + 1), sheet.cell(2, header.index("time") + 1)
    assert day.value == datetime(2030, 3, 2, 0, 0)  # openpyxl reads dates back as datetimes
    assert day.is_date
    assert clock.value == time(9, 30)
    assert sheet.cell(3, header.index("date") + 1).value == "2030-03-40"  # not a date: text
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}3"
    assert sheet.cell(2, header.index("text") + 1).alignment.wrap_text
    assert not sheet.cell(2, header.index("id") + 1).alignment.wrap_text
    assert sheet.cell(3, header.index("status") + 1).value == "invalid"
    assert (tmp_path / "month.csv").read_text(encoding="utf-8").count("\n") == 3


def test_atomic_write_gives_new_files_the_umask_mode_and_keeps_an_old_files(
    tmp_path: Path,
) -> None:
    import os
    import stat

    out = tmp_path / "results.csv"
    files.atomic_write_text(out, "a")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600
    out.chmod(0o640)
    files.atomic_write_text(out, "b")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
