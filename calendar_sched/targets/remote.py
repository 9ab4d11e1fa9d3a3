"""What a listed post says: ``GET /posts`` items read into text, media, tags and settings.

The readers shared by the account comparison (``plan/``) and ``pull`` (``sheets/``).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from calendar_sched.targets.base import RemotePost

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|div)\s*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BETWEEN_TAGS = re.compile(r">\s*[\r\n]\s*<")


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
