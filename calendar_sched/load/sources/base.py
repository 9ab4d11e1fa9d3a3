"""The one record shape every reader produces: cells plus their position."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.models import Position
from calendar_sched.report import RowError


@dataclass(slots=True)
class RawRecord:
    """One row / item as read, with canonical keys (see ``layouts.canonical_key``).

    Flat formats (CSV, XLSX) give dotted keys such as ``text.x``, ``thread.1`` or
    ``settings.youtube.title`` with raw cell values (str for CSV; str, int, float, bool or
    datetime for XLSX). YAML/JSON give the item's own nested values under canonical top-level keys.
    """

    position: Position
    cells: dict[str, Any]
    #: Problems of this record found while reading (a value of the wrong shape, a key given
    #: twice): its entry fails validation with them, as with any problem of its own.
    problems: list[RowError] = field(default_factory=list)


@dataclass
class LoadedFile:
    """Everything read from one calendar file."""

    path: Path
    format: str  # csv | tsv | xlsx | yaml | json
    records: list[RawRecord]
    layout: str = "calendar-sched"  # or "hootsuite"
    timezone: str | None = None  # YAML/JSON top-level `timezone`
    defaults: dict[str, Any] = field(default_factory=dict)  # YAML/JSON top-level `defaults`
    slots: Any = None  # YAML/JSON top-level `slots` (posting slots), as written
    problems: list[RowError] = field(default_factory=list)  # unreadable-file, encoding-fallback…
    #: The reader's decoding cannot yield half a UTF-16 surrogate pair (a broken ``\uXXXX``
    #: escape), so the strings need no check for one.
    whole_characters: bool = False
