"""XLSX reader (openpyxl, read-only): real sheet row numbers, Excel's cell types made plain.

Cell values come out as str, int, float, bool, ``datetime``, ``date`` or ``time``: dates keep
their type, whole floats become int, float noise (``0.30000000000000004``) is rounded to 15
significant digits, and text that looks like a number (``00123`` stored as text) stays text.
Text is what Excel stored, with its ``_xHHHH_`` escapes of control characters (CR) decoded.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import map_header
from calendar_sched.models import Position

_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]')
# Excel stores control characters (CR too) as _xHHHH_ and a literal "_x" as "_x005F_x";
# openpyxl leaves them escaped.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


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
    """Read the first sheet (or ``sheet``) of a workbook; row numbers are the sheet's own."""
    import openpyxl  # imported here: it is slow to import and only XLSX needs it

    file = str(path)
    data = io.BytesIO(read_regular(path, limit=max_file_bytes()))
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, styles); they do not matter.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(
                f"not a valid .xlsx workbook ({type(exc).__name__}); is it an old .xls or a "
                "CSV renamed to .xlsx? Save it from Excel as .xlsx"
            ) from None
        try:
            worksheet = _pick_sheet(workbook.worksheets, sheet)
            worksheet.reset_dimensions()
            loaded = LoadedFile(path=path, format="xlsx", records=[])
            _fill(loaded, worksheet.iter_rows(min_row=1), file, worksheet.title)
        finally:
            workbook.close()
    return loaded


def _pick_sheet(worksheets: list[Any], sheet: str | None) -> Any:
    names = [ws.title for ws in worksheets]
    if not worksheets:
        raise InputError("the workbook has no worksheets")
    if sheet is None:
        return worksheets[0]
    for wanted in (sheet, sheet.strip().lower()):
        for ws in worksheets:
            if ws.title == wanted or ws.title.strip().lower() == wanted:
                return ws
    listed = ", ".join(repr(name) for name in names)
    raise InputError(f"no sheet named {sheet!r}; the workbook has {listed}; pick one with --sheet")


def _numbered(rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[int, list[Any]]]:
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


def _fill(loaded: LoadedFile, rows: Iterable[tuple[Any, ...]], file: str, title: str) -> None:
    keys: list[str | None] | None = None
    for number, values in _numbered(rows):
        if all(value is None for value in values):
            continue
        if keys is None:
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
