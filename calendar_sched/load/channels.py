"""Channel references: resolving them against a channel list, and loading channel lists.

A reference is an integration id, ``identifier:profile`` (``linkedin-page:acme-inc``), an
identifier alone when exactly one channel has it (``x``), or a channel name (any case).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calendar_sched.errors import InputError
from calendar_sched.files import max_file_bytes, read_regular
from calendar_sched.models import Channel

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_OTHER_SEPARATORS = str.maketrans(";|\r\n", ",,,,")


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving one reference: a channel, or an error code and message."""

    ref: str
    channel: Channel | None = None
    code: str | None = None
    message: str = ""
    candidates: tuple[Channel, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the reference names exactly one enabled channel."""
        return self.channel is not None and self.code is None


def label(channel: Channel) -> str:
    """The reference a user can paste: ``identifier:profile`` (else the id)."""
    if channel.profile:
        return f"{channel.identifier}:{channel.profile}"
    return channel.id


def split_refs(value: str) -> list[str]:
    """References from one cell, separated by ``,`` ``;`` ``|`` or newlines."""
    if ";" in value or "|" in value or "\n" in value or "\r" in value:
        value = value.translate(_OTHER_SEPARATORS)  # the usual cell has commas only
    return [part for part in map(str.strip, value.split(",")) if part]


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _describe(channels: Iterable[Channel]) -> str:
    return ", ".join(f"{label(c)} ({c.name})" for c in channels)


def resolve(ref: str, channels: Sequence[Channel], index: ChannelIndex | None = None) -> Resolution:
    """Resolve one reference; never raises, unknown/ambiguous/disabled become error codes.

    An identifier or name shared by several channels resolves to the only enabled one.
    ``index`` is ``ChannelIndex(channels)``, made once for many references.
    """
    wanted = ref.strip()
    matches = (index or ChannelIndex(channels)).match(wanted)
    if len(matches) == 1:
        channel = matches[0]
        if channel.disabled:
            return Resolution(
                wanted,
                channel,
                "disabled-channel",
                f"channel {label(channel)} ({channel.name}) is disabled; reconnect it in Postiz "
                "or remove it from this row",
                (channel,),
            )
        return Resolution(wanted, channel)
    if matches:
        return Resolution(
            wanted,
            None,
            "ambiguous-channel",
            f"{wanted!r} matches {len(matches)} channels: {_describe(matches)}; "
            "use identifier:profile or the channel id",
            tuple(matches),
        )
    near = _closest(wanted, channels)
    hint = f"did you mean {_describe(near)}?" if near else ""
    if not channels:
        hint = "the channel list is empty"
    elif not near:
        known = ", ".join(label(c) for c in channels[:15])
        hint = "known: " + known + (" …" if len(channels) > 15 else "")
    return Resolution(wanted, None, "unknown-channel", f"no channel {wanted!r}; {hint}", near)


class ChannelIndex:
    """A channel list by each form a reference may take, so a lookup does not scan the list.

    Every list keeps the channel list's order, so a match is the same list a scan would find.
    """

    def __init__(self, channels: Sequence[Channel]) -> None:
        self.by_id: dict[str, list[Channel]] = {}
        self.by_identifier: dict[str, list[Channel]] = {}
        self.by_name: dict[str, list[Channel]] = {}  # folded name
        self.by_profile: dict[tuple[str, str], list[Channel]] = {}  # identifier, profile or name
        for channel in channels:
            self.by_id.setdefault(channel.id, []).append(channel)
            self.by_identifier.setdefault(channel.identifier, []).append(channel)
            name = _fold(channel.name)
            self.by_name.setdefault(name, []).append(channel)
            for who in dict.fromkeys((_fold(channel.profile or "").lstrip("@"), name)):
                self.by_profile.setdefault((channel.identifier, who), []).append(channel)

    def match(self, wanted: str) -> list[Channel]:
        """The channels ``wanted`` names: by id, ``identifier:profile``, identifier, or name."""
        by_id = self.by_id.get(wanted)
        if by_id:
            return list(by_id)
        folded = _fold(wanted)
        identifier, sep, profile = wanted.partition(":")
        if sep:
            key = (identifier.strip().lower(), _fold(profile).lstrip("@"))
            found = self.by_profile.get(key)
            if found:
                return list(found)
        by_identifier = self.by_identifier.get(folded)
        if by_identifier:
            return _prefer_enabled(list(by_identifier))
        return _prefer_enabled(list(self.by_name.get(folded, ())))


def _prefer_enabled(found: list[Channel]) -> list[Channel]:
    # `x` should mean the one live X account, not also the disconnected old one.
    enabled = [c for c in found if not c.disabled]
    return enabled if len(found) > 1 and len(enabled) == 1 else found


def _closest(wanted: str, channels: Sequence[Channel]) -> tuple[Channel, ...]:
    names: dict[str, Channel] = {}
    for channel in channels:
        for form in (channel.id, label(channel), channel.name, channel.identifier):
            names.setdefault(_fold(form), channel)
    hits = difflib.get_close_matches(_fold(wanted), list(names), n=6, cutoff=0.6)
    unique: dict[str, Channel] = {}
    for hit in hits:
        unique.setdefault(names[hit].id, names[hit])
    return tuple(unique.values())[:3]


@dataclass
class Resolver:
    """Resolves references against one channel list, caching each distinct reference."""

    channels: Sequence[Channel]
    _cache: dict[str, Resolution] = field(default_factory=dict)
    _index: ChannelIndex | None = None

    def __call__(self, ref: str) -> Resolution:
        """``resolve(ref, self.channels)``, memoised."""
        found = self._cache.get(ref)
        if found is None:
            if self._index is None:
                self._index = ChannelIndex(self.channels)
            found = resolve(ref, self.channels, self._index)
            self._cache[ref] = found
        return found


def validate_channels(items: Sequence[Any]) -> list[Channel]:
    """``GET /integrations`` items as Channels, unknown keys ignored.

    Raises pydantic's ``ValidationError`` (a ``ValueError``) when an item does not fit.
    """
    plain = _plain_channels(items)
    return plain if plain is not None else _channel_list().validate_python(items)


def _plain_channels(items: Iterable[Any]) -> list[Channel] | None:
    channels = [_plain_channel(item) for item in items]
    if all(channel is not None for channel in channels):
        return [channel for channel in channels if channel is not None]
    return None


def _plain_channel(item: Any) -> Channel | None:
    # A Channel when every field already has its exact type, so pydantic would return the same
    # values (a fresh customer dict); None sends the list to pydantic, to coerce or explain.
    if type(item) is not dict or any(type(item.get(key)) is not str for key in _REQUIRED):
        return None
    if any(item.get(key) is not None and type(item[key]) is not str for key in _OPTIONAL):
        return None
    disabled, customer = item.get("disabled", False), item.get("customer")
    if type(disabled) is not bool:
        return None
    if customer is not None:
        if type(customer) is not dict or any(type(key) is not str for key in customer):
            return None
        customer = dict(customer)
    return Channel(
        id=item["id"],
        name=item["name"],
        identifier=item["identifier"],
        picture=item.get("picture"),
        disabled=disabled,
        profile=item.get("profile"),
        customer=customer,
    )


_REQUIRED = ("id", "name", "identifier")
_OPTIONAL = ("picture", "profile")


@functools.cache
def _channel_list() -> TypeAdapter[list[Channel]]:
    # Built on first need: pydantic's import is a fifth of validate's start-up.
    from pydantic import TypeAdapter

    return TypeAdapter(list[Channel])


def parse_channels(data: Any, source: str = "channel list") -> list[Channel]:
    """Channels from decoded JSON/YAML in the ``GET /integrations`` shape."""
    if isinstance(data, dict):
        for key in ("integrations", "channels"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a list of channels like GET /public/v1/integrations")
    plain = _plain_channels(data)
    if plain is not None:
        return plain
    from pydantic import ValidationError  # only for a list that needs coercing or explaining

    try:
        return validate_channels(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"{source}: channel {where}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from None


def load_channels_file(path: str | Path) -> list[Channel]:
    """Read a channels file (JSON or YAML, the ``GET /integrations`` shape); InputError if bad."""
    file = Path(path)
    try:
        text = read_regular(file, limit=max_file_bytes()).decode("utf-8-sig")
    except (InputError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read channels file {file}: {exc}") from None
    try:
        if file.suffix.lower() in (".yaml", ".yml"):
            from calendar_sched.load.sources.yaml import load_document  # only YAML needs PyYAML

            data = load_document(text).data  # safe, and aliases counted before anything is built
        else:
            data = json.loads(text)
    except (json.JSONDecodeError, InputError) as exc:
        raise InputError(f"channels file {file} is not valid JSON/YAML: {exc}") from None
    return parse_channels(data, f"channels file {file}")


def demo_channels() -> list[Channel]:
    """The channels seeded in the built-in sandbox (used when no list is given)."""
    text = resources.files("calendar_sched").joinpath("data/demo_channels.json").read_text("utf-8")
    return parse_channels(json.loads(text), "demo channels")
