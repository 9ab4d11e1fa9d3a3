"""CSV / TSV reader: encoding and delimiter detection, rows numbered as a spreadsheet shows them.

Quotes are read strictly: a quote that is never closed, or that closes before its cell ends,
is reported at the row where the cell began instead of swallowing the rows after it. The
formula guard this project's writers add (``guard``) is taken off again (``unguard``).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.decoding import decoded_pieces
from calendar_sched.load.sources.layouts import HOOTSUITE_KEYS, detect_hootsuite, map_header
from calendar_sched.models import Position
from calendar_sched.report import RowError

DELIMITERS = (",", ";", "\t", "|")

#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: What ``guard`` puts before such a cell: the apostrophe spreadsheets show as "text".
GUARD = "'"
_GUARDED = (*FORMULA_TRIGGERS, GUARD)
_SEP_GUARD = "\x1f" + GUARD  # a cell after the first starting with the guard, in ``records``
#: Python's csv module refuses longer cells; the message names the cell and this limit.
CELL_LIMIT = csv.field_size_limit()
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 50
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


@dataclass(frozen=True)
class Decoded:
    """A CSV file's bytes with the encoding they are read in, decoded piece by piece: a large
    file is never one string (a text with emoji takes four bytes per character, and decoding
    it whole briefly needs twice that)."""

    data: bytes
    start: int  # after the byte-order mark
    encoding: str
    errors: str = "strict"

    def lines(self) -> Iterator[str]:
        """The text's lines with their line ends, as ``open(newline="")`` gives them."""
        raw = io.BytesIO(self.data)
        raw.seek(self.start)
        return iter(io.TextIOWrapper(raw, encoding=self.encoding, errors=self.errors, newline=""))

    def text(self) -> str:
        """The whole text (for small files, and to locate a broken quote)."""
        return self.data[self.start :].decode(self.encoding, self.errors)

    def head(self) -> str:
        """The text's start, enough for ``sniff_delimiter`` (one character more if it goes on)."""
        decoder = codecs.getincrementaldecoder(self.encoding)(self.errors)
        size = (_SAMPLE_CHARS + 1) * 4  # at most four bytes a character
        part = self.data[self.start : self.start + size]
        return decoder.decode(part, final=len(part) < size)[: _SAMPLE_CHARS + 1]


def decode(data: bytes, *, file: str) -> tuple[str, list[RowError]]:
    """Text of a CSV file: BOM-marked UTF-8/16/32, else UTF-8, else cp1252 with a warning."""
    source, problems = open_text(data, file=file)
    return source.text(), problems


def open_text(data: bytes, *, file: str) -> tuple[Decoded, list[RowError]]:
    """``decode`` without the text: the encoding is found and the bytes checked, a piece at
    a time.

    Raises:
        InputError: a zip file, bytes that break the encoding a BOM names, NUL characters, or
            no text at all.
    """
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            "this is a zip file (probably an Excel workbook), not text; rename it to .xlsx"
        )
    problems: list[RowError] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            source = Decoded(data, len(bom), encoding)
            try:
                blank = _scan(source)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start}); save it again as CSV UTF-8"
                ) from None
            break
    else:
        source = Decoded(data, 0, "utf-8")
        try:
            blank = _scan(source)
        except UnicodeDecodeError as exc:
            source = Decoded(data, 0, "cp1252", "replace")
            blank = _scan(source)
            problems.append(
                RowError(
                    "encoding-fallback",
                    f"not UTF-8 (byte {exc.start}); read as Windows-1252 (cp1252). Check accents "
                    "and symbols, or save the file as CSV UTF-8",
                    file=file,
                )
            )
    if blank is None:
        raise InputError(
            "contains NUL bytes: it looks binary, or UTF-16 without a byte-order mark; "
            "save it as CSV UTF-8"
        )
    if blank:
        raise InputError("the file is empty; add a header row and one row per post")
    return source, problems


def _scan(source: Decoded) -> bool | None:
    """Decode ``source`` a piece at a time: None if it holds a NUL, else whether it is blank.

    Raises:
        UnicodeDecodeError: as decoding it whole would, at the same byte.
    """
    blank = True
    for part in decoded_pieces(source.data, source.start, source.encoding, source.errors):
        if "\x00" in part:
            return None
        blank = blank and not part.strip()
    return blank


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


def guard(value: str) -> str:
    """``value`` as a CSV writer of this project stores it: never a live formula, reversibly.

    A text a spreadsheet would run (it starts with ``= + - @`` TAB or CR) gets one leading
    apostrophe. So that ``unguard`` can tell that apostrophe from one the text really starts
    with, a text starting with an apostrophe followed by one of those characters (or by another
    apostrophe) gets one too. Any other text is stored as it is.
    """
    if value.startswith(FORMULA_TRIGGERS) or (
        value[:1] == GUARD and value[1:].startswith(_GUARDED)
    ):
        return GUARD + value
    return value


def unguard(cell: str) -> str:
    """A CSV cell's text: the one apostrophe ``guard`` adds is taken off, nothing else."""
    if cell[:1] == GUARD and cell[1:].startswith(_GUARDED):
        return cell[1:]
    return cell


@dataclass
class CsvProblem(Exception):
    """A row the csv module cannot read: its number, the column (0-based) and what is wrong."""

    code: str  # csv-quote | cell-too-large
    row: int
    line: int
    column: int | None
    message: str


def records(source: Decoded, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` for each record, quotes read strictly, guards taken off.

    Raises:
        CsvProblem: a quote that is never closed or closes inside a cell, or a cell over
            ``CELL_LIMIT`` characters, at the row where that cell begins.
    """
    reader = csv.reader(source.lines(), delimiter=delimiter, strict=True)
    number = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _locate(source.text(), delimiter, number + 1, line, str(exc)) from None
        number += 1
        # One test in C for the usual row, where no cell starts with the guard.
        joined = "\x1f".join(row)
        if joined.startswith(GUARD) or _SEP_GUARD in joined:
            row = [unguard(cell) for cell in row]
        yield number, row


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')


def _locate(text: str, delimiter: str, row: int, line: int, reason: str) -> CsvProblem:
    """Which cell of the record starting at ``line`` broke the csv module, and how."""
    at = 0
    for count, found in enumerate(_LINE_BREAK.finditer(text), start=2):
        if count > line:
            break
        at = found.end()
    plain = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    column = 0
    while True:
        if text.startswith('"', at):
            match = _QUOTED.match(text, at)
            if match is None:
                where = len(_LINE_BREAK.findall(text, 0, at)) + 1
                return CsvProblem(
                    "csv-quote",
                    row,
                    where,
                    column,
                    f"row {row}{_on_line(row, where)}: a quote opens a cell and is never "
                    "closed, so every row after it would be read as this cell's text; close "
                    'the quote (a quote inside quoted text is written twice: "")',
                )
        else:
            match = plain.match(text, at)
        assert match is not None  # the plain pattern matches the empty string
        if match.end() - match.start() > CELL_LIMIT:
            return CsvProblem(
                "cell-too-large",
                row,
                line,
                column,
                f"row {row}{_on_line(row, line)}: a cell holds "
                f"{(match.end() - match.start()) / 1024:.0f} KiB of text; a cell may hold at "
                f"most {CELL_LIMIT // 1024} KiB: shorten it",
            )
        end = match.end()
        if end >= len(text) or text[end] in "\r\n":
            break
        if text[end] != delimiter:
            return CsvProblem(
                "csv-quote",
                row,
                line,
                column,
                f"row {row}{_on_line(row, line)}: a quoted cell goes on after its closing "
                'quote; a quote inside quoted text is written twice (""), and a quote opened '
                "in this row may be missing its end",
            )
        at, column = end + 1, column + 1
    return CsvProblem("csv-quote", row, line, None, f"row {row}: not valid CSV ({reason})")


def _on_line(row: int, line: int) -> str:
    # Rows and lines differ once a quoted cell spans lines: name the line too, then.
    return "" if row == line else f" (line {line})"


def read_csv(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """Read a CSV/TSV calendar; row numbers count the header as row 1."""
    file = str(path)
    source, problems = open_text(read_regular(path, limit=max_file_bytes()), file=file)
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    delimiter = sniff_delimiter(source.head(), default=default)
    loaded = LoadedFile(
        path=path,
        format="tsv" if delimiter == "\t" else "csv",
        records=[],
        problems=problems,
        whole_characters=True,  # decoded strictly (or cp1252 with replacement)
    )
    rows = _Rows(source, delimiter)
    keys: list[str | None] = []
    _fill(loaded, iter(rows), file, keys)  # row by row: the file is never held as cell lists
    if rows.broken is not None:
        _add_problem(loaded, rows.broken, keys, file)
    elif not rows.count:
        raise InputError("the file has no rows; add a header row and one row per post")
    return loaded


class _Rows:
    """``records`` that stops at a broken quote and keeps it: the rows before it are still
    read, so their problems show too."""

    def __init__(self, source: Decoded, delimiter: str) -> None:
        self.source, self.delimiter = source, delimiter
        self.broken: CsvProblem | None = None
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        try:
            for row in records(self.source, self.delimiter):
                self.count += 1
                yield row
        except CsvProblem as exc:
            self.broken = exc


def _add_problem(
    loaded: LoadedFile, problem: CsvProblem, keys: list[str | None], file: str
) -> None:
    column = problem.column
    named = keys[column] if column is not None and column < len(keys) else None
    if named is None and column is not None:
        named = f"column {column + 1}"
    loaded.problems.append(
        RowError(problem.code, problem.message, row=problem.row, field=named, file=file)
    )


def _blank(row: list[str]) -> bool:
    return not "".join(row).strip()


def _fill(
    loaded: LoadedFile,
    numbered: Iterator[tuple[int, list[str]]],
    file: str,
    keys_out: list[str | None],
) -> None:
    # Spreadsheet row number = record index + 1 (a quoted multi-line cell is still one row).
    nonblank = (item for item in numbered if not _blank(item[1]))
    first = next(nonblank, None)
    if first is None:
        return
    second = next(nonblank, None)
    rest: Iterator[tuple[int, list[str]]] = numbered  # blank rows are skipped below
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
    keys_out.extend(keys)
    width = len(keys)
    warned_extra = False
    for number, row in rest:
        cells = {
            k: value for k, value in zip(keys, row, strict=False) if value and k and value.strip()
        }
        if not cells and _blank(row):
            continue
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
