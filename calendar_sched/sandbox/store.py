"""The sandbox's state in one SQLite file (WAL): channels, posts, tags, uploads, quota, counters.

Times are stored as integer milliseconds since the epoch (UTC), as Postgres/Prisma would
round-trip them to JavaScript ``Date`` values.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calendar_sched.models import Channel
from calendar_sched.sandbox.sqlite import SqliteState
from calendar_sched.sandbox.throttle import ThrottleState

STAT_KEYS = (
    "counted_requests",
    "rejected_429",
    "lockouts",
    "posts_created",
    "comments_created",
    "posts_updated",
    "uploads",
    "faults_5xx",
    "dropped_after_commit",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS channels (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, identifier TEXT NOT NULL, picture TEXT,
    disabled INTEGER NOT NULL DEFAULT 0, profile TEXT, customer TEXT,
    verified INTEGER NOT NULL DEFAULT 0, posting_times TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY, integration_id TEXT NOT NULL, content TEXT NOT NULL,
    publish_ms INTEGER NOT NULL, delay INTEGER NOT NULL DEFAULT 0, grp TEXT NOT NULL,
    image TEXT NOT NULL DEFAULT '[]', settings TEXT NOT NULL DEFAULT '{}', interval_days INTEGER,
    state TEXT NOT NULL, parent_id TEXT, creation_method TEXT NOT NULL,
    release_url TEXT, release_id TEXT, error TEXT, tags TEXT NOT NULL DEFAULT '[]',
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, deleted_ms INTEGER,
    wake_ms INTEGER
);
CREATE INDEX IF NOT EXISTS posts_group ON posts (grp);
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, color TEXT NOT NULL, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL, source_url TEXT,
    mime TEXT NOT NULL, size INTEGER NOT NULL, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS throttle (
    id INTEGER PRIMARY KEY CHECK (id = 1), hits INTEGER NOT NULL,
    window_end REAL, blocked_until REAL
);
CREATE TABLE IF NOT EXISTS stats (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def iso_ms(ms: int) -> str:
    """JavaScript ``Date.toISOString()``: ``2026-12-01T09:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(frozen=True)
class ChannelRow:
    """A stored integration."""

    channel: Channel
    verified: bool
    posting_times: tuple[int, ...]


@dataclass(frozen=True)
class PostRow:
    """A stored post row (a root post or one comment of its thread)."""

    id: str
    integration_id: str
    content: str
    publish_ms: int
    delay: int
    group: str
    image: list[Any]
    settings: dict[str, Any]
    interval_days: int | None
    state: str
    parent_id: str | None
    creation_method: str
    release_url: str | None
    release_id: str | None
    error: str | None
    tags: list[dict[str, Any]]
    deleted_ms: int | None


@dataclass(frozen=True)
class NewValue:
    """One ``value[]`` item to upsert, already validated."""

    id: str
    content: str
    delay: int
    image: list[Any]


class Store(SqliteState):
    """SQLite-backed state (WAL); one connection shared by the server's threads under a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, wal=True)
        self._db.row_factory = sqlite3.Row
        columns = {row["name"] for row in self._rows("PRAGMA table_info(posts)")}
        if "wake_ms" not in columns:  # a file from before workflows were modelled
            with self.transaction():
                self._run("ALTER TABLE posts ADD COLUMN wake_ms INTEGER")
                self._run("UPDATE posts SET wake_ms = publish_ms WHERE state = 'QUEUE'")
        self._run("CREATE INDEX IF NOT EXISTS posts_wake ON posts (state, wake_ms)")

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _run(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # Channels and tags

    def seed_channels(
        self,
        channels: Sequence[Channel],
        verified: frozenset[str],
        posting_times: dict[str, tuple[int, ...]],
    ) -> None:
        """Replace the organisation's channels (posts are kept)."""
        with self.transaction():
            self._run("DELETE FROM channels")
            for position, ch in enumerate(channels):
                self._run(
                    "INSERT INTO channels VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        ch.id,
                        ch.name,
                        ch.identifier,
                        ch.picture,
                        int(ch.disabled),
                        ch.profile,
                        json.dumps(ch.customer) if ch.customer else None,
                        int(ch.id in verified),
                        json.dumps(list(posting_times.get(ch.id, ()))),
                        position,
                    ),
                )

    def channels(self) -> list[ChannelRow]:
        """Every channel in seeding order."""
        return [_channel(row) for row in self._rows("SELECT * FROM channels ORDER BY position")]

    def channel(self, channel_id: str) -> ChannelRow | None:
        """One channel by id."""
        rows = self._rows("SELECT * FROM channels WHERE id = ?", (channel_id,))
        return _channel(rows[0]) if rows else None

    def seed_tags(self, names: Sequence[str], now_ms: int) -> None:
        """Create the organisation's tags that do not exist yet."""
        for name in names:
            self._run(
                "INSERT OR IGNORE INTO tags VALUES (?,?,?,?)",
                (str(uuid.uuid4()), name, "#942828", now_ms),
            )

    def tags_named(self, labels: Sequence[str]) -> list[dict[str, Any]]:
        """Existing tags whose name is one of ``labels``, in ``GET /posts`` shape."""
        if not labels:
            return []
        marks = ",".join("?" * len(labels))
        rows = self._rows(f"SELECT * FROM tags WHERE name IN ({marks}) ORDER BY name", labels)
        return [
            {
                "tag": {
                    "id": row["id"],
                    "name": row["name"],
                    "color": row["color"],
                    "orgId": "sandbox-org",
                    "deletedAt": None,
                    "createdAt": iso_ms(row["created_ms"]),
                    "updatedAt": iso_ms(row["created_ms"]),
                }
            }
            for row in rows
        ]

    # Posts

    def post(self, post_id: str) -> PostRow | None:
        """One post row by id, deleted or not."""
        rows = self._rows("SELECT * FROM posts WHERE id = ?", (post_id,))
        return _post(rows[0]) if rows else None

    def upsert_values(
        self,
        *,
        integration_id: str,
        values: Sequence[NewValue],
        publish_ms: int,
        group: str,
        settings: dict[str, Any],
        interval_days: int | None,
        state: str | None,
        creation_method: str,
        tags: list[dict[str, Any]],
        now_ms: int,
        workflow: bool | None = True,
    ) -> tuple[int, int]:
        """Upsert a thread by ``value.id`` (``state`` None keeps it); (created, updated).

        ``workflow`` is what happens to the post's publishing workflow (reference §3 step 4):
        True starts it anew (it wakes at ``publish_ms``), False ends it (drafts), None leaves
        it as it is (``type: update``: a new row then has none and never publishes; a changed
        date does not move the one running).
        """
        created = updated = 0
        parent: str | None = None
        for value in values:
            args: dict[str, Any] = {
                "id": value.id,
                "integration_id": integration_id,
                "content": value.content,
                "publish_ms": publish_ms,
                "delay": value.delay,
                "grp": group,
                "image": json.dumps(value.image),
                "settings": json.dumps(settings),
                "interval_days": interval_days,
                "state": state or "QUEUE",
                "parent_id": parent,
                "creation_method": creation_method,
                "tags": json.dumps(tags),
                "now": now_ms,
                "wake": publish_ms if workflow else None,
            }
            existing = self._rows("SELECT state, wake_ms FROM posts WHERE id = ?", (value.id,))
            if existing:
                # Deleted rows stay deleted (reference §3): deletedAt is never cleared.
                args["state"] = state or existing[0]["state"]
                if workflow is None:
                    args["wake"] = existing[0]["wake_ms"]
                self._run(
                    "UPDATE posts SET integration_id=:integration_id, content=:content, "
                    "publish_ms=:publish_ms, delay=:delay, grp=:grp, image=:image, "
                    "settings=:settings, interval_days=:interval_days, state=:state, "
                    "parent_id=:parent_id, tags=:tags, error=NULL, updated_ms=:now, "
                    "wake_ms=:wake WHERE id=:id",
                    args,
                )
                updated += 1
            else:
                self._run(
                    "INSERT INTO posts (id, integration_id, content, publish_ms, delay, grp, "
                    "image, settings, interval_days, state, parent_id, creation_method, tags, "
                    "created_ms, updated_ms, wake_ms) VALUES (:id, :integration_id, :content, "
                    ":publish_ms, :delay, :grp, :image, :settings, :interval_days, :state, "
                    ":parent_id, :creation_method, :tags, :now, :now, :wake)",
                    args,
                )
                created += 1
            parent = value.id
        return created, updated

    def delete_group(self, group: str, now_ms: int) -> int:
        """Soft-delete every live row of a group; the number of rows."""
        return self._run(
            "UPDATE posts SET deleted_ms = ?, parent_id = NULL "
            "WHERE grp = ? AND deleted_ms IS NULL",
            (now_ms, group),
        )

    def update_group(
        self, group: str, *, state: str, settings: dict[str, Any] | None, restart: bool
    ) -> int:
        """Set a group's live rows' state (and settings); ``restart`` starts the workflow anew
        (queued rows wake at their publish time, drafts never)."""
        sets = "state = :state" + (", settings = :settings" if settings is not None else "")
        if restart:
            sets += ", wake_ms = CASE WHEN :state = 'QUEUE' THEN publish_ms END"
        args = {"state": state, "settings": json.dumps(settings), "group": group}
        return self._run(f"UPDATE posts SET {sets} WHERE grp = :group AND deleted_ms IS NULL", args)

    def remove_channel(self, channel_id: str) -> bool:
        """Take a channel out of the organisation; whether it was there."""
        return self._run("DELETE FROM channels WHERE id = ?", (channel_id,)) > 0

    def list_posts(
        self, start_ms: int, end_ms: int, customer: str | None
    ) -> list[tuple[PostRow, ChannelRow]]:
        """Live root posts in [start, end] or repeating, with their channel (§5 selection)."""
        rows = self._rows(
            "SELECT p.* FROM posts p JOIN channels c ON c.id = p.integration_id "
            "WHERE p.deleted_ms IS NULL AND p.parent_id IS NULL "
            "AND ((p.publish_ms BETWEEN ? AND ?) OR p.interval_days IS NOT NULL) "
            "ORDER BY p.publish_ms, p.created_ms, p.id",
            (start_ms, end_ms),
        )
        channels = {row.channel.id: row for row in self.channels()}
        out = []
        for row in rows:
            post = _post(row)
            channel = channels[post.integration_id]
            if customer and (channel.channel.customer or {}).get("id") != customer:
                continue
            out.append((post, channel))
        return out

    def taken_times(self, start_ms: int, end_ms: int) -> set[int]:
        """Publish instants of live posts of the org in a range (find-slot)."""
        rows = self._rows(
            "SELECT publish_ms FROM posts WHERE deleted_ms IS NULL AND publish_ms BETWEEN ? AND ?",
            (start_ms, end_ms),
        )
        return {int(row["publish_ms"]) for row in rows}

    def publish_due(self, now_ms: int) -> int:
        """Move QUEUE threads whose workflow wakes to PUBLISHED, or ERROR on a disabled or
        deleted target; a post without a workflow (``type: update`` on a new id) never wakes."""
        due = self._rows(
            "SELECT p.id, p.grp, p.deleted_ms, c.disabled, c.identifier FROM posts p "
            "JOIN channels c ON c.id = p.integration_id "
            "WHERE p.state = 'QUEUE' AND p.parent_id IS NULL AND p.wake_ms <= ?",
            (now_ms,),
        )
        with self.transaction():
            for row in due:
                if row["deleted_ms"] is not None:
                    state, error, url = "ERROR", "No Post", None
                elif row["disabled"]:
                    state, error, url = "ERROR", "Channel disabled", None
                else:
                    state, error = "PUBLISHED", None
                    url = f"https://{row['identifier']}.sandbox.invalid/p/{row['id']}"
                self._run(
                    "UPDATE posts SET state=?, error=?, release_url=?, release_id=?, updated_ms=? "
                    "WHERE grp = ? AND state = 'QUEUE'",
                    (state, error, url, row["id"] if url else None, now_ms, row["grp"]),
                )
        return len(due)

    # Uploads

    def add_upload(
        self, *, name: str, path: str, mime: str, size: int, source_url: str | None, now_ms: int
    ) -> str:
        """Record an uploaded file; its media id."""
        media_id = str(uuid.uuid4())
        self._run(
            "INSERT INTO uploads VALUES (?,?,?,?,?,?,?)",
            (media_id, name, path, source_url, mime, size, now_ms),
        )
        return media_id

    # Quota and counters

    def throttle_state(self) -> ThrottleState:
        """The organisation's throttler keys."""
        rows = self._rows("SELECT * FROM throttle WHERE id = 1")
        if not rows:
            return ThrottleState()
        row = rows[0]
        return ThrottleState(row["hits"], row["window_end"], row["blocked_until"])

    def save_throttle_state(self, state: ThrottleState) -> None:
        """Persist the throttler keys, so a lock-out survives a restart as it does in Redis."""
        self._run(
            "INSERT OR REPLACE INTO throttle VALUES (1, ?, ?, ?)",
            (state.hits, state.window_end, state.blocked_until),
        )

    def bump(self, key: str, by: int = 1) -> None:
        """Add to one counter."""
        if by:
            self._run(
                "INSERT INTO stats VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                (key, by),
            )

    def stats(self) -> dict[str, int]:
        """All counters, plus live post and channel totals."""
        out = dict.fromkeys(STAT_KEYS, 0)
        out.update({row["key"]: int(row["value"]) for row in self._rows("SELECT * FROM stats")})
        live = self._rows("SELECT COUNT(*) AS n FROM posts WHERE deleted_ms IS NULL")
        out["posts_total"] = int(live[0]["n"])
        return out


def _channel(row: sqlite3.Row) -> ChannelRow:
    channel = Channel(
        id=row["id"],
        name=row["name"],
        identifier=row["identifier"],
        picture=row["picture"],
        disabled=bool(row["disabled"]),
        profile=row["profile"],
        customer=json.loads(row["customer"]) if row["customer"] else None,
    )
    return ChannelRow(channel, bool(row["verified"]), tuple(json.loads(row["posting_times"])))


def _post(row: sqlite3.Row) -> PostRow:
    return PostRow(
        id=row["id"],
        integration_id=row["integration_id"],
        content=row["content"],
        publish_ms=int(row["publish_ms"]),
        delay=int(row["delay"]),
        group=row["grp"],
        image=json.loads(row["image"]),
        settings=json.loads(row["settings"]),
        interval_days=row["interval_days"],
        state=row["state"],
        parent_id=row["parent_id"],
        creation_method=row["creation_method"],
        release_url=row["release_url"],
        release_id=row["release_id"],
        error=row["error"],
        tags=json.loads(row["tags"]),
        deleted_ms=row["deleted_ms"],
    )
