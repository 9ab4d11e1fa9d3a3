"""CSV / TSV reader: encoding and delimiter detection, rows numbered as a spreadsheet shows them."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from calendar_sched.errors import InputError
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.layouts import HOOTSUITE_KEYS, detect_hootsuite, map_header
from calendar_sched.models import Position
from calendar_sched.report import RowError

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 50
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode(data: bytes, *, file: str) -> tuple[str, list[RowError]]:
    """Text of a CSV file: BOM-marked UTF-8/16/32, else UTF-8, else cp1252 with a warning."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            "this is a zip file (probably an Excel workbook), not text; rename it to .xlsx"
        )
    problems: list[RowError] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start}); save it again as CSV UTF-8"
                ) from None
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = data.decode("cp1252", errors="replace")
            problems.append(
                RowError(
                    "encoding-fallback",
                    f"not UTF-8 (byte {exc.start}); read as Windows-1252 (cp1252). Check accents "
                    "and symbols, or save the file as CSV UTF-8",
                    file=file,
                )
            )
    if "\x00" in text:
        raise InputError(
            "contains NUL bytes: it looks binary, or UTF-16 without a byte-order mark; "
            "save it as CSV UTF-8"
        )
    if not text.strip():
        raise InputError("the file is empty; add a header row and one row per post")
    return text, problems


def sniff_delimiter(text: str, *, default: str = ",") -> str:
    """The delimiter among ``, ; TAB |`` that splits the first rows most consistently."""
    sample = text[:_SAMPLE_CHARS]
    truncated = len(text) > len(sample)
    best, best_score = default, (0.0, 0)
    for delimiter in sorted(DELIMITERS, key=lambda d: d != default):
        try:
            rows = list(itertools.islice(_records(sample, delimiter), _SAMPLE_ROWS + 1))
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows.pop()
        widths = [len(row) for row in rows if any(cell.strip() for cell in row)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def read_csv(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read a CSV/TSV calendar; row numbers count the header as row 1."""
    file = str(path)
    text, problems = decode(path.read_bytes(), file=file)
    delimiter = sniff_delimiter(text, default="\t" if path.suffix.lower() == ".tsv" else ",")
    loaded = LoadedFile(
        path=path,
        format="tsv" if delimiter == "\t" else "csv",
        records=[],
        problems=problems,
    )
    try:
        _fill(loaded, _records(text, delimiter), file)
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}; check the quotes in the file") from None
    return loaded


def _blank(row: list[str]) -> bool:
    return not "".join(row).strip()


def _fill(loaded: LoadedFile, rows: Iterator[list[str]], file: str) -> None:
    # Spreadsheet row number = record index + 1 (a quoted multi-line cell is still one row).
    numbered = ((index + 1, row) for index, row in enumerate(rows))
    nonblank = (item for item in numbered if not _blank(item[1]))
    first = next(nonblank, None)
    if first is None:
        raise InputError("the file has no rows; add a header row and one row per post")
    second = next(nonblank, None)
    rest: Iterator[tuple[int, list[str]]] = nonblank
    if second is not None:
        rest = itertools.chain([second], rest)
    hootsuite = detect_hootsuite(first[1], second[1] if second else None)
    if hootsuite == "headless":
        keys: list[str | None] = list(HOOTSUITE_KEYS)
        rest = itertools.chain([first], rest)
    else:
        header = map_header(first[1], file=file, row=first[0])
        keys = header.keys
        if hootsuite == "headed":
            keys = [HOOTSUITE_KEYS[i] if key else None for i, key in enumerate(keys[:3])]
        else:
            loaded.problems.extend(header.problems)
    if hootsuite:
        loaded.layout = "hootsuite"
    width = len(keys)
    warned_extra = False
    for number, row in rest:
        cells = {key: value for key, value in zip(keys, row, strict=False) if key and value.strip()}
        if not warned_extra and len(row) > width and not _blank(row[width:]):
            warned_extra = True
            loaded.problems.append(
                RowError(
                    "unknown-column",
                    f"row {number} has {len(row)} cells but the header names {width} columns; "
                    "the extra cells are ignored (a stray delimiter or unquoted text?)",
                    row=number,
                    file=file,
                )
            )
        position = Position(file=file, row=number)
        loaded.records.append(RawRecord(position, cells))
