"""Run results back into the spreadsheet: the source rows plus status, post ids and errors.

``export_rows`` reads the source file itself (every column in its order, every row at its row
number), adds ``status``, ``post_ids``, ``publish_at_utc`` and ``error`` from per-Post outcomes
(``calendar_sched.sheets.outcomes``), and writes CSV, XLSX or JSON atomically. ``per_post=True``
writes one row per Post instead. CSV and XLSX outputs never carry a live formula: see
``neutralise``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from calendar_sched.errors import ConfigError, InputError
from calendar_sched.files import atomic_write_bytes, atomic_write_text
from calendar_sched.models import Position, utc_iso
from calendar_sched.report import RowError
from calendar_sched.sheets.outcomes import PostOutcome, row_status, summarize

#: Columns added after the source's own columns.
RESULT_COLUMNS = ("status", "post_ids", "publish_at_utc", "error")

#: Columns of the ``--per-post`` export.
PER_POST_COLUMNS = (
    "entry",
    "channel",
    "channel_name",
    "post_id",
    "status",
    "publish_at_utc",
    "request",
    "error",
)

#: Output formats by file suffix.
OUTPUT_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}

#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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


@dataclass(frozen=True)
class ExportResult:
    """What ``export_rows`` wrote."""

    path: Path
    format: str
    rows: int
    statuses: dict[str, int] = field(default_factory=dict)


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
    except (OSError, ValueError, csv.Error, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    raise InputError(f"cannot export from {path.name}: not a CSV, XLSX, YAML or JSON file")


def _read_csv(path: Path) -> SourceTable:
    # The same decoding and delimiter rules as the CSV reader, so row numbers agree.
    from calendar_sched.load.sources.csv import decode, sniff_delimiter

    text, _ = decode(path.read_bytes(), file=str(path))
    delimiter = sniff_delimiter(text, default="\t" if path.suffix.lower() == ".tsv" else ",")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _with_header(path, "csv", records, delimiter=delimiter)


def _read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    import openpyxl

    from calendar_sched.load.sources.xlsx import cell_value

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for non-workbooks
        raise InputError(f"{path.name} is not a valid .xlsx workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputError(f"{path.name} has no sheet {sheet!r}; sheets: {workbook.sheetnames}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()
        records: list[list[Any]] = []
        for row in worksheet.iter_rows(min_row=1):
            number = next((c.row for c in row if isinstance(getattr(c, "row", None), int)), None)
            while number is not None and len(records) < number - 1:
                records.append([])  # rows the read-only reader skips are blank rows
            records.append(
                [cell_value(c.value, getattr(c, "number_format", "General")) for c in row]
            )
        title = worksheet.title
    finally:
        workbook.close()
    table = _with_header(path, "xlsx", records)
    table.sheet = title
    return table


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
    from calendar_sched.load.sources.csv import decode

    text, _ = decode(path.read_bytes(), file=str(path))
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
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


def results_table(
    source: SourceTable,
    outcomes: Sequence[PostOutcome],
    row_errors: Sequence[RowError] = (),
) -> Table:
    """The source rows, unchanged, with the result columns filled from their Posts' outcomes.

    Result columns already in the source (a re-export) are overwritten in place, not repeated.
    """
    header = list(source.header)
    lower = [h.lower() for h in header]
    slots: dict[str, int] = {}
    for name in RESULT_COLUMNS:
        if name in lower:
            slots[name] = lower.index(name)
        else:
            slots[name] = len(header)
            header.append(name)
    by_row = _outcomes_by_row(source, outcomes)
    errors_by_row: dict[int, list[str]] = {}
    for problem in row_errors:
        number = problem.row
        if number is not None and problem.severity == "error":
            errors_by_row.setdefault(number, []).append(f"{problem.code}: {problem.message}")
    rows: list[list[Any]] = []
    for number, cells in source.rows:
        row = list(cells) + [None] * (len(header) - len(cells))
        mine = by_row.get(number, [])
        status = row_status([o.status for o in mine])
        messages = [f"{o.channel_name}: {o.error}" for o in mine if o.error]
        messages += errors_by_row.get(number, [])
        if status is None and errors_by_row.get(number):
            status = "failed"
        ids = "; ".join(f"{o.channel_id}={o.remote_id}" for o in mine if o.remote_id)
        times = [o.publish_at_utc for o in mine if o.publish_at_utc is not None]
        row[slots["status"]] = status
        row[slots["post_ids"]] = ids or None
        row[slots["publish_at_utc"]] = min(times).astimezone(UTC) if times else None
        row[slots["error"]] = "; ".join(messages) or None
        rows.append(row)
    is_items = source.format in ("yaml", "json")
    return Table(
        header=header,
        rows=rows,
        sheet=source.sheet or "Results",
        row_numbers=[number for number, _ in source.rows],
        row_label="item" if is_items else "row",
        offset=source.offset,
        delimiter=source.delimiter,
    )


def _outcomes_by_row(
    source: SourceTable, outcomes: Sequence[PostOutcome]
) -> dict[int, list[PostOutcome]]:
    is_items = source.format in ("yaml", "json")
    lower = [h.lower() for h in source.header]
    by_key: dict[str, int] = {}
    if "id" in lower:
        id_col = lower.index("id")
        for row_number, cells in source.rows:
            if cells[id_col] not in (None, ""):
                by_key.setdefault(str(cells[id_col]).strip(), row_number)
    by_row: dict[int, list[PostOutcome]] = {}
    for outcome in outcomes:
        number = _row_of(outcome.position, source, is_items)
        number = by_key.get(outcome.entry_key) if number is None else number
        if number is not None:
            by_row.setdefault(number, []).append(outcome)
    return by_row


def _row_of(position: Position | None, source: SourceTable, is_items: bool) -> int | None:
    if position is None or not _same_file(position.file, source.path):
        return None
    if position.sheet and source.sheet and position.sheet != source.sheet:
        return None
    return position.index if is_items else position.row


def _same_file(name: str, path: Path) -> bool:
    if not name:
        return True
    candidate = Path(name)
    try:
        return candidate.resolve() == path.resolve() or candidate.name == path.name
    except OSError:
        return candidate.name == path.name


def per_post_table(outcomes: Sequence[PostOutcome]) -> Table:
    """One row per Post: entry, channel, channel_name, post_id, status, time, request, error."""
    rows = [
        [
            o.entry_key,
            o.channel_id,
            o.channel_name,
            o.remote_id,
            o.status,
            o.publish_at_utc.astimezone(UTC) if o.publish_at_utc else None,
            o.request_index,
            o.error,
        ]
        for o in outcomes
    ]
    return Table(header=list(PER_POST_COLUMNS), rows=rows, sheet="Posts")


def export_rows(
    source_path: Path,
    outcomes: Sequence[PostOutcome],
    out_path: Path,
    *,
    per_post: bool = False,
    summary: Mapping[str, Any] | None = None,
    sheet: str | None = None,
    row_errors: Sequence[RowError] = (),
) -> ExportResult:
    """Write the run's results for ``source_path`` to ``out_path`` (CSV, XLSX or JSON).

    Args:
        source_path: the calendar file the Posts were read from.
        outcomes: one ``PostOutcome`` per Post (see ``pending_outcomes``, ``refresh_outcomes``).
        out_path: the file to write; its suffix picks the format; written atomically.
        per_post: one row per Post instead of the source rows.
        summary: the run's summary, shown on the XLSX "About" sheet and in JSON.
        sheet: the XLSX sheet the Posts came from (default: the first).
        row_errors: validation errors to show in the rows they belong to.

    Returns:
        What was written: path, format, row count and Post counts by status.
    """
    fmt = output_format(out_path)
    if per_post:
        table = per_post_table(outcomes)
    else:
        table = results_table(read_source(source_path, sheet), outcomes, row_errors)
        if fmt != "csv" or source_path.suffix.lower() not in (".csv", ".tsv", ".txt"):
            table.delimiter = ","
    statuses = summarize(outcomes)
    about: dict[str, Any] = {"source": source_path.name, "rows": len(table.rows)}
    about["posts"] = len(outcomes)
    about.update({f"posts_{status}": count for status, count in statuses.items()})
    about.update(summary or {})
    write_table(out_path, table, summary=about)
    return ExportResult(out_path, fmt, len(table.rows), statuses)


def output_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``json`` from the file suffix; anything else is a ``ConfigError``."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot export to {path.name}: use a .csv, .xlsx or .json file")
    return fmt


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula, escaped with a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


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
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=table.delimiter, lineterminator="\n")
    for _ in range(table.offset):
        writer.writerow([])
    writer.writerow([neutralise(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


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

    Styled: bold frozen header, column widths, coloured status cells, dates as Excel dates.
    Text that would run as a formula is stored as text with Excel's quote prefix (what typing a
    leading apostrophe does), so it shows and reads back exactly as written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.sheet[:31] or "Results"
    first = table.offset + 1
    for col, name in enumerate(table.header, start=1):
        _xlsx_cell(sheet.cell(row=first, column=col), name)
    status_col = table.header.index("status") + 1 if "status" in table.header else None
    for r, cells in enumerate(table.rows, start=first + 1):
        for col, value in enumerate(cells, start=1):
            cell = sheet.cell(row=r, column=col)
            _xlsx_cell(cell, value)
            if styled and col == status_col and value in _STATUS_FILLS:
                cell.fill = PatternFill("solid", fgColor=_STATUS_FILLS[value])
    if styled:
        for col in range(1, len(table.header) + 1):
            head = sheet.cell(row=first, column=col)
            head.font = Font(bold=True, color="FFFFFF")
            head.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        sheet.freeze_panes = sheet.cell(row=first + 1, column=1)
    _set_widths(sheet, table.header, table.rows)
    about = workbook.create_sheet("About")
    about.append(["key", "value"])
    for key, value in (summary or {}).items():
        about.append([key, None])
        _xlsx_cell(about.cell(row=about.max_row, column=2), value)
    about["A1"].font = about["B1"].font = Font(bold=True)
    _set_widths(about, ["key", "value"], [[k, v] for k, v in (summary or {}).items()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(cell: Any, value: Any) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        cell.value = value
        cell.number_format = _DATE_FORMAT
    elif isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        if text.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True
    elif value is None or isinstance(value, (bool, int, float, date, time)):
        cell.value = value
    else:
        cell.value = json.dumps(value, ensure_ascii=False, default=str)


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
