"""XLSX reader: sheet choice, real row numbers and Excel's cell types made plain."""

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from calendar_sched.load.sources import read
from calendar_sched.load.sources.xlsx import cell_value


def _workbook(path: Path, rows: list[list[object]], *, extra_sheet: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "December"
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        other = workbook.create_sheet("Ideas")
        other.append(["text", "channels"])
        other.append(["from the second sheet", "x"])
    workbook.save(path)
    return path


def test_types_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "cal.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "December"
    sheet.append(["ID", "Date", "Time", "Publish At", "Repeat every days", "Short link", "Notes"])
    sheet.append(["00123", date(2026, 12, 1), time(9, 30), datetime(2026, 12, 1, 9, 30), 5.0, True])
    sheet.append([])
    sheet.append([None, None, None, None, None, None, "only a note"])
    sheet.append(["k2", " ", None, datetime(2026, 12, 2, 0, 0), 7, False])
    sheet["B2"].number_format = "dd.mm.yyyy"
    sheet["D5"].number_format = "yyyy-mm-dd hh:mm"
    workbook.save(path)

    loaded = read(path)
    assert loaded.format == "xlsx"
    assert [(p.code, p.row, p.field) for p in loaded.problems] == [("unknown-column", 1, "Notes")]
    assert [(r.position.sheet, r.position.row, r.cells) for r in loaded.records] == [
        (
            "December",
            2,
            {
                "id": "00123",
                "date": date(2026, 12, 1),
                "time": time(9, 30),
                "publish_at": datetime(2026, 12, 1, 9, 30),
                "repeat_every_days": 5,
                "short_link": True,
            },
        ),
        ("December", 4, {}),
        (
            "December",
            5,
            {
                "id": "k2",
                "publish_at": datetime(2026, 12, 2, 0, 0),
                "repeat_every_days": 7,
                "short_link": False,
            },
        ),
    ]
    assert isinstance(loaded.records[0].cells["repeat_every_days"], int)


def test_header_below_empty_rows_keeps_sheet_numbering(tmp_path: Path) -> None:
    path = tmp_path / "cal.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"] = "text"
    sheet["C3"] = "channels"
    sheet["B4"] = "hello"
    sheet["C4"] = "x"
    sheet["B7"] = "later"
    workbook.save(path)
    loaded = read(path)
    assert [(r.position.row, r.cells) for r in loaded.records] == [
        (4, {"text": "hello", "channels": "x"}),
        (7, {"text": "later"}),
    ]


def test_float_noise_in_the_file_is_rounded(tmp_path: Path) -> None:
    plain = _workbook(tmp_path / "plain.xlsx", [["repeat_every_days", "text"], [0.3, 2.0]])
    noisy = tmp_path / "noisy.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(noisy, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>0.3</v>" in data
                data = data.replace(b"<v>0.3</v>", b"<v>0.30000000000000004</v>")
                data = data.replace(b"<v>2</v>", b"<v>2.0</v>")
            target.writestr(item, data)
    cells = read(noisy).records[0].cells
    assert cells == {"repeat_every_days": 0.3, "text": 2}
    assert isinstance(cells["text"], int)


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (None, "General", None),
        ("  ", "General", None),
        ("00123", "@", "00123"),
        (5.0, "General", 5),
        (0.30000000000000004, "General", 0.3),
        (1234567.8900000001, "General", 1234567.89),
        (float("nan"), "General", "nan"),
        (True, "General", True),
        (7, "General", 7),
        (datetime(2026, 12, 1), "dd/mm/yyyy", date(2026, 12, 1)),
        (datetime(2026, 12, 1), 'd"."m"."yyyy h:mm', datetime(2026, 12, 1)),
        (datetime(2026, 12, 1), "[$-409]mmmm d, yyyy;@", date(2026, 12, 1)),
        (datetime(2026, 12, 1, 9), "dd/mm/yyyy", datetime(2026, 12, 1, 9)),
        (timedelta(hours=9, minutes=30), "[h]:mm", time(9, 30)),
        (timedelta(hours=30), "[h]:mm", "1 day, 6:00:00"),
    ],
)
def test_cell_value(value: object, number_format: str, expected: object) -> None:
    result = cell_value(value, number_format)
    assert result == expected
    assert type(result) is type(expected)


def test_sheet_option_picks_a_sheet_by_name(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "cal.xlsx", [["text"], ["first"]], extra_sheet=True)
    assert read(path).records[0].cells == {"text": "first"}
    for name in ("Ideas", "ideas"):
        loaded = read(path, sheet=name)
        assert loaded.records[0].position.sheet == "Ideas"
        assert loaded.records[0].cells == {"text": "from the second sheet", "channels": "x"}


def test_unknown_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "cal.xlsx", [["text"], ["first"]], extra_sheet=True)
    loaded = read(path, sheet="January")
    assert loaded.records == []
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert "'December', 'Ideas'" in loaded.problems[0].message
    assert "--sheet" in loaded.problems[0].message


@pytest.mark.parametrize("content", [b"", b"id,text\n1,hello\n", b"PK\x03\x04broken zip"])
def test_not_a_workbook(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cal.xlsx"
    path.write_bytes(content)
    loaded = read(path)
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert "not a valid .xlsx workbook" in loaded.problems[0].message
