"""Calendar readers: one per format, picked by file extension, all giving ``LoadedFile``.

``read`` never raises for a bad file: a missing, unreadable or unknown file comes back as a
``LoadedFile`` without records and with an ``unreadable-file`` problem that says how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calendar_sched.errors import InputError
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.load.sources.csv import read_csv
from calendar_sched.load.sources.json import read_json
from calendar_sched.load.sources.layouts import canonical_key
from calendar_sched.load.sources.xlsx import read_xlsx
from calendar_sched.report import RowError

__all__ = ["EXTENSIONS", "READERS", "LoadedFile", "RawRecord", "canonical_key", "read"]

Reader = Callable[..., LoadedFile]


def read_yaml(path: Path, *, sheet: str | None = None) -> LoadedFile:
    """``sources.yaml.read_yaml``, imported when a YAML file is read: only YAML needs PyYAML."""
    from calendar_sched.load.sources import yaml as yaml_reader

    return yaml_reader.read_yaml(path, sheet=sheet)


#: Reader per format; each takes ``(path, *, sheet=None)``.
READERS: dict[str, Reader] = {
    "csv": read_csv,
    "xlsx": read_xlsx,
    "yaml": read_yaml,
    "json": read_json,
}

#: Format per file extension (lower case).
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}

_FOREIGN = {
    ".xls": "old Excel .xls files cannot be read; open it in Excel and save it as .xlsx",
    ".ods": "OpenDocument spreadsheets cannot be read; save it as .xlsx or CSV",
    ".numbers": "Numbers files cannot be read; export it as .xlsx or CSV",
}


def read(path: str | os.PathLike[str], *, sheet: str | None = None) -> LoadedFile:
    """Read one calendar file.

    Args:
        path: a .csv/.tsv/.txt, .xlsx/.xlsm, .yaml/.yml or .json file.
        sheet: the XLSX sheet to read (default: the first); ignored for other formats.

    Returns:
        The records with their positions, plus any problems found while reading. A file that
        cannot be read at all has no records and one ``unreadable-file`` problem.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None:
        known = ", ".join(EXTENSIONS)
        reason = _FOREIGN.get(suffix) or (
            f"unknown file type {suffix or '(no extension)'!r}; use one of {known}"
        )
        return _unreadable(path, suffix.lstrip(".") or "unknown", reason)
    if not path.exists():
        if path.is_symlink():
            reason = "a symbolic link to nothing, or to itself (a loop); fix the link"
            return _unreadable(path, fmt, reason)
        return _unreadable(path, fmt, "file not found; check the path and the current directory")
    if path.is_dir():
        return _unreadable(path, fmt, "this is a directory; give a calendar file inside it")
    try:
        return _without_surrogates(READERS[fmt](path, sheet=sheet))
    except InputError as exc:
        return _unreadable(path, fmt, str(exc))
    except OSError as exc:
        return _unreadable(path, fmt, f"cannot open the file: {exc.strerror or exc}")
    except RecursionError:
        return _unreadable(path, fmt, "values are nested too deeply to read; flatten them")
    except Exception as exc:  # never a traceback for a bad file; say what the reader hit
        return _unreadable(
            path, fmt, f"cannot be read as {fmt} ({type(exc).__name__}: {exc}); check the file"
        )


def _unreadable(path: Path, fmt: str, reason: str) -> LoadedFile:
    problem = RowError("unreadable-file", f"{path.name}: {reason}", file=str(path))
    return LoadedFile(path=path, format=fmt, records=[], problems=[problem])


# Half of a UTF-16 surrogate pair (e.g. a JSON "\\ud83d" escape without its partner) is not a
# character: no API can send it. Such records are reported, not passed on.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(loaded: LoadedFile) -> LoadedFile:
    if loaded.whole_characters:
        return loaded
    kept = []
    for record in loaded.records:
        bad = next((key for key, value in record.cells.items() if _has_surrogate(value)), None)
        if bad is None:
            kept.append(record)
            continue
        loaded.problems.append(
            RowError(
                "bad-value",
                "contains half of a UTF-16 surrogate pair (a broken \\uXXXX escape), which is "
                "not a character: write the character itself or both halves of the pair",
                row=record.position.row
                if record.position.row is not None
                else record.position.line,
                field=bad,
                file=str(loaded.path),
            )
        )
    loaded.records = kept
    return loaded


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_surrogate(item) for item in value)
    return False
