"""Stable ids for a calendar's rows: ``calendar-sched ids FILE`` writes an ``id`` column.

A row without an ``id`` is known by a hash of its time, text and channels, so editing it makes
a new post (and the old one stays scheduled). Writing that very hash as the row's ``id`` keeps
every post the journal and the account already know, and from then on an edited row updates its
post in place. CSV/TSV keep every other byte: the column is put in front of each record's first
line (or a blank ``id`` cell is filled, rewriting only that record); XLSX (and XLSM, its macros
kept) gets the column after the last one, cell values and styles kept (openpyxl drops charts
and images, so the original is kept beside it as ``<name>.before-ids.xlsx``). YAML and JSON
items are listed with the ids to add by hand (``id: …`` in each item).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.errors import InputError
from calendar_sched.files import atomic_write_bytes
from calendar_sched.load.sources.csv import decode, sniff_delimiter
from calendar_sched.load.sources.layouts import map_header
from calendar_sched.load.sources.xlsx import pick_sheet


@dataclass
class IdsAdded:
    """What ``add_ids`` did: rows given an id, rows left without one (invalid), the column."""

    path: Path
    added: dict[int, str] = field(default_factory=dict)  # row (or item) → id written
    missing: list[int] = field(default_factory=list)  # rows whose time could not be read
    column_added: bool = False
    #: YAML/JSON: item label → id, to add by hand (nothing is written).
    to_add: dict[str, str] = field(default_factory=dict)
    backup: Path | None = None  # XLSX: the workbook as it was


def add_ids(path: str | Path, options: ValidateOptions | None = None) -> IdsAdded:
    """Give every row of a calendar file without an ``id`` the id it is already known by.

    Raises:
        InputError: the file cannot be read, or is a layout ids cannot be written to.
    """
    path = Path(path)
    checked = validate([path], options)
    fatal = [e for e in checked.report.errors if e.row is None and e.code == "unreadable-file"]
    if fatal:
        raise InputError(fatal[0].message)
    result = IdsAdded(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        for entry in checked.entries:
            if _derived(entry.key) and entry.position.index is not None:
                result.to_add[entry.position.label()] = entry.key
        return result
    keys = {e.position.row: e.key for e in checked.entries if e.position.row is not None}
    if suffix in (".xlsx", ".xlsm"):
        _xlsx(path, keys, result, options.sheet if options else None)
    else:
        _csv(path, keys, result)
    return result


def _derived(key: str) -> bool:
    """A key the tool derived (12 hex), not one the row gives."""
    return len(key) == 12 and all(c in "0123456789abcdef" for c in key)


def _csv(path: Path, keys: dict[int, str], result: IdsAdded) -> None:
    data = path.read_bytes()
    text, problems = decode(data, file=str(path))
    encoding = "cp1252" if problems else "utf-8"
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("ids are written to UTF-8 or Windows-1252 CSV only; save it as CSV UTF-8")
    delimiter = sniff_delimiter(text, default="\t" if path.suffix.lower() == ".tsv" else ",")
    lines = list(io.StringIO(text, newline=""))  # the physical lines the csv reader sees
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[str] = []
    column: int | None = None
    header_seen = False
    start = 0
    for number, row in enumerate(reader, start=1):
        record = lines[start : reader.line_num]
        start = reader.line_num
        if not "".join(row).strip():
            out.extend(record)
            continue
        if not header_seen:
            header_seen = True
            header = map_header(row, file=str(path), row=number).keys
            if "id" in header:
                column = header.index("id")
                out.extend(record)
            else:
                result.column_added = True
                out.append("id" + delimiter + record[0])
                out.extend(record[1:])
            continue
        key = keys.get(number)
        if key is None:
            result.missing.append(number)
        if column is None:
            if key is not None:
                result.added[number] = key
            out.append((key or "") + delimiter + record[0])
            out.extend(record[1:])
        elif key is not None and column < len(row) and not row[column].strip() and _derived(key):
            result.added[number] = key
            out.append(_rewrite(row, column, key, delimiter, record[-1]))
        else:
            out.extend(record)
    if not header_seen:
        raise InputError("the file has no header row; add one with the column names")
    if result.added or result.column_added:
        atomic_write_bytes(path, bom + "".join(out).encode(encoding))


def _rewrite(row: list[str], column: int, key: str, delimiter: str, last_line: str) -> str:
    """One record again, with its ``id`` cell filled, ending as it ended."""
    ending = last_line[len(last_line.rstrip("\r\n")) :]
    buffer = io.StringIO()
    cells = list(row)
    cells[column] = key
    csv.writer(buffer, delimiter=delimiter, lineterminator=ending).writerow(cells)
    return buffer.getvalue()


def _xlsx(path: Path, keys: dict[int, str], result: IdsAdded, sheet: str | None) -> None:
    import openpyxl  # only XLSX needs it

    # A macro workbook keeps its macros (openpyxl copies the VBA project back when it saves).
    data = path.read_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(data), keep_vba=path.suffix.lower() == ".xlsm")
    try:
        _fill_ids(workbook, path, keys, result, sheet)
        if result.added or result.column_added:
            # openpyxl keeps values, styles and formats but not charts or images: keep the
            # original.
            result.backup = path.with_name(f"{path.stem}.before-ids{path.suffix}")
            atomic_write_bytes(result.backup, data)
            buffer = io.BytesIO()
            workbook.save(buffer)
            atomic_write_bytes(path, buffer.getvalue())
    finally:
        if workbook.vba_archive is not None:
            workbook.vba_archive.close()


def _fill_ids(
    workbook: Any, path: Path, keys: dict[int, str], result: IdsAdded, sheet: str | None
) -> None:
    worksheets = workbook.worksheets
    worksheet = worksheets[pick_sheet([ws.title for ws in worksheets], sheet)]  # validate's
    rows = list(worksheet.iter_rows())
    header_row = next((r for r in rows if any(_filled(c.value) for c in r)), None)
    if header_row is None:
        raise InputError("the sheet has no header row; add one with the column names")
    header_number = header_row[0].row
    header = map_header([c.value for c in header_row], file=str(path), row=header_number).keys
    if "id" in header:
        column = header.index("id") + 1
    else:
        column = max((c.column for c in header_row if _filled(c.value)), default=0) + 1
        worksheet.cell(header_number, column, "id")
        result.column_added = True
    for row in rows:
        number = row[0].row
        if number <= header_number or not any(_filled(c.value) for c in row):
            continue
        key = keys.get(number)
        if key is None:
            result.missing.append(number)
        elif not _filled(worksheet.cell(number, column).value) and _derived(key):
            worksheet.cell(number, column, key)
            result.added[number] = key


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""
