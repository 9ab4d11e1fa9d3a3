"""Channel endpoints (reference §7): integrations list, find-slot and integration-settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from calendar_sched.check.rules import Setting, max_length, rule_for
from calendar_sched.sandbox.config import DEFAULT_POSTING_TIMES
from calendar_sched.sandbox.store import ChannelRow, Store
from calendar_sched.sandbox.validation import Rejected, bad_request

NOT_FOUND = {"msg": "Integration not found"}
_SEARCH_DAYS = 366


def list_integrations(store: Store, group: str | None) -> list[dict[str, Any]]:
    """``GET /integrations``: every channel, disabled ones included, optionally by customer."""
    out = []
    for row in store.channels():
        channel = row.channel
        if group and (channel.customer or {}).get("id") != group:
            continue
        item: dict[str, Any] = {
            "id": channel.id,
            "name": channel.name,
            "identifier": channel.identifier,
            "picture": channel.picture,
            "disabled": channel.disabled,
            "profile": channel.profile,
        }
        if channel.customer:
            item["customer"] = channel.customer
        out.append(item)
    return out


def list_groups(store: Store) -> list[dict[str, Any]]:
    """``GET /groups``: the customers that channels belong to, as ``[{id, name}]``."""
    seen: dict[str, dict[str, Any]] = {}
    for row in store.channels():
        customer = row.channel.customer or {}
        if customer.get("id") and customer["id"] not in seen:
            seen[customer["id"]] = {"id": customer["id"], "name": customer.get("name")}
    return list(seen.values())


def find_slot(store: Store, channel_id: str, now: float) -> dict[str, str]:
    """The next free posting time of a channel, as a naive UTC ``YYYY-MM-DDTHH:mm:00``."""
    row = store.channel(channel_id)
    if row is None or row.channel.disabled:
        # The real server recurses forever here (no posting times); answering beats hanging.
        raise bad_request(f"Integration with id {channel_id} not found or disabled")
    minutes = sorted(row.posting_times or DEFAULT_POSTING_TIMES)
    current = datetime.fromtimestamp(now, tz=UTC)
    midnight = current.replace(hour=0, minute=0, second=0, microsecond=0)
    horizon = midnight + timedelta(days=_SEARCH_DAYS)
    taken = store.taken_times(int(now * 1000), int(horizon.timestamp() * 1000))
    for day in range(_SEARCH_DAYS):
        for minute in minutes:
            slot = midnight + timedelta(days=day, minutes=minute)
            if slot > current and int(slot.timestamp() * 1000) not in taken:
                return {"date": slot.strftime("%Y-%m-%dT%H:%M:00")}
    raise bad_request("No free slot in the next year")


def integration_settings(store: Store, channel_id: str) -> dict[str, Any]:
    """``GET /integration-settings/:id``: rules text, max length and the settings schema."""
    row = store.channel(channel_id)
    if row is None:
        raise Rejected(404, NOT_FOUND)
    identifier = row.channel.identifier
    return {
        "output": {
            "rules": rule_for(identifier).rules_text,
            "maxLength": max_length(identifier, verified=row.verified),
            "settings": settings_schema(row),
            "tools": [],
        }
    }


def settings_schema(row: ChannelRow) -> dict[str, Any] | str:
    """A JSON-schema-like description of a provider's settings DTO.

    Only unconditional required settings are listed under ``required``: class-validator-jsonschema
    treats a ``ValidateIf`` property (X's ``who_can_reply_post``) as optional, so X has no list.
    """
    rule = rule_for(row.channel.identifier)
    if not rule.settings and not rule.extra:
        return "No additional settings required"
    properties: dict[str, Any] = {}
    required = []
    for setting in (*rule.settings, *rule.extra):
        properties[setting.key] = _property(setting)
        if setting.required and setting.when is None and setting.unless is None:
            required.append(setting.key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _property(setting: Setting) -> dict[str, Any]:
    prop: dict[str, Any] = {}
    if setting.choices is not None:
        prop["type"] = "boolean" if all(isinstance(c, bool) for c in setting.choices) else "string"
        prop["enum"] = list(setting.choices)
    elif setting.min_length is not None or setting.max_length is not None or setting.url:
        prop["type"] = "string"
    if setting.min_length is not None:
        prop["minLength"] = setting.min_length
    if setting.max_length is not None:
        prop["maxLength"] = setting.max_length
    if setting.url:
        prop["format"] = "url"
    if setting.pattern:
        prop["pattern"] = setting.pattern
    return prop
