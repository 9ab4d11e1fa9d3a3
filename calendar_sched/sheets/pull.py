"""Existing posts out as an editable calendar: GET /posts items → this project's own format.

Each pulled entry's ``id`` is ``postiz:<server post id>``; ``remote_value_id`` turns that key
back into the server id, which the Postiz backend sends as ``value[0].id`` so that re-running the
pulled file updates the same post in place instead of creating a new one.

Limitation: ``GET /public/v1/posts`` lists root posts only, so comments (thread replies) are not
pulled. Sending a pulled entry again leaves the server's comments attached to their root post.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from calendar_sched.errors import ConfigError
from calendar_sched.files import atomic_write_text
from calendar_sched.identity import REMOTE_PREFIX
from calendar_sched.load.channels import resolve
from calendar_sched.models import Channel
from calendar_sched.sheets.writers import Table, write_table
from calendar_sched.targets.base import Backend, RemotePost
from calendar_sched.targets.remote import (
    html_to_text,
    remote_channel_name,
    remote_identifier,
    remote_media,
    remote_settings,
    remote_tags,
)

#: Formats ``write_calendar`` can produce, by file suffix.
CALENDAR_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}


def select_channels(refs: Iterable[str], channels: Sequence[Channel]) -> set[str]:
    """Channel ids for ``--channels`` references, resolved as the calendar's are.

    Disabled channels may be pulled (their posts exist). Raises ``ConfigError`` for references
    that match no channel or several.
    """
    wanted: set[str] = set()
    problems: list[str] = []
    for ref in refs:
        found = resolve(ref, channels)
        if found.channel is not None:
            wanted.add(found.channel.id)
        else:
            problems.append(found.message)
    if problems:
        raise ConfigError("; ".join(problems))
    return wanted


def pull_entries(
    remotes: Iterable[RemotePost],
    *,
    channel_ids: Collection[str] | None = None,
    timezone: str = "UTC",
) -> list[dict[str, Any]]:
    """Listed posts → calendar entries (YAML item shape), one per root post, sorted by time.

    Repeating posts are listed once per occurrence; they are pulled once, at their first date.
    """
    zone = _zone(timezone)
    seen: set[str] = set()
    entries: list[tuple[datetime, str, dict[str, Any]]] = []
    for remote in remotes:
        if remote.id in seen or (channel_ids is not None and remote.channel_id not in channel_ids):
            continue
        seen.add(remote.id)
        entry: dict[str, Any] = {
            "id": f"{REMOTE_PREFIX}{remote.id}",
            "publish_at": remote.publish_at.astimezone(zone).isoformat(),
            "channels": [remote.channel_id],
            "type": "draft" if remote.state.upper() == "DRAFT" else "schedule",
            "text": html_to_text(remote.content),
        }
        if media := remote_media(remote):
            entry["media"] = media
        if tags := remote_tags(remote):
            entry["tags"] = tags
        settings = remote_settings(remote)
        identifier = remote_identifier(remote)
        if settings and identifier:
            entry["settings"] = {identifier: settings}
        repeat = remote.raw.get("intervalInDays")
        if isinstance(repeat, int) and repeat > 0:
            entry["repeat_every_days"] = repeat
        entry["_note"] = f"{remote.state.upper()} on {remote_channel_name(remote)}"
        entries.append((remote.publish_at, remote.id, entry))
    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in entries]


@dataclass(frozen=True)
class PullResult:
    """What ``pull_calendar`` wrote: the file, its entries and the server states pulled."""

    path: Path
    entries: int
    states: dict[str, int]


def pull_calendar(
    backend: Backend,
    start: datetime,
    end: datetime,
    out: Path,
    *,
    channel_refs: Sequence[str] = (),
    timezone: str = "UTC",
) -> PullResult:
    """Write the account's posts between ``start`` and ``end`` as a calendar file.

    Args:
        backend: where to list posts (one free ``GET /posts``; discovery only with refs).
        start: first instant listed (inclusive).
        end: last instant listed (inclusive).
        out: the calendar to write (.yaml, .csv or .xlsx), atomically.
        channel_refs: only these channels (ids, names or ``identifier:profile``).
        timezone: IANA zone the pulled times are written in.

    Returns:
        The path written, the number of entries and the count of each server state.
    """
    if out.suffix.lower() not in CALENDAR_FORMATS:
        raise ConfigError(f"cannot write a calendar as {out.name}: use .yaml, .csv or .xlsx")
    if end < start:
        raise ConfigError("the end of the range is before its start")
    _zone(timezone)
    wanted = select_channels(channel_refs, backend.discover()) if channel_refs else None
    remotes = backend.list_posts(start, end)
    entries = pull_entries(remotes, channel_ids=wanted, timezone=timezone)
    pulled = {f"{REMOTE_PREFIX}{r.id}": r.state.upper() for r in remotes}
    states = dict(Counter(pulled[e["id"]] for e in entries))
    summary = {
        "pulled_from": start.isoformat(),
        "pulled_to": end.isoformat(),
        "posts": len(entries),
        **{f"state_{k.lower()}": v for k, v in sorted(states.items())},
        "note": "comments (thread replies) are not listed by the API and are not included",
    }
    write_calendar(entries, out, timezone=timezone, summary=summary)
    return PullResult(out, len(entries), states)


def write_calendar(
    entries: Sequence[Mapping[str, Any]],
    out: Path,
    *,
    timezone: str = "UTC",
    summary: Mapping[str, Any] | None = None,
) -> None:
    """Write pulled entries as a calendar file (YAML, CSV or XLSX by suffix), atomically."""
    fmt = CALENDAR_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot write a calendar as {out.suffix or 'no suffix'}: use .yaml, .csv or .xlsx"
        )
    if fmt == "yaml":
        atomic_write_text(out, calendar_yaml(entries, timezone=timezone))
        return
    write_table(out, calendar_table(entries, timezone=timezone), summary=summary, styled=False)


def calendar_yaml(entries: Sequence[Mapping[str, Any]], *, timezone: str = "UTC") -> str:
    """The YAML calendar text: a header, ``timezone`` and ``posts``, each post with its state."""
    lines = [
        "# Pulled from Postiz by calendar-sched. Edit times or text and `run` this file:",
        "# unchanged posts send nothing; edited ones are updated in place (ids `postiz:<id>`).",
        "# Comments (thread replies) are not listed by the API and are not included here.",
        yaml.safe_dump({"timezone": timezone}, sort_keys=False).rstrip(),
        "posts:" if entries else "posts: []",
    ]
    for entry in entries:
        clean = {k: v for k, v in entry.items() if not k.startswith("_")}
        if note := entry.get("_note"):
            lines.append(f"  # {note}")
        dumped = yaml.safe_dump([clean], sort_keys=False, allow_unicode=True, width=100)
        lines.extend(f"  {line}" if line else line for line in dumped.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"


def calendar_table(entries: Sequence[Mapping[str, Any]], *, timezone: str = "UTC") -> Table:
    """Pulled entries as flat calendar columns (``settings.<identifier>.<key>`` for settings)."""
    base = ["id", "publish_at", "timezone", "channels", "type", "text", "media", "tags"]
    setting_cols: list[str] = []
    has_repeat = any("repeat_every_days" in e for e in entries)
    rows: list[list[Any]] = []
    flat_rows: list[dict[str, Any]] = []
    for entry in entries:
        flat: dict[str, Any] = {
            "id": entry["id"],
            "publish_at": entry["publish_at"],
            "timezone": timezone,
            "channels": ", ".join(entry.get("channels", [])),
            "type": entry.get("type", "schedule"),
            "text": entry.get("text", ""),
            "media": " | ".join(entry.get("media", [])),
            "tags": ", ".join(entry.get("tags", [])),
        }
        if has_repeat:
            flat["repeat_every_days"] = entry.get("repeat_every_days", "")
        for identifier, values in (entry.get("settings") or {}).items():
            for key, value in values.items():
                col = f"settings.{identifier}.{key}"
                if col not in setting_cols:
                    setting_cols.append(col)
                flat[col] = _flat_value(value)
        flat_rows.append(flat)
    header = base + (["repeat_every_days"] if has_repeat else []) + setting_cols
    for flat in flat_rows:
        rows.append([flat.get(col, "") for col in header])
    return Table(header=header, rows=rows, sheet="Calendar")


def _flat_value(value: Any) -> Any:
    # Cells hold scalars; lists and objects (e.g. reddit subreddits) travel as JSON text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def listing_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Inclusive listing bounds for ``--from``/``--to`` dates: ``end`` covers its whole day."""
    if end.hour == end.minute == end.second == 0:
        end = end + timedelta(days=1) - timedelta(seconds=1)
    return start, end


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown timezone {name!r}; use an IANA name like Europe/Berlin"
        ) from exc
