"""The shape each field of a YAML/JSON entry may have; anything else is refused, not blanked.

A list where one value belongs (``type: [draft]``), a mapping as an ``id`` or a list inside
``tags`` would otherwise read as an empty cell, and a draft would become a scheduled post.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

#: Keys that hold one value (text, a number, a date, true/false).
SINGLE = frozenset(
    {
        "id",
        "publish_at",
        "date",
        "time",
        "timezone",
        "link",
        "type",
        "short_link",
        "repeat_every_days",
    }
)
#: Keys that hold one name or a list of names.
NAMES = frozenset({"channels", "tags"})
_THREAD_ITEM_KEYS = ("text", "delay")


_SCALARS = (str, int, float, date, time)  # bool is an int, a datetime a date


def is_scalar(value: Any) -> bool:
    """One plain value: text, a number, true/false, a date or time, or nothing."""
    return value is None or isinstance(value, _SCALARS)


def kind(value: Any) -> str:
    """``a list``, ``a mapping``, ``text``… for messages."""
    if value is None:
        return "empty"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)


def shape_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be the value of ``key`` (a canonical key), or None when it can."""
    if key in SINGLE or key.startswith("text."):
        if not is_scalar(value):
            return f"{key} must be a single value, not {kind(value)}"
    elif key in NAMES:
        items = value if isinstance(value, list) else [value]
        bad = next((item for item in items if not is_scalar(item)), None)
        if bad is not None or isinstance(value, dict):
            shown = value if isinstance(value, dict) else bad
            return f"{key} must be a name or a list of names, not a list holding {kind(shown)}"
    elif key == "text" and isinstance(value, dict):
        bad_key = next((str(k) for k, v in value.items() if not is_scalar(v)), None)
        if bad_key is not None:
            return f"text.{bad_key} must be text, not {kind(value[bad_key])}"
    elif key == "media" and isinstance(value, list):
        return _media_problem(key, value)
    elif key == "thread" or key.startswith("thread."):
        return _thread_problem(key, value)
    return None


def _media_problem(key: str, items: list[Any]) -> str | None:
    for item in items:
        if isinstance(item, dict):
            bad = next((str(k) for k, v in item.items() if not is_scalar(v)), None)
            if bad is not None:
                return f"{key}: {bad} must be a path or a URL, not {kind(item[bad])}"
        elif not is_scalar(item):
            return f"{key} must list paths or URLs, not {kind(item)}"
    return None


def _thread_problem(key: str, value: Any) -> str | None:
    items = value if isinstance(value, list) and key == "thread" else [value]
    for item in items:
        if isinstance(item, dict):
            for name in _THREAD_ITEM_KEYS:
                if not is_scalar(item.get(name)):
                    return f"{key}: {name} must be a single value, not {kind(item[name])}"
            media = item.get("media")
            if isinstance(media, list):
                found = _media_problem(f"{key}.media", media)
                if found:
                    return found
            elif media is not None and not is_scalar(media):
                return f"{key}.media must be a path, a URL or a list of them"
        elif not is_scalar(item):
            return f"{key} must be text or a list of replies, not a list holding {kind(item)}"
    return None
