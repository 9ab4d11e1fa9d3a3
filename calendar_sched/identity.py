"""Identity: entry keys, deterministic post ids and target fingerprints.

Every id calendar-sched derives is made here, so the backends, the journal, the executor and the
account comparison agree on what "the same post" is. Ids are uuid5 in one namespace, over the
target fingerprint, the post key (``<entry key>@<channel id>``) and the thread position; the
attempt number is never part of an id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calendar_sched.models import Post

#: Namespace of every deterministic id calendar-sched derives (uuid5).
ID_NAMESPACE = uuid.UUID("6b1f0c52-8a57-4f0e-9a61-2f4d3c7b9e10")

#: Entry keys of pulled posts start with this; the rest is the server's post id.
REMOTE_PREFIX = "postiz:"


def derive_key(publish_at: datetime | None, text: str, channels: Iterable[str]) -> str:
    """An entry key for a row without ``id``: 12 hex of sha256 over (instant, text, channels)."""
    when = publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if publish_at else "now"
    payload = json.dumps([when, text, sorted(channels)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def value_id(post_key: str, fingerprint: str, position: int) -> str:
    """Deterministic id of thread item ``position`` of a post, sent as Postiz ``value[].id``."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{fingerprint}|{post_key}|{position}"))


def url_media_id(url: str) -> str:
    """Deterministic id of a remote media item, by its URL."""
    return str(uuid.uuid5(ID_NAMESPACE, url))


def remote_value_id(entry_key: str) -> str | None:
    """The server post id a pulled entry key stands for (``postiz:<id>`` → ``<id>``), else None."""
    if entry_key.startswith(REMOTE_PREFIX) and len(entry_key) > len(REMOTE_PREFIX):
        return entry_key[len(REMOTE_PREFIX) :]
    return None


def first_value_id(post: Post, fingerprint: str) -> str:
    """The id a Post is sent and stored under (Postiz ``value[0].id``, the server's post id).

    A pulled entry (``postiz:<id>``) is tied to that server post, so sending it again updates the
    post in place; every other Post has its deterministic id.
    """
    return remote_value_id(post.entry_key) or value_id(post.key, fingerprint, 0)


def target_fingerprint(api: str, base_url: str) -> str:
    """sha256 of the API's name and its normalised root: journals of two targets never mix.

    Channel ids are globally unique, and every deterministic post id already mixes in its
    channel id, so the root alone keeps ids apart across servers while staying stable when
    channels are added to the account. The key is never part of it.
    """
    return hashlib.sha256(f"{api}|{base_url}".encode()).hexdigest()
