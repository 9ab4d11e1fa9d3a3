"""Every file this project writes reads back to exactly the texts it holds (#19 items 2 and 9).

CSV and XLSX never carry a live formula, yet the formula guard is not part of the text: the CSV
reader takes off exactly the apostrophe the writer adds, and a text's own apostrophe survives.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_sched.cli import main
from calendar_sched.load.sources import read
from calendar_sched.load.sources.csv import guard, unguard
from calendar_sched.sheets import pull
from calendar_sched.sheets.results import export_rows
from calendar_sched.sheets.writers import Table, csv_bytes, write_table
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postiz.client import PostizClient

#: Texts that start with what spreadsheets run, or with the guard itself.
TRICKY = [
    "@acme_partner thanks for the beans",
    "-20% off every grinder",
    "=1+2",
    "+1 for espresso",
    "\tindented",
    "\r=1+2 after a carriage return",
    "'quoted by the author",
    '\'=HYPERLINK("http://evil")',
    "''two apostrophes",
    "'",
    "it's fine",
    'He said "hi", then left',
    "line one\r\nline two\rline three\nline four",
    "emoji ☕️🚀 and ümlauts",
    "_x000D_ is Excel's escape for CR",
]


@pytest.mark.parametrize("text", TRICKY)
def test_guard_is_reversible_and_never_leaves_a_formula(text: str) -> None:
    stored = guard(text)
    assert unguard(stored) == text
    assert not stored.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("'=1+2", "=1+2"),  # the writer's guard, or a spreadsheet user's
        ("''=1+2", "'=1+2"),  # the author's own apostrophe before a formula character
        ("'hello", "'hello"),  # an apostrophe before anything else is the text's own
        ("''x", "'x"),
        ("'", "'"),
        ("plain", "plain"),
    ],
)
def test_csv_reader_takes_off_exactly_the_guard(tmp_path: Path, cell: str, text: str) -> None:
    path = tmp_path / "cal.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["id", "text"], ["a", cell]])
    assert read(path).records[0].cells["text"] == text


def test_csv_reader_unguards_every_column_and_leaves_inner_apostrophes(tmp_path: Path) -> None:
    # The reader tests a whole row for a guard at once: any column's guard is still taken off,
    # and an apostrophe inside a cell (even after a unit separator) is the text's own.
    path = tmp_path / "cal.csv"
    rows = [["text", "id", "tags"], ["'=1", "a", "'+x"], ["plain \x1f'=2", "b", "x\x1f'-3"]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    cells = [record.cells for record in read(path).records]
    assert cells == [
        {"text": "=1", "id": "a", "tags": "+x"},
        {"text": "plain \x1f'=2", "id": "b", "tags": "x\x1f'-3"},
    ]


def test_bare_cr_is_quoted_so_no_reader_sees_a_new_row() -> None:
    data = csv_bytes(Table(header=["id", "text"], rows=[["a", "x\r=1+2"], ["b", "plain"]]))
    text = data.decode("utf-8-sig")
    assert text == 'id,text\na,"x\r=1+2"\nb,plain\n'
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["id", "text"], ["a", "x\r=1+2"], ["b", "plain"]]


def _entries(texts: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"postiz:p{n}",
            "publish_at": f"2030-03-01T{9 + n % 10:02d}:{n % 60:02d}:00+00:00",
            "channels": ["demo-x"],
            "type": "schedule",
            "text": text,
        }
        for n, text in enumerate(texts)
    ]


def _texts_of(path: Path) -> list[str]:
    loaded = read(path)
    assert [p for p in loaded.problems if p.severity == "error"] == []
    return [str(record.cells.get("text", "")) for record in loaded.records]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".yaml"])
def test_pulled_calendar_reads_back_the_same_texts(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"pulled{suffix}"
    pull.write_calendar(_entries(TRICKY), out)
    assert _texts_of(out) == TRICKY


def test_xlsx_stores_formula_like_text_as_text(tmp_path: Path) -> None:
    out = tmp_path / "pulled.xlsx"
    pull.write_calendar(_entries(["=1+2", "\r=3"]), out)
    sheet = openpyxl.load_workbook(out)["Calendar"]
    text = [c.value for c in sheet[1]].index("text") + 1
    assert sheet.cell(2, text).data_type == "s"
    assert sheet.cell(2, text).quotePrefix
    assert sheet.cell(3, text).value == "_x000D_=3"  # CR as Excel stores it, not a live "=3"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_export_of_an_export_keeps_the_texts(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "cal.yaml"
    pull.write_calendar(_entries(TRICKY), source)
    first = tmp_path / f"first{suffix}"
    export_rows(source, [], first)
    if suffix == ".json":
        rows = json.loads(first.read_text("utf-8"))["rows"]
        assert [row["values"]["text"] for row in rows] == TRICKY
        return
    assert _texts_of(first) == TRICKY
    second = tmp_path / f"second{suffix}"
    export_rows(first, [], second)  # a guarded cell is its text again, not guarded twice
    assert _texts_of(second) == TRICKY
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()


_START = st.sampled_from(["=", "+", "-", "@", "'", "''", "'=", "\t", "\r", "\n", '"', "", " "])
_BODY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("=+-@'\"\t\r\n,;| _x0D")),
        st.sampled_from(["☕", "\ufe0f", "🚀", "é", "ü", "\u200b", "中"]),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    ),
    max_size=30,
)
_TEXT = st.builds(lambda a, b: (a + b) if (a + b).strip() else "x" + a + b, _START, _BODY)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(_TEXT, min_size=1, max_size=6))
def test_random_calendars_come_back_identical_in_every_format(
    tmp_path: Path, texts: list[str]
) -> None:
    entries = _entries(texts)
    for suffix in (".yaml", ".csv", ".xlsx", ".json"):
        pulled = tmp_path / f"pulled{suffix}"
        if suffix == ".json":  # pull writes no JSON; a JSON calendar is exported all the same
            pulled.write_text(json.dumps({"posts": entries}, ensure_ascii=False), "utf-8")
        else:
            pull.write_calendar(entries, pulled)
        assert _texts_of(pulled) == texts, suffix
        for out_suffix in (".csv", ".xlsx", ".json"):
            exported = tmp_path / f"export{out_suffix}"
            export_rows(pulled, [], exported)
            if out_suffix == ".json":
                rows = json.loads(exported.read_text("utf-8"))["rows"]
                assert [row["values"]["text"] for row in rows] == texts, (suffix, out_suffix)
            else:
                assert _texts_of(exported) == texts, (suffix, out_suffix)
    table = Table(header=["id", "text"], rows=[[f"r{n}", t] for n, t in enumerate(texts)])
    for suffix in (".csv", ".xlsx"):
        written = tmp_path / f"table{suffix}"
        write_table(written, table)
        assert _texts_of(written) == texts, suffix


def test_pull_to_csv_then_run_sends_nothing_and_keeps_the_texts(
    sandbox_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTIZ_API_URL", sandbox_server.url)
    monkeypatch.setenv("POSTIZ_API_KEY", sandbox_server.api_key)
    monkeypatch.chdir(tmp_path)
    Path("month.csv").write_text(
        "id,publish_at,channels,text\n"
        "a,2030-03-01T09:00:00+00:00,demo-x,@acme_partner thanks for the beans\n"
        "b,2030-03-02T09:00:00+00:00,demo-x,-20% off every grinder\n"
        "c,2030-03-03T09:00:00+00:00,demo-x,'=1+2 is not a formula\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    sent = runner.invoke(main, ["run", "month.csv", "--yes"])
    assert sent.exit_code == 0, sent.output
    args = ["pull", "--from", "2030-03-01", "--to", "2030-03-31", "--out", "pulled.csv"]
    assert runner.invoke(main, args).exit_code == 0
    assert "'@acme_partner" in Path("pulled.csv").read_text("utf-8-sig")  # guarded on disk
    counted = sandbox_server.stats()["counted_requests"]
    again = runner.invoke(main, ["run", "pulled.csv", "--yes"])
    assert again.exit_code == 0, again.output
    assert sandbox_server.stats()["counted_requests"] == counted
    with PostizClient(sandbox_server.url, sandbox_server.api_key) as client:
        listed = PostizBackend(client).list_posts(
            datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC)
        )
    texts = sorted(pull.html_to_text(post.content) for post in listed)
    assert texts == [
        "-20% off every grinder",
        "=1+2 is not a formula",
        "@acme_partner thanks for the beans",
    ]
