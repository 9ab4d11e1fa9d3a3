"""Run results back into the spreadsheet: the source rows plus status, post ids and errors.

``export_rows`` reads the source file (``source_table``), adds ``status``, ``post_ids``,
``publish_at_utc`` and ``error`` from per-Post outcomes (``outcomes``), and writes CSV, XLSX or
JSON atomically (``writers``). ``per_post=True`` writes one row per Post instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calendar_sched.models import Position, utc_iso
from calendar_sched.report import RowError
from calendar_sched.run.journal import JournalState
from calendar_sched.sheets.outcomes import PostOutcome, row_status, summarize
from calendar_sched.sheets.source_table import SourceTable, read_source
from calendar_sched.sheets.writers import Table, output_format, write_table

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


@dataclass(frozen=True)
class ExportResult:
    """What ``export_rows`` wrote."""

    path: Path
    format: str
    rows: int
    statuses: dict[str, int] = field(default_factory=dict)


def export_summary(
    journal: Path, state: JournalState, errors: Sequence[RowError]
) -> dict[str, Any]:
    """The summary an export carries: when, from which journal, requests sent, invalid rows."""
    return {
        "exported_at": utc_iso(datetime.now(UTC)),
        "journal": str(journal) if journal.exists() else "none (nothing sent yet)",
        "requests_sent": state.requests_sent,
        "invalid_rows": len({e.row for e in errors if e.row is not None}),
    }


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
            status = "invalid"
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
        text_dates=tuple(h for h in header if h.lower() in ("date", "time"))
        if source.format == "csv"
        else (),
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
    same: dict[str, bool] = {}  # file names of positions: a calendar's Posts share one or two
    for outcome in outcomes:
        number = _row_of(outcome.position, source, is_items, same)
        number = by_key.get(outcome.entry_key) if number is None else number
        if number is not None:
            by_row.setdefault(number, []).append(outcome)
    return by_row


def _row_of(
    position: Position | None, source: SourceTable, is_items: bool, same: dict[str, bool]
) -> int | None:
    if position is None:
        return None
    known = same.get(position.file)
    if known is None:  # resolving a path costs system calls: once per file name
        known = same[position.file] = _same_file(position.file, source.path)
    if not known:
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
            o.request,
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
