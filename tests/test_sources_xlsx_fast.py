"""calamine reads workbooks as openpyxl does, or hands them to openpyxl.

``read_xlsx`` reads with calamine and falls back to openpyxl (the reference) where calamine
cannot tell what a cell holds. Generated workbooks of every cell type and number format must
give the same records, row numbers and problems both ways.
"""

from __future__ import annotations

import os
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from calendar_sched.load.dates import parse_date, parse_time
from calendar_sched.load.sources import xlsx
from calendar_sched.load.sources.base import LoadedFile
from calendar_sched.sheets import source_table

KEYS = [
    "id",
    "text",
    "publish_at",
    "date",
    "time",
    "channels",
    "tags",
    "repeat_every_days",
    "Notes",
]
FORMATS = [
    "General",
    "yyyy-mm-dd",
    "yyyy-mm-dd hh:mm",
    "dd/mm/yyyy",
    'd"."m"."yyyy h:mm',
    "h:mm",
    "[h]:mm",
    "0.00%",
    "@",
]
EXAMPLES = int(os.environ.get("XLSX_EXAMPLES", "40"))

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=12
).filter(lambda s: not ILLEGAL_CHARACTERS_RE.search(s))
_values = st.one_of(
    st.none(),
    _text,
    st.sampled_from(["_x000D_", "a_x005F_x0041_b", "  ", "00123", "=not a formula", "x, y"]),
    # Numbers down to the first day of year 1 (-693593): below it openpyxl gives a date-formatted
    # cell as #VALUE! and calamine as a time of day, which a time column would read (a known
    # difference: Excel itself shows no date before 1900).
    st.integers(min_value=-693593, max_value=10**16),
    st.floats(min_value=-693593, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(hour=0, minute=0, second=0, microsecond=0)
    ),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
    st.times().map(lambda t: t.replace(microsecond=0)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)).map(
        lambda d: timedelta(seconds=int(d.total_seconds()))
    ),
)
_cell = st.tuples(_values, st.sampled_from(FORMATS))


#: Generated sheets: a header of known and unknown columns, a few rows, blank rows above.
_SHEETS = given(
    header=st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True),
    rows=st.lists(st.lists(_cell, min_size=0, max_size=6), min_size=0, max_size=6),
    skip=st.integers(min_value=0, max_value=2),
)
_EXAMPLES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _write(path: Path, header: list[str], rows: list[list[tuple[Any, str]]], skip: int) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cal"
    for column, key in enumerate(header, start=1):
        sheet.cell(skip + 1, column, key)
    for number, row in enumerate(rows, start=skip + 2):
        for column, (value, number_format) in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(number, column, value)
            cell.number_format = number_format
    book.save(path)
    return path


def _shown(loaded: LoadedFile) -> tuple[Any, ...]:
    return (
        [(r.position, _read(r.cells), r.problems) for r in loaded.records],
        loaded.problems,
        loaded.format,
    )


def _read(cells: dict[str, Any]) -> dict[str, Any]:
    # Cells as the calendar reads them where calamine's value may differ and mean the same: a
    # ``time`` cell is a time of day (``dates.parse_time``; calamine gives a day before 1900 as
    # its time alone, openpyxl as a datetime), and a ``date`` cell beside a ``time`` cell is a
    # day (``dates.parse_date``; calamine drops a midnight time that openpyxl keeps).
    read = dict(cells)
    if isinstance(read.get("time"), datetime):
        read["time"] = parse_time(read["time"])
    if "time" in read and isinstance(read.get("date"), date):
        read["date"] = parse_date(read["date"], None)
    return read


def _both(path: Path) -> tuple[LoadedFile | None, LoadedFile]:
    data = path.read_bytes()
    fast = xlsx._read_fast(data, path, None)
    return fast, xlsx._read_reference(data, path, None)


@_EXAMPLES
@_SHEETS
def test_calamine_reads_what_openpyxl_reads_or_declines(
    tmp_path: Path, header: list[str], rows: list[list[tuple[Any, str]]], skip: int
) -> None:
    path = _write(tmp_path / "cal.xlsx", header, rows, skip)
    fast, reference = _both(path)
    if fast is not None:
        assert _shown(fast) == _shown(reference)
    assert _shown(xlsx.read_xlsx(path)) == _shown(reference)


def _calendar(path: Path, publish: object, number_format: str = "General") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "text", "channels", "publish_at", "date", "time"])
    sheet.append(["a", "hello", "x", publish])
    sheet["D2"].number_format = number_format
    sheet.append(["b", "again", "x", None, date(2026, 12, 2), time(9, 30)])
    book.save(path)
    return path


def test_the_usual_workbook_is_read_by_calamine(tmp_path: Path) -> None:
    path = _calendar(tmp_path / "cal.xlsx", datetime(2026, 12, 1, 9, 30), "yyyy-mm-dd hh:mm")
    fast, reference = _both(path)
    assert fast is not None  # a date cell read with its row's time reads the same either way
    assert _shown(fast) == _shown(reference)
    assert fast.records[1].cells["date"] == date(2026, 12, 2)


def test_a_midnight_time_shown_by_its_format_is_kept(tmp_path: Path) -> None:
    path = _calendar(tmp_path / "cal.xlsx", datetime(2026, 12, 1), "yyyy-mm-dd hh:mm")
    fast, _ = _both(path)
    assert fast is None  # calamine would give the day alone: openpyxl reads the format
    assert xlsx.read_xlsx(path).records[0].cells["publish_at"] == datetime(2026, 12, 1)


def test_a_day_without_a_time_stays_a_day(tmp_path: Path) -> None:
    path = _calendar(tmp_path / "cal.xlsx", datetime(2026, 12, 1), "dd/mm/yyyy")
    assert xlsx.read_xlsx(path).records[0].cells["publish_at"] == date(2026, 12, 1)


def _with_error_cell(path: Path) -> Path:
    plain = _calendar(path.with_name("plain.xlsx"), "placeholder")
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b'<c r="D2"')
                end = data.index(b"</c>", start) + len(b"</c>")
                error = b'<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
                data = data[:start] + error + data[end:]
            target.writestr(item, data)
    return path


def test_an_error_cell_is_read_by_openpyxl_as_its_error_text(tmp_path: Path) -> None:
    path = _with_error_cell(tmp_path / "cal.xlsx")
    assert not xlsx._plain_workbook(path.read_bytes())  # calamine would give it as empty
    assert xlsx.read_xlsx(path).records[0].cells["publish_at"] == "#DIV/0!"


def test_an_error_marker_across_two_chunks_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_error_cell(tmp_path / "cal.xlsx")
    with zipfile.ZipFile(path) as package:
        xml = package.read("xl/worksheets/sheet1.xml")
    at = xml.index(b' t="e"')
    for chunk in range(at - 4, at + 6):  # every cut of the marker
        monkeypatch.setattr(xlsx, "_CHUNK", chunk)
        assert not xlsx._plain_workbook(path.read_bytes())


def test_a_worksheet_past_the_budget_is_streamed_by_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _calendar(tmp_path / "cal.xlsx", datetime(2026, 12, 1, 9, 30))
    assert xlsx._plain_workbook(path.read_bytes())
    monkeypatch.setattr(xlsx, "_FAST_XML_LIMIT", 0)  # no byte of XML for calamine
    assert not xlsx._plain_workbook(path.read_bytes())
    assert xlsx.read_xlsx(path).records[0].cells["text"] == "hello"


@pytest.mark.parametrize("name", ["other.zip", "book.ods"])
def test_a_zip_that_is_no_workbook_is_refused_as_before(tmp_path: Path, name: str) -> None:
    path = tmp_path / "cal.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("content.xml", "<office:document/>")
    assert not xlsx._plain_workbook(path.read_bytes())
    with pytest.raises(Exception, match="not a valid .xlsx workbook"):
        xlsx.read_xlsx(path)


def test_the_sheet_option_and_chart_free_sheet_names_agree(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing"])
    ideas = book.create_sheet("Ideas ")
    ideas.append(["text", "channels"])
    ideas.append(["from the second sheet", "x"])
    path = tmp_path / "cal.xlsx"
    book.save(path)
    data = path.read_bytes()
    for wanted in ("Ideas ", "ideas"):
        fast = xlsx._read_fast(data, path, wanted)
        assert fast is not None
        assert _shown(fast) == _shown(xlsx._read_reference(data, path, wanted))
        assert fast.records[0].position.sheet == "Ideas "


@_EXAMPLES
@_SHEETS
def test_export_reads_the_source_back_as_openpyxl_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    header: list[str],
    rows: list[list[tuple[Any, str]]],
    skip: int,
) -> None:
    # Every column and value goes back into the export: no value may read otherwise.
    path = _write(tmp_path / "cal.xlsx", header, rows, skip)
    table = source_table.read_source(path)
    with monkeypatch.context() as patched:
        patched.setattr(source_table, "sheet_values", lambda data, sheet: None)
        reference = source_table.read_source(path)
    assert table == reference


def test_an_export_source_with_plain_values_is_read_by_calamine(tmp_path: Path) -> None:
    path = _calendar(tmp_path / "cal.xlsx", datetime(2026, 12, 1, 9, 30), "yyyy-mm-dd hh:mm")
    assert xlsx.sheet_values(path.read_bytes(), None) is None  # its date cell may read otherwise
    book = openpyxl.Workbook()
    book.active.append(["id", "text", "publish_at", "repeat_every_days"])
    book.active.append(["a", "hello", datetime(2026, 12, 1, 9, 30), 7])
    book.save(path)
    found = xlsx.sheet_values(path.read_bytes(), None)
    assert found is not None
    assert found[1][1] == ["a", "hello", datetime(2026, 12, 1, 9, 30), 7]
