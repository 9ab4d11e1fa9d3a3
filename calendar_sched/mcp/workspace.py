"""Where the MCP server keeps what agents hand it: inline calendars, exports and pulled files.

An inline calendar (a JSON array of posts in the calendar schema) becomes a file
``inline-<hash>.json`` under the workspace, named from a hash of its content: the same rows are
the same file, so the journal beside it, resume and export work exactly as for any calendar.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calendar_sched.files import atomic_write_text
from calendar_sched.report import Report, RowError

#: The default workspace, relative to the server's working directory.
DEFAULT_WORKSPACE = Path(".calendar-sched") / "mcp"


class ToolInputError(Exception):
    """A tool's arguments cannot be used; ``report`` says why, in the ``validate --json`` shape."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(e.message for e in report.errors))
        self.report = report


def input_error(
    message: str, *, field: str | None = None, file: str | None = None
) -> ToolInputError:
    """A ToolInputError with one ``bad-value`` (or ``unreadable-file``) problem."""
    report = Report()
    code = "unreadable-file" if file is not None else "bad-value"
    report.add(RowError(code, message, field=field, file=file))
    return ToolInputError(report)


@dataclass(frozen=True)
class Workspace:
    """The folder of inline calendars (``inline-*.json``), ``exports/`` and ``pulled/``."""

    root: Path = DEFAULT_WORKSPACE

    def calendar_files(self, path: str | list[str] | None, rows: Any) -> list[Path]:
        """The calendar files a tool works on: ``path`` (one or several), or inline ``rows``.

        Raises:
            ToolInputError: neither or both given, a file is missing, or ``rows`` is not a
                list of objects.
        """
        if (path is None) == (rows is None):
            raise input_error("give either path (a calendar file) or rows (inline posts)")
        if rows is not None:
            return [self.write_inline(rows)]
        paths = [path] if isinstance(path, str) else list(path or [])
        if not paths:
            raise input_error("path is empty: name at least one calendar file", field="path")
        found = [Path(p).expanduser() for p in paths]
        for file in found:
            if not file.is_file():
                raise input_error(f"no such calendar file: {file}", file=str(file))
        return found

    def write_inline(self, rows: Any) -> Path:
        """``rows`` (a JSON array of post objects) as ``inline-<hash>.json``; its path."""
        if not isinstance(rows, list) or not rows:
            raise input_error("rows must be a non-empty JSON array of post objects", field="rows")
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise input_error(
                    f"rows[{number - 1}] is {type(row).__name__}, not an object with the "
                    "calendar's fields (see the calendar-schema resource)",
                    field="rows",
                )
        text = json.dumps(rows, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        target = self.root / f"inline-{digest}.json"
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, text)
        return target

    def output(self, folder: str, name: str, given: str | None) -> Path:
        """Where a tool writes a file: ``given``, else ``<workspace>/<folder>/<name>``."""
        if given:
            out = Path(given).expanduser()
            if not out.parent.is_dir():
                raise input_error(f"folder {out.parent} does not exist", field="out")
            return out
        target = self.root / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target
