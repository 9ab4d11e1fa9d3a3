"""Settings of a PostSyncer sandbox: token and abilities, quota, workspaces and accounts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_sched.errors import InputError
from calendar_sched.load.channels import demo_channels, validate_channels
from calendar_sched.models import Channel
from calendar_sched.sandbox.config import Faults
from calendar_sched.sandbox.postsyncer.throttle import RateHeaders

ABILITIES = frozenset({"workspaces", "accounts", "posts", "labels", "campaigns"})
#: Postiz identifiers whose PostSyncer platform name differs.
IDENTIFIER_TO_PLATFORM = {"x": "twitter"}


@dataclass(frozen=True)
class Workspace:
    """A PostSyncer workspace."""

    id: int
    name: str
    slug: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class Account:
    """A connected social account in a workspace."""

    id: int
    platform: str
    username: str
    workspace_id: int
    name: str = ""
    failure: str = ""  # when set, posts to this account fail with this message (for tests)


@dataclass(frozen=True)
class PostSyncerConfig:
    """Everything one PostSyncer sandbox needs; defaults mirror the public API's."""

    token: str
    db_path: Path
    abilities: frozenset[str] = ABILITIES
    limit: int = 60
    window: float = 60.0
    workspaces: tuple[Workspace, ...] = (Workspace(1, "Acme", "acme", "Europe/Berlin"),)
    accounts: tuple[Account, ...] = field(default_factory=lambda: demo_accounts())
    faults: Faults = Faults()
    seed: int = 0
    rate_headers: RateHeaders = "always"  # X-RateLimit-* on successes (see throttle.py)


def from_channels(channels: Sequence[Channel], workspace_id: int = 1) -> tuple[Account, ...]:
    """Postiz integrations as accounts: identifier → platform, profile → username."""
    return tuple(
        Account(
            id=index,
            platform=IDENTIFIER_TO_PLATFORM.get(channel.identifier, channel.identifier),
            username=channel.profile or channel.name,
            workspace_id=workspace_id,
            name=channel.name,
        )
        for index, channel in enumerate(
            (c for c in channels if not c.disabled),
            start=1,
        )
    )


def demo_accounts() -> tuple[Account, ...]:
    """The demo organisation of the Postiz sandbox, as PostSyncer accounts in workspace 1."""
    return from_channels(demo_channels())


def load_accounts(path: Path) -> tuple[tuple[Workspace, ...], tuple[Account, ...]]:
    """Workspaces and accounts from a file in PostSyncer or Postiz ``GET /integrations`` shape.

    Accepted: ``{"workspaces": [...], "accounts": [...]}``, a list of accounts
    (``{id, platform, username, workspace_id}``), or a list of Postiz integrations
    (``{id, name, identifier, profile}``), which all go to workspace 1.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read channels file {path}: {exc}") from exc
    workspaces: tuple[Workspace, ...] = (Workspace(1, "Acme", "acme", "Europe/Berlin"),)
    if isinstance(data, dict):
        listed = data.get("workspaces")
        if isinstance(listed, list):
            workspaces = tuple(_workspace(item, path) for item in listed)
        data = data.get("accounts", data.get("integrations"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(f"channels file {path} must hold a JSON list of accounts or channels")
    if data and all("identifier" in item for item in data):
        try:
            channels = validate_channels(data)
        except ValueError as exc:
            raise InputError(f"channels file {path}: {exc}") from exc
        return workspaces, from_channels(channels, workspaces[0].id)
    return workspaces, tuple(_account(item, index, path) for index, item in enumerate(data, 1))


def _workspace(item: Mapping[str, Any], path: Path) -> Workspace:
    try:
        return Workspace(
            id=int(item["id"]),
            name=str(item.get("name", "")),
            slug=str(item.get("slug", "")),
            timezone=str(item.get("timezone", "UTC")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"channels file {path}: bad workspace {item!r}: {exc}") from exc


def _account(item: Mapping[str, Any], index: int, path: Path) -> Account:
    try:
        return Account(
            id=int(item.get("id", index)),
            platform=str(item["platform"]).lower(),
            username=str(item.get("username", "")),
            workspace_id=int(item.get("workspace_id", 1)),
            name=str(item.get("name", "")),
            failure=str(item.get("failure", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"channels file {path}: bad account {item!r}: {exc}") from exc
