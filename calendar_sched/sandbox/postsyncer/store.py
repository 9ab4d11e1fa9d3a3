"""SQLite state of a PostSyncer sandbox: accounts, posts, media, labels, the window, counters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calendar_sched.sandbox.postsyncer.config import Account, Workspace
from calendar_sched.sandbox.postsyncer.throttle import Window
from calendar_sched.sandbox.sqlite import SqliteState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL, deleted INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER, data TEXT NOT NULL,
    deleted INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS window (id INTEGER PRIMARY KEY CHECK (id = 1), hits INTEGER,
    ends_at REAL);
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

STATS = (
    "requests",
    "counted_requests",
    "rejected_429",
    "rejected_401",
    "rejected_403",
    "rejected_422",
    "posts_created",
    "posts_updated",
    "posts_deleted",
    "media_stored",
    "urls_skipped",
    "faults_5xx",
    "dropped_answers",
)


class Store(SqliteState):
    """One SQLite file, shared by the request threads under one lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def _run(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self._lock:
            return int(self._db.execute(sql, args).lastrowid or 0)

    # Seed

    def seed(self, workspaces: Sequence[Workspace], accounts: Sequence[Account]) -> None:
        """Replace workspaces and accounts with the configured ones."""
        with self.transaction():
            self._run("DELETE FROM workspaces")
            self._run("DELETE FROM accounts")
            for w in workspaces:
                space = {"id": w.id, "name": w.name, "slug": w.slug, "timezone": w.timezone}
                self._run("INSERT INTO workspaces VALUES (?, ?)", (w.id, json.dumps(space)))
            for a in accounts:
                data: dict[str, Any] = {
                    "id": a.id,
                    "platform": a.platform,
                    "username": a.username,
                    "workspace_id": a.workspace_id,
                    "name": a.name,
                }
                if a.failure:
                    data["_failure"] = a.failure
                self._run("INSERT INTO accounts VALUES (?, ?)", (a.id, json.dumps(data)))

    def workspaces(self) -> list[dict[str, Any]]:
        """Every workspace."""
        return [json.loads(r[0]) for r in self._rows("SELECT data FROM workspaces ORDER BY id")]

    def accounts(self) -> list[dict[str, Any]]:
        """Every account."""
        return [json.loads(r[0]) for r in self._rows("SELECT data FROM accounts ORDER BY id")]

    # Posts

    def add_post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Store a new post; returns it with its id."""
        post_id = self._run("INSERT INTO posts (data) VALUES (?)", (json.dumps(data),))
        stored = {"id": post_id, **data}
        self._run("UPDATE posts SET data = ? WHERE id = ?", (json.dumps(stored), post_id))
        return stored

    def post(self, post_id: int) -> dict[str, Any] | None:
        """One live post."""
        rows = self._rows("SELECT data FROM posts WHERE id = ? AND deleted = 0", (post_id,))
        return json.loads(rows[0][0]) if rows else None

    def save_post(self, data: dict[str, Any]) -> None:
        """Overwrite a post."""
        self._run("UPDATE posts SET data = ? WHERE id = ?", (json.dumps(data), data["id"]))

    def delete_post(self, post_id: int) -> None:
        """Soft-delete a post."""
        self._run("UPDATE posts SET deleted = 1 WHERE id = ?", (post_id,))

    def posts(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of live posts (oldest first) and the total."""
        total = self._rows("SELECT COUNT(*) FROM posts WHERE deleted = 0")[0][0]
        rows = self._rows(
            "SELECT data FROM posts WHERE deleted = 0 ORDER BY id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [json.loads(r[0]) for r in rows], int(total)

    # Media and labels

    def add_media(self, workspace_id: int, data: dict[str, Any]) -> dict[str, Any]:
        """Store a media item; returns it with its id."""
        media_id = self._run(
            "INSERT INTO media (workspace_id, data) VALUES (?, ?)", (workspace_id, "{}")
        )
        stored = {"id": media_id, "workspace_id": workspace_id, **data}
        self._run("UPDATE media SET data = ? WHERE id = ?", (json.dumps(stored), media_id))
        return stored

    def media(self, media_id: int) -> dict[str, Any] | None:
        """One live media item."""
        rows = self._rows("SELECT data FROM media WHERE id = ? AND deleted = 0", (media_id,))
        return json.loads(rows[0][0]) if rows else None

    def media_page(
        self, workspace_id: int | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of media (optionally of one workspace) and the total."""
        where = "deleted = 0" + (" AND workspace_id = ?" if workspace_id is not None else "")
        args: tuple[Any, ...] = (workspace_id,) if workspace_id is not None else ()
        total = self._rows(f"SELECT COUNT(*) FROM media WHERE {where}", args)[0][0]
        rows = self._rows(
            f"SELECT data FROM media WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [json.loads(r[0]) for r in rows], int(total)

    def delete_media(self, media_id: int) -> None:
        """Soft-delete a media item."""
        self._run("UPDATE media SET deleted = 1 WHERE id = ?", (media_id,))

    def labels(self, workspace_id: int | None = None) -> list[dict[str, Any]]:
        """Labels, optionally of one workspace."""
        sql = "SELECT id, workspace_id, name FROM labels"
        rows = (
            self._rows(sql + " WHERE workspace_id = ? ORDER BY id", (workspace_id,))
            if workspace_id is not None
            else self._rows(sql + " ORDER BY id")
        )
        return [{"id": r[0], "workspace_id": r[1], "name": r[2]} for r in rows]

    def add_label(self, workspace_id: int, name: str) -> dict[str, Any]:
        """Create a label."""
        label_id = self._run(
            "INSERT INTO labels (workspace_id, name) VALUES (?, ?)", (workspace_id, name)
        )
        return {"id": label_id, "workspace_id": workspace_id, "name": name}

    # Window and counters

    def window(self) -> Window:
        """The rate-limit window as persisted."""
        rows = self._rows("SELECT hits, ends_at FROM window WHERE id = 1")
        return Window(int(rows[0][0]), rows[0][1]) if rows else Window()

    def save_window(self, window: Window) -> None:
        """Persist the rate-limit window."""
        self._run(
            "INSERT OR REPLACE INTO window (id, hits, ends_at) VALUES (1, ?, ?)",
            (window.hits, window.ends_at),
        )

    def bump(self, name: str, by: int = 1) -> None:
        """Add to a counter."""
        self._run(
            "INSERT INTO stats VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
            (name, by, by),
        )

    def stats(self) -> dict[str, int]:
        """Every counter, zero when never bumped."""
        found = {str(r[0]): int(r[1]) for r in self._rows("SELECT name, value FROM stats")}
        return {name: found.get(name, 0) for name in STATS} | found
