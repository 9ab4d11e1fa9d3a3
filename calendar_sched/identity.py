"""Identity: entry keys, deterministic post ids, content hashes and target fingerprints.

Every id calendar-sched derives is made here, so the backends, the journal, the executor and the
account comparison agree on what "the same post" is. Ids are uuid5 in one namespace, over the
target fingerprint, the post key (``<entry key>@<channel id>``) and the thread position; the
attempt number is never part of an id. A content hash says whether a Post changed since the
journal recorded it.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calendar_sched.models import Channel, MediaRef, Post, PostValue

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


def content_hash(post: Post) -> str:
    """16 hex of sha256 over everything the server stores of a Post: a changed Post is an update.

    Position and zone are left out: they only say where the row is and how its instant was
    written. The bytes hashed are those pydantic's ``model_dump_json`` wrote when the models
    were pydantic models, so every journal written since stays valid: fields in declaration
    order, no spaces, text unescaped UTF-8 (``"``, ``\\`` and control characters escaped), floats
    as pydantic writes them (``1e+16``, ``0.00001``, ``1e-6``; ``null`` for inf and nan),
    instants as ``2026-12-01T09:00:00Z``. tests/test_identity.py pins hashes and checks the
    bytes against pydantic's.
    """
    values = ",".join(map(_value_json, post.values))
    payload = (
        f'{{"entry_key":{_text(post.entry_key)},"channel":{_channel_json(post.channel)},'
        f'"publish_at":"{_datetime(post.publish_at)}","type":{_text(post.type)},'
        f'"values":[{values}],"settings":{_json(post.settings)},"tags":{_json(post.tags)},'
        f'"short_link":{_json(post.short_link)},'
        f'"repeat_every_days":{_json(post.repeat_every_days)}}}'
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# Strings: json's escaping is pydantic's (both escape ", \ and U+0000-U+001F, nothing else).
_text = json.JSONEncoder(ensure_ascii=False).encode


def _channel_json(channel: Channel) -> str:
    return (
        f'{{"id":{_text(channel.id)},"name":{_text(channel.name)},'
        f'"identifier":{_text(channel.identifier)},"picture":{_json(channel.picture)},'
        f'"disabled":{_json(channel.disabled)},"profile":{_json(channel.profile)},'
        f'"customer":{_json(channel.customer)}}}'
    )


def _value_json(value: PostValue) -> str:
    media = ",".join(map(_media_json, value.media))
    return f'{{"text":{_text(value.text)},"media":[{media}],"delay":{_json(value.delay)}}}'


def _media_json(ref: MediaRef) -> str:
    return (
        f'{{"source":{_text(ref.source)},"path":{_json(ref.path)},"url":{_json(ref.url)},'
        f'"kind":{_text(ref.kind)},"sha256":{_json(ref.sha256)},"size":{_json(ref.size)}}}'
    )


def _json(value: Any) -> str:
    """One value as pydantic writes an ``Any``: JSON types, dates, sets and bytes."""
    if isinstance(value, str):
        return _text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Mapping):
        items = ",".join(f"{_text(_key(k))}:{_json(v)}" for k, v in value.items())
        return f"{{{items}}}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"[{','.join(map(_json, value))}]"
    if isinstance(value, datetime):
        return f'"{_datetime(value)}"'
    if isinstance(value, date | time):
        return f'"{value.isoformat()}"'
    if isinstance(value, bytes):
        return _text(value.decode())
    raise TypeError(f"cannot hash a value of type {type(value).__name__}: {value!r}")


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "None"
    if isinstance(key, float):
        return repr(key) if math.isfinite(key) else "None"  # pydantic: repr, not _float
    if isinstance(key, bool | int | datetime | date | time):
        return _json(key).strip('"')
    raise TypeError(f"cannot hash a mapping key of type {type(key).__name__}: {key!r}")


def _float(number: float) -> str:
    """pydantic's float: shortest digits; positional from 1e-5 up to below 1e16, else 1e+16."""
    if not math.isfinite(number):
        return "null"
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        return f"{sign}0.0"
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    shift = int(exponent or 0) - len(fraction)  # number = int(digits) * 10**shift
    stripped = digits.rstrip("0")
    shift += len(digits) - len(stripped)
    digits = stripped
    point = len(digits) + shift  # number = 0.digits * 10**point
    if shift >= 0 and point <= 16:
        text = digits + "0" * shift + ".0"
    elif 0 < point <= 16:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -5 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        head = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        text = f"{head}e{'+' if power > 0 else ''}{power}"
    return sign + text


def _datetime(moment: datetime) -> str:
    """ISO 8601 as pydantic writes it: ``Z`` for UTC, ``±HH:MM`` else, microseconds if any."""
    offset = moment.utcoffset()
    text = moment.replace(tzinfo=None).isoformat()
    if offset is None:
        return text
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return text + "Z"
    minutes = abs(seconds) // 60
    return f"{text}{'-' if seconds < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"
