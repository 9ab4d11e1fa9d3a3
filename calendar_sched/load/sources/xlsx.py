"""XLSX reader (calamine, else openpyxl): real sheet row numbers, Excel's cell types made plain.

Cell values come out as str, int, float, bool, ``datetime``, ``date`` or ``time``: dates keep
their type, whole floats become int, float noise (``0.30000000000000004``) is rounded to 15
significant digits, and text that looks like a number (``00123`` stored as text) stays text.
Text is what Excel stored, with its ``_xHHHH_`` escapes of control characters (CR) decoded.

calamine (Rust) reads a workbook in a tenth of openpyxl's time but does not say everything
openpyxl does (a cell's number format, an error cell); openpyxl reads the workbooks where that
could change a value (``read_xlsx``), so the records are the same either way
(tests/test_sources_xlsx_fast.py generates workbooks of every cell type to hold them so).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import map_header
from calendar_sched.models import Position

if TYPE_CHECKING:
    import zipfile

_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]')
# Excel stores control characters (CR too) as _xHHHH_ and a literal "_x" as "_x005F_x";
# openpyxl leaves them escaped.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


#: An error cell's type attribute, as Excel and other writers quote it.
_ERROR_CELL = (b' t="e"', b" t='e'")
_MARKER_TAIL = max(map(len, _ERROR_CELL)) - 1  # kept between chunks: a marker may straddle two
_CHUNK = 1 << 20
#: calamine holds a whole worksheet; past this many times the file cap, openpyxl streams it.
_FAST_XML_LIMIT = 8
_FAST_CELLS = 20_000_000  # and past this many cells (rows × columns, empty ones too)
#: Types of calamine values that may read otherwise than openpyxl's (``_unsure``).
_UNSURE = frozenset({date, time, int, float, timedelta})
_NO_TIME, _DAY = timedelta(0), timedelta(days=1)
_MIDNIGHT = time(0)
_LAST_SERIAL = 2958465  # 9999-12-31, Excel's last day


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _has_time_part(number_format: str) -> bool:
    plain = _QUOTED_OR_BRACKETED.sub("", number_format or "").lower()
    return "h" in plain or "s" in plain


def cell_value(value: Any, number_format: str = "General") -> Any:
    """One cell as a plain Python value; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        if "_x" in value:
            value = _OOXML_ESCAPE.sub(_unescape, value)
        return value if value.strip() else None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        if value.time() == time(0) and not _has_time_part(number_format):
            return value.date()
        return value
    if isinstance(value, timedelta):
        if timedelta(0) <= value < timedelta(days=1):
            return (datetime.min + value).time()
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            return int(value)
        return float(f"{value:.15g}")
    if isinstance(value, int | date | time):
        return value
    return str(value)


def read_xlsx(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read the first sheet (or ``sheet``) of a workbook; row numbers are the sheet's own.

    calamine reads it, in about a tenth of openpyxl's time. openpyxl, the reference, reads what
    calamine cannot tell apart, so that both give the same records: a workbook with an error
    cell (``#N/A``, which calamine gives as empty), a row whose dates, times or numbers may read
    otherwise (``_unsure``), a sheet over ``_FAST_CELLS`` cells or ``_FAST_XML_LIMIT`` times the
    file cap of XML, and anything calamine refuses.
    """
    data = read_regular(path, limit=max_file_bytes())
    loaded = _read_fast(data, path, sheet)
    return loaded if loaded is not None else _read_reference(data, path, sheet)


def _read_reference(data: bytes, path: Path, sheet: str | None) -> LoadedFile:
    import openpyxl  # imported here: it is slow to import and only XLSX needs it

    file = str(path)
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, styles); they do not matter.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(
                f"not a valid .xlsx workbook ({type(exc).__name__}); is it an old .xls or a "
                "CSV renamed to .xlsx? Save it from Excel as .xlsx"
            ) from None
        try:
            worksheets = workbook.worksheets
            worksheet = worksheets[pick_sheet([ws.title for ws in worksheets], sheet)]
            worksheet.reset_dimensions()
            loaded = LoadedFile(path=path, format="xlsx", records=[])
            _fill(loaded, numbered_rows(worksheet.iter_rows(min_row=1)), file, worksheet.title)
        finally:
            workbook.close()
    return loaded


def _plain_workbook(data: bytes) -> bool:
    """True for an .xlsx package whose parts hold no error cell and are not too large."""
    import zipfile  # imported here, as the readers' libraries: a CSV needs none of them

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if "xl/workbook.xml" not in names:
                return False  # an .ods, .xlsb or other zip: the reference says what it is
            budget = _FAST_XML_LIMIT * max_file_bytes()
            for name in names:  # every XML part: a writer may keep a sheet anywhere
                if name.endswith(".xml"):
                    budget = _scan_part(package, name, budget)
                    if budget < 0:
                        return False
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError):
        return False
    return True


def _scan_part(package: zipfile.ZipFile, name: str, budget: int) -> int:
    """The byte budget left after reading part ``name``; -1 if it holds an error cell (a cell
    of type ``e``) or goes over the budget."""
    tail = b""
    with package.open(name) as part:
        while chunk := part.read(_CHUNK):
            budget -= len(chunk)
            window = tail + chunk
            if budget < 0 or any(marker in window for marker in _ERROR_CELL):
                return -1
            tail = window[-_MARKER_TAIL:]
    return budget


def sheet_values(data: bytes, sheet: str | None) -> tuple[str, list[list[Any]]] | None:
    """The sheet's name and every row from its first, each value as openpyxl's gives it
    (``cell_value``), read by calamine; None where a value might differ (an error cell, a date,
    a time, a duration, a number past Excel's last day: ``_unsure``'s reasons for any column).

    Raises:
        InputError: no sheet of that name, or no worksheet at all.
    """
    found = _calamine_values(data, sheet)
    if found is None:
        return None
    title, rows = found
    values = list(rows)
    for row in values:
        if not _UNSURE.isdisjoint(map(type, row)) and any(map(_unsure_value, row)):
            return None
    return title, values


def _read_fast(data: bytes, path: Path, sheet: str | None) -> LoadedFile | None:
    """The workbook read by calamine; None where only the reference can say what it holds."""
    found = _calamine_values(data, sheet)
    if found is None:
        return None
    title, rows = found
    loaded = LoadedFile(path=path, format="xlsx", records=[])
    if not _fill(loaded, enumerate(rows, 1), str(path), title, fast=True):
        return None
    for record in loaded.records:
        cells = record.cells
        if not _UNSURE.isdisjoint(map(type, cells.values())) and _unsure(cells):
            return None
    return loaded


def _calamine_values(data: bytes, sheet: str | None) -> tuple[str, Iterator[list[Any]]] | None:
    """The sheet's name and its rows as ``cell_value`` gives values (made as they are read),
    or None where calamine cannot read the workbook or an error cell is in it.

    The package is looked through for error cells (``_plain_workbook``) on another thread
    while calamine parses the sheet: both let go of the interpreter lock as they work.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        plain = pool.submit(_plain_workbook, data)
        rows, title = _calamine_rows(data, sheet)
        if rows is None or not plain.result():
            return None
    # calamine's text is already unescaped (``_x000D_`` is a CR): only openpyxl's needs it
    values = (
        [
            (value if value.strip() else None) if type(value) is str else _calamine_value(value)
            for value in row
        ]
        for row in rows
    )
    return title, values


def _calamine_value(value: Any) -> Any:
    # A duration outside a day is written out as text, to the millisecond, and calamine rounds
    # some milliseconds otherwise: it stays a timedelta, which ``_unsure`` sends to openpyxl.
    if type(value) is timedelta and not _NO_TIME <= value < _DAY:
        return value
    return cell_value(value)


def _calamine_rows(data: bytes, sheet: str | None) -> tuple[list[list[Any]] | None, str]:
    """The rows of the sheet from A1 on as calamine gives them (None if it cannot), its name."""
    import python_calamine  # imported here, as openpyxl: only XLSX needs it

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # the reference reads it, or reports it as it always has
        return None, ""
    try:
        worksheet = python_calamine.SheetTypeEnum.WorkSheet
        names = [meta.name for meta in book.sheets_metadata if meta.typ == worksheet]
        title = names[pick_sheet(names, sheet)]
        found = book.get_sheet_by_name(title)
        if found.total_height * found.total_width > _FAST_CELLS:
            return None, title  # one far cell makes every row as wide: openpyxl reads as stored
        return found.to_python(skip_empty_area=False), title
    except InputError:
        raise
    except Exception:
        return None, ""
    finally:
        book.close()


def _unsure(cells: dict[str, Any]) -> bool:
    """True if calamine's values of a row may read otherwise than openpyxl's.

    calamine gives a day alone where the cell holds a midnight time its format shows (only a
    ``date`` cell read with its row's ``time`` reads the same either way); a time of day alone
    for a day before 1900 (read as a ``time`` cell it is that day's time, except midnight, and
    except before year 1, which openpyxl gives as ``#VALUE!``: no spreadsheet shows one); a
    number past Excel's last day where openpyxl gives ``#VALUE!``; and a duration outside a
    day, whose milliseconds it may round otherwise (``_calamine_value``).
    """
    for key, value in cells.items():
        kind = type(value)
        if kind is date:
            if key != "date" or "time" not in cells:
                return True
        elif kind is time:
            if key != "time" or value == _MIDNIGHT:
                return True
        elif _unsure_value(value):
            return True
    return False


def _unsure_value(value: Any) -> bool:
    """True if calamine's ``value`` may be another in openpyxl's hands, whatever its column."""
    kind = type(value)
    if kind is int or kind is float:
        return bool(abs(value) >= _LAST_SERIAL)
    return kind is date or kind is time or kind is timedelta


def pick_sheet(names: list[str], sheet: str | None) -> int:
    """Index of the first sheet, or of the one named ``sheet`` (its case and spaces aside)."""
    if not names:
        raise InputError("the workbook has no worksheets")
    if sheet is None:
        return 0
    for wanted in (sheet, sheet.strip().lower()):
        for index, name in enumerate(names):
            if name == wanted or name.strip().lower() == wanted:
                return index
    listed = ", ".join(repr(name) for name in names)
    raise InputError(f"no sheet named {sheet!r}; the workbook has {listed}; pick one with --sheet")


def numbered_rows(rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[int, list[Any]]]:
    """openpyxl's rows as (sheet row number, plain values: ``cell_value``)."""
    number = 0
    for row in rows:
        number += 1
        for cell in row:
            real = getattr(cell, "row", None)
            if isinstance(real, int):
                number = real
                break
        values = [cell_value(cell.value, getattr(cell, "number_format", "General")) for cell in row]
        yield number, values


def _fill(
    loaded: LoadedFile,
    numbered: Iterable[tuple[int, list[Any]]],
    file: str,
    title: str,
    *,
    fast: bool = False,
) -> bool:
    """Records of the rows after the header; False (at once) for calamine's rows (``fast``)
    if the header holds a date, a time or a number."""
    keys: list[str | None] | None = None
    for number, values in numbered:
        if all(value is None for value in values):
            continue
        if keys is None:
            if fast and not _UNSURE.isdisjoint(map(type, values)):
                return False  # a header naming a day or a number: openpyxl says how it reads
            header = map_header(values, file=file, row=number)
            keys, header_problems = header.keys, header.problems
            loaded.problems.extend(header_problems)
            continue
        cells = {
            key: value
            for key, value in zip(keys, values, strict=False)
            if key is not None and value is not None
        }
        position = Position(file=file, sheet=title, row=number)
        loaded.records.append(RawRecord(position, cells))
    return True
