"""Existing posts out as an editable calendar: GET /posts items → this project's own format.

Each pulled entry's ``id`` is ``postiz:<server post id>``; ``remote_value_id`` turns that key
back into the server id, which the Postiz backend sends as ``value[0].id`` so that re-running the
pulled file updates the same post in place instead of creating a new one.

Limitation: ``GET /public/v1/posts`` lists root posts only, so comments (thread replies) are not
pulled. Sending a pulled entry again leaves the server's comments attached to their root post.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from calendar_sched.errors import ConfigError
from calendar_sched.models import Channel, Post
from calendar_sched.sheets.writers import Table, write_table
from calendar_sched.targets.base import Backend, RemotePost

#: Entry keys of pulled posts start with this; the rest is the server's post id.
REMOTE_PREFIX = "postiz:"

#: Formats ``write_calendar`` can produce, by file suffix.
CALENDAR_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|div)\s*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BETWEEN_TAGS = re.compile(r">\s*[\r\n]\s*<")


def remote_value_id(entry_key: str) -> str | None:
    """The server post id a pulled entry key stands for (``postiz:<id>`` → ``<id>``), else None."""
    if entry_key.startswith(REMOTE_PREFIX) and len(entry_key) > len(REMOTE_PREFIX):
        return entry_key[len(REMOTE_PREFIX) :]
    return None


def first_value_id(post: Post, fingerprint: str) -> str:
    """The id a Post is sent and stored under (Postiz ``value[0].id``, the server's post id).

    A pulled entry (``postiz:<id>``) is tied to that server post, so sending it again updates the
    post in place; every other Post has its deterministic id. The one rule the backend, journal
    and executor share.
    """
    return remote_value_id(post.entry_key) or post.value_id(fingerprint, 0)


def html_to_text(content: str) -> str:
    """Postiz post content → plain text: one line per ``<p>``, entities decoded.

    The inverse of the Postiz backend's ``to_html``; content without tags (stored entity-escaped
    plain text) is only unescaped.
    """
    if not _TAG.search(content):
        return html.unescape(content)
    text = _BETWEEN_TAGS.sub("><", content)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _BREAK.sub("\n", text)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return text[:-1] if text.endswith("\n") else text


def remote_settings(remote: RemotePost) -> dict[str, Any]:
    """The post's provider settings as a dict, without Postiz's internal ``__type``."""
    raw = remote.raw.get("settings")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            raw = {}
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k != "__type"}


def remote_tags(remote: RemotePost) -> list[str]:
    """Tag names of a listed post (``tags: [{tag: {name}}]``)."""
    names: list[str] = []
    for item in remote.raw.get("tags") or []:
        tag = item.get("tag", item) if isinstance(item, dict) else None
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            names.append(tag["name"])
    return names


def remote_media(remote: RemotePost) -> list[str]:
    """Media paths of a listed post, when the listing carries them (``image``: list or JSON)."""
    raw = remote.raw.get("image")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except json.JSONDecodeError:
            return []
    if not isinstance(raw, list):
        return []
    return [item["path"] for item in raw if isinstance(item, dict) and item.get("path")]


def remote_identifier(remote: RemotePost) -> str:
    """The provider identifier of a listed post (``integration.providerIdentifier``)."""
    integration = remote.raw.get("integration") or {}
    return str(integration.get("providerIdentifier") or "")


def remote_channel_name(remote: RemotePost) -> str:
    """The channel name of a listed post, else its channel id."""
    integration = remote.raw.get("integration") or {}
    return str(integration.get("name") or remote.channel_id)


def select_channels(refs: Iterable[str], channels: Sequence[Channel]) -> set[str]:
    """Channel ids for ``--channels`` references, resolved as the calendar's are.

    Disabled channels may be pulled (their posts exist). Raises ``ConfigError`` for references
    that match no channel or several.
    """
    from calendar_sched.load.channels import resolve

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


def pulled_unchanged(post: Post, remote: RemotePost) -> bool:
    """True when a calendar Post already matches the server's post: sending it would change nothing.

    Compares what a pulled file carries: instant, type, main text, media paths, tags, settings.
    """
    if remote_value_id(post.entry_key) != remote.id or post.channel.id != remote.channel_id:
        return False
    if post.publish_at != remote.publish_at:
        return False
    if (post.type == "draft") != (remote.state.upper() == "DRAFT"):
        return False
    main = post.values[0] if post.values else None
    if main is None or main.text != html_to_text(remote.content):
        return False
    paths = [m.url or m.source for m in main.media]
    if paths != remote_media(remote) or sorted(post.tags) != sorted(remote_tags(remote)):
        return False
    return post.settings == remote_settings(remote)


def unchanged_pulled(posts: Iterable[Post], remotes: Iterable[RemotePost]) -> dict[str, RemotePost]:
    """Post key → its server post, for pulled Posts (``postiz:<id>``) that nothing changed.

    ``run`` can journal these as done before planning, so an unedited pulled file sends nothing.
    """
    by_id = {r.id: r for r in remotes}
    found: dict[str, RemotePost] = {}
    for post in posts:
        remote = by_id.get(remote_value_id(post.entry_key) or "")
        if remote is not None and pulled_unchanged(post, remote):
            found[post.key] = remote
    return found


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
        from calendar_sched.sheets.writers import atomic_write_text

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
