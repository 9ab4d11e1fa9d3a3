"""Calendar files written for end-to-end runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

#: The publish time of a written calendar's first row.
START = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)


def write_calendar(
    path: Path, rows: int, *, per_slot: int = 1, channels: str = "x, mastodon"
) -> Path:
    """A CSV calendar: ``rows`` entries, ``per_slot`` sharing each publish time."""
    lines = ["id,date,time,timezone,channels,text"]
    for n in range(rows):
        when = START + timedelta(hours=n // per_slot)
        lines.append(
            f'r{n},{when:%Y-%m-%d},{when:%H:%M},UTC,"{channels}",Post number {n} of the test'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
