"""The calendar file read back for write-back: every column in its order, every row at its number.

The same decoding, delimiter and sheet rules as the readers in ``load/sources``, so the row
numbers of an export match the ones ``validate`` reports. YAML/JSON items are flattened into
columns (``settings.x.who_can_reply_post``).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources.csv import CsvProblem, open_text, sniff_delimiter
from calendar_sched.load.sources.csv import records as csv_records
from calendar_sched.load.sources.document import decode_text, pairs_hook
from calendar_sched.load.sources.xlsx import numbered_rows, pick_sheet, sheet_values
from calendar_sched.load.sources.yaml import load_document, yaml_source


@dataclass
class SourceTable:
    """The source file as read for write-back: header, rows and how rows are numbered."""

    path: Path
    format: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number or item index, cells)
    offset: int = 0
    delimiter: str = ","
    sheet: str | None = None


def read_source(path: Path, sheet: str | None = None) -> SourceTable:
    """Every column and row of a calendar file as the user sees it (YAML/JSON items flattened)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            return _read_csv(path)
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, sheet)
        if suffix in (".yaml", ".yml", ".json"):
            return _read_items(path)
    except (OSError, ValueError, csv.Error, yaml.YAMLError, InputError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    except RecursionError:
        raise InputError(f"cannot read {path}: values are nested too deeply") from None
    raise InputError(f"cannot export from {path.name}: not a CSV, XLSX, YAML or JSON file")


def _read_csv(path: Path) -> SourceTable:
    # The same decoding, delimiter, quote and guard rules as the CSV reader, so row numbers
    # and texts agree (a guarded cell of an earlier export is its text again, not guarded twice).
    source, _ = open_text(read_regular(path, limit=max_file_bytes()), file=str(path))
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    delimiter = sniff_delimiter(source.head(), default=default)
    try:
        rows: list[list[Any]] = [cells for _, cells in csv_records(source, delimiter)]
    except CsvProblem as exc:
        raise InputError(exc.message) from None
    return _with_header(path, "csv", rows, delimiter=delimiter)


def _read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    data = read_regular(path, limit=max_file_bytes())
    fast = sheet_values(data, sheet)  # calamine, where its values are openpyxl's
    if fast is not None:
        title, rows = fast
    else:
        title, rows = _read_xlsx_reference(path, data, sheet)
    table = _with_header(path, "xlsx", rows)
    table.sheet = title
    return table


def _read_xlsx_reference(path: Path, data: bytes, sheet: str | None) -> tuple[str, list[list[Any]]]:
    import openpyxl

    with warnings.catch_warnings():
        # As the reader: openpyxl's warnings (a date cell out of range, dropped features) are
        # about values the table holds anyway, never for the user.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zip, XML and key errors for non-workbooks
            raise InputError(f"{path.name} is not a valid .xlsx workbook ({exc})") from None
        try:
            worksheets = workbook.worksheets
            worksheet = worksheets[pick_sheet([ws.title for ws in worksheets], sheet)]
            worksheet.reset_dimensions()
            records: list[list[Any]] = []
            for number, values in numbered_rows(worksheet.iter_rows(min_row=1)):
                while len(records) < number - 1:
                    records.append([])  # rows the read-only reader skips are blank rows
                records.append(values)
            return worksheet.title, records
        finally:
            workbook.close()


def _with_header(
    path: Path, fmt: str, records: list[list[Any]], *, delimiter: str = ","
) -> SourceTable:
    while records and _blank(records[-1]):
        records.pop()
    offset = 0
    while offset < len(records) and _blank(records[offset]):
        offset += 1
    if offset == len(records):
        return SourceTable(path, fmt, [], [], delimiter=delimiter)
    width = max(len(r) for r in records)
    header = [_header_name(v) for v in _pad(records[offset], width)]
    while (
        header
        and not header[-1]
        and all(_blank(_pad(r, width)[len(header) - 1 :]) for r in records)
    ):
        header.pop()
    width = len(header)
    rows = [(offset + 2 + i, _pad(r, width)[:width]) for i, r in enumerate(records[offset + 1 :])]
    return SourceTable(path, fmt, header, rows, offset=offset, delimiter=delimiter)


def _read_items(path: Path) -> SourceTable:
    # The same safe loading as the readers: aliases counted before anything is built.
    raw = read_regular(path, limit=max_file_bytes())
    data = (
        json.loads(decode_text(raw, "JSON"), object_pairs_hook=pairs_hook)
        if path.suffix.lower() == ".json"
        else load_document(yaml_source(raw)).data
    )
    items = data.get("posts", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError(f"{path.name}: expected a list of posts")
    header: list[str] = []
    flat_items: list[dict[str, Any]] = []
    for item in items:
        flat: dict[str, Any] = {}
        _flatten(item if isinstance(item, dict) else {"text": item}, "", flat)
        flat_items.append(flat)
        header.extend(k for k in flat if k not in header)
    rows = [(i, [flat.get(k) for k in header]) for i, flat in enumerate(flat_items)]
    return SourceTable(path, path.suffix.lower().lstrip(".").replace("yml", "yaml"), header, rows)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            name = str(key)
            if prefix == "text" and name == "default":
                _flatten(sub, "text", out)
            else:
                _flatten(sub, f"{prefix}{name}" if not prefix else f"{prefix}.{name}", out)
        return
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            joiner = ", " if prefix in ("channels", "tags") else " | "
            out[prefix] = joiner.join("" if v is None else str(v) for v in value)
        else:
            for i, sub in enumerate(value, start=1):
                _flatten(sub, f"{prefix}.{i}", out)
        return
    out[prefix] = value


def _header_name(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _pad(cells: Sequence[Any], width: int) -> list[Any]:
    return list(cells) + [None] * (width - len(cells))
