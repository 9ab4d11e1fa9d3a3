"""Tables out as CSV, XLSX or JSON, written atomically, never carrying a live formula.

``write_table`` picks the format by suffix. CSV and XLSX cells that a spreadsheet would read as
a formula are neutralised (see ``neutralise``), reversibly: this project's readers give back
exactly the text that was written (the CSV reader takes the guard off again, XLSX stores text
with Excel's quote prefix, and escapes control characters the way Excel does).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from calendar_sched.errors import ConfigError
from calendar_sched.files import atomic_write_bytes, atomic_write_text
from calendar_sched.load.sources.csv import FORMULA_TRIGGERS, guard
from calendar_sched.models import utc_iso

#: Output formats by file suffix.
OUTPUT_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}

__all__ = [
    "FORMULA_TRIGGERS",
    "OUTPUT_FORMATS",
    "Table",
    "csv_bytes",
    "json_text",
    "neutralise",
    "output_format",
    "write_table",
    "xlsx_bytes",
    "xlsx_escape",
]


@dataclass
class Table:
    """A header and rows of cell values, ready for any writer."""

    header: list[str]
    rows: list[list[Any]]
    sheet: str = "Results"
    row_numbers: list[int | None] | None = None  # source row (or item index) of each row
    row_label: str = "row"  # "row" for spreadsheets, "item" for YAML/JSON sources
    offset: int = 0  # blank rows before the header, so row numbers match the source
    delimiter: str = ","
    #: Columns whose cells are dates or times written as text (a CSV source's ``date`` and
    #: ``time``): XLSX gets real date and time cells for the ones that read as ISO values.
    text_dates: tuple[str, ...] = ()


def output_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``json`` from the file suffix; anything else is a ``ConfigError``."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot export to {path.name}: use a .csv, .xlsx or .json file")
    return fmt


def neutralise(value: str) -> str:
    """A CSV text cell that a spreadsheet would run as a formula, with a leading apostrophe.

    Reversible: the CSV reader takes exactly this apostrophe off again (see ``csv.guard``).
    """
    return guard(value)


def write_table(
    path: Path,
    table: Table,
    *,
    summary: Mapping[str, Any] | None = None,
    styled: bool = True,
) -> None:
    """Write ``table`` as CSV, XLSX or JSON (by suffix), atomically."""
    fmt = output_format(path)
    if fmt == "csv":
        atomic_write_bytes(path, csv_bytes(table))
    elif fmt == "json":
        atomic_write_text(path, json_text(table, summary))
    else:
        atomic_write_bytes(path, xlsx_bytes(table, summary, styled=styled))


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV (with BOM, so spreadsheet programs read UTF-8), formulas escaped."""
    lines = _CsvLines(table.delimiter)
    out = ["\n"] * table.offset
    out.append(lines.line([neutralise(h) for h in table.header]))
    out.extend(lines.line([_csv_cell(v) for v in row]) for row in table.rows)
    return codecs.BOM_UTF8 + "".join(out).encode("utf-8")


class _CsvLines:
    """One CSV line per row, ended by ``\n``, quoting every cell that holds ``\r`` or ``\n``.

    The csv module quotes a cell only for the characters of its own line terminator, so with
    ``\n`` a bare ``\r`` went out unquoted and a reader saw a new row there. Rows are formatted
    with ``\r\n`` (both characters force quotes) and end with ``\n``.
    """

    def __init__(self, delimiter: str) -> None:
        self._buffer = io.StringIO(newline="")
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator="\r\n")

    def line(self, cells: Sequence[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()[:-2] + "\n"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value) if value.tzinfo else value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, date, time)):
        return str(value)
    return neutralise(str(value))


def json_text(table: Table, summary: Mapping[str, Any] | None = None) -> str:
    """``{"summary", "columns", "rows": [{<row_label>: n, "values": {...}}]}`` as JSON text."""
    numbers = table.row_numbers or [None] * len(table.rows)
    rows: list[dict[str, Any]] = []
    for number, cells in zip(numbers, table.rows, strict=True):
        values = {name: _json_value(v) for name, v in zip(table.header, cells, strict=False)}
        if "post_ids" in values and isinstance(values["post_ids"], str):
            pairs = (p.split("=", 1) for p in values["post_ids"].split("; ") if "=" in p)
            values["post_ids"] = dict(pairs)
        rows.append({table.row_label: number, "values": values} if table.row_numbers else values)
    document = {
        "summary": {k: _json_value(v) for k, v in (summary or {}).items()},
        "columns": table.header,
        "rows": rows,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return _iso(value)
    return value


def _iso(value: datetime | date | time) -> str:
    # UTC instants as ``...Z``; a source's own offset (YAML timestamps) is kept as written.
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return utc_iso(value)
    return value.isoformat()


_STATUS_FILLS = {
    "scheduled": "DDEBF7",
    "draft": "EDEDED",
    "published": "C6EFCE",
    "failed": "FFC7CE",
    "invalid": "FFC7CE",
    "pending": "FFEB9C",
    "skipped": "F2F2F2",
    "partial": "F8CBAD",
}


_HEADER_FILL = "1F4E78"


_DATE_FORMAT = "yyyy-mm-dd hh:mm"


def xlsx_bytes(
    table: Table, summary: Mapping[str, Any] | None = None, *, styled: bool = True
) -> bytes:
    """The table as an XLSX workbook, plus an "About" sheet with ``summary``.

    Styled: bold frozen header with a filter, column widths, long text wrapped, coloured status
    cells, dates as Excel dates (also ISO dates and times a CSV source held as text).
    Text that would run as a formula is stored as text with Excel's quote prefix (what typing a
    leading apostrophe does), so it shows and reads back exactly as written.

    The workbook is written row by row (openpyxl's write-only mode, a third of the time of
    building every cell first): widths, filter and panes are set before the first row.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.sheet[:31] or "Results")
    first = table.offset + 1
    _set_widths(sheet, table.header, table.rows)
    if styled:
        last = get_column_letter(max(len(table.header), 1))
        sheet.auto_filter.ref = f"A{first}:{last}{first + len(table.rows)}"
        sheet.freeze_panes = f"A{first + 1}"
    for _ in range(table.offset):
        sheet.append([])
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    header = []
    for name in table.header:
        cell = _xlsx_cell(WriteOnlyCell(sheet), name)
        if styled:
            cell.font, cell.fill = head_font, head_fill
        header.append(cell)
    sheet.append(header)
    status_col = table.header.index("status") if "status" in table.header else None
    dated = {i for i, name in enumerate(table.header) if name in table.text_dates}
    wrap = Alignment(wrap_text=True, vertical="top")
    fills = {
        status: PatternFill("solid", fgColor=colour) for status, colour in _STATUS_FILLS.items()
    }
    for cells in table.rows:
        row: list[Any] = []
        for col, value in enumerate(cells):
            if col in dated:
                value = _as_date(value)
            fill = fills.get(value) if styled and col == status_col else None
            long = styled and isinstance(value, str) and (len(value) > 60 or "\n" in value)
            plain = _xlsx_plain(value)
            if plain is not _NEEDS_CELL and fill is None and not long:
                row.append(plain)  # a value alone: no cell object to make
                continue
            cell = _xlsx_cell(WriteOnlyCell(sheet), value)
            if fill is not None:
                cell.fill = fill
            if long:
                cell.alignment = wrap
            row.append(cell)
        sheet.append(row)
    about = workbook.create_sheet("About")
    _set_widths(about, ["key", "value"], [[k, v] for k, v in (summary or {}).items()])
    bold = Font(bold=True)
    titles = [_xlsx_cell(WriteOnlyCell(about), name) for name in ("key", "value")]
    for cell in titles:
        cell.font = bold
    about.append(titles)
    for key, value in (summary or {}).items():
        about.append(
            [_xlsx_cell(WriteOnlyCell(about), key), _xlsx_cell(WriteOnlyCell(about), value)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_date(value: Any) -> Any:
    """An ISO date (``2026-12-01``) or time (``09:00``) held as text, as a date or time."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    for parse in (date.fromisoformat, time.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return value


#: ``_xlsx_plain``'s answer for a value that needs a cell of its own (a format or a prefix).
_NEEDS_CELL = object()


def _xlsx_plain(value: Any) -> Any:
    """``value`` as it is stored when nothing else about its cell is set; ``_NEEDS_CELL`` for a
    datetime (its format) or text a spreadsheet would run (its quote prefix)."""
    if isinstance(value, str):
        return _NEEDS_CELL if value.startswith(FORMULA_TRIGGERS) else xlsx_escape(value)
    if isinstance(value, datetime):
        return _NEEDS_CELL
    if value is None or isinstance(value, (bool, int, float, date, time)):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _xlsx_cell(cell: Any, value: Any) -> Any:
    """``cell`` holding ``value`` as this project stores it (see ``xlsx_bytes``); returned."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        cell.value = value
        cell.number_format = _DATE_FORMAT
    elif isinstance(value, str):
        cell.value = xlsx_escape(value)
        if value.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = _xlsx_plain(value)
    return cell


# XML cannot carry most control characters, and turns CR into LF: OOXML writes them as _xHHHH_
# (and a literal "_xHHHH_" as "_x005F_xHHHH_"), which the XLSX reader turns back.
_XLSX_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)|([\x01-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff])")


def xlsx_escape(text: str) -> str:
    """Text as an XLSX cell stores it: control characters and CR as OOXML ``_xHHHH_`` escapes."""
    return _XLSX_ESCAPE.sub(_xlsx_sub, text.replace("\x00", ""))


def _xlsx_sub(match: re.Match[str]) -> str:
    if match.group(1):
        return "_x005F" + match.group(1)
    return f"_x{ord(match.group(2)):04X}_"


def _set_widths(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.utils import get_column_letter

    for col, name in enumerate(header, start=1):
        longest = len(str(name))
        for row in rows[:500]:  # enough to size a column without scanning huge sheets
            if col <= len(row) and row[col - 1] is not None:
                value = row[col - 1]
                size = (
                    16
                    if isinstance(value, datetime)
                    else max((len(line) for line in str(value).splitlines()), default=0)
                )
                longest = max(longest, size)
        sheet.column_dimensions[get_column_letter(col)].width = min(max(longest + 2, 8), 60)
