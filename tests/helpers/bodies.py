"""Request bodies for sandbox tests, in the shape Postiz clients send."""

from __future__ import annotations

from typing import Any

X_SETTINGS = {"who_can_reply_post": "everyone"}


def value(
    content: str = "Hello",
    *,
    id: str | None = None,
    image: list[Any] | None = None,
    delay: int | None = None,
) -> dict[str, Any]:
    """One ``value[]`` item."""
    item: dict[str, Any] = {"content": content, "image": image or []}
    if id is not None:
        item["id"] = id
    if delay is not None:
        item["delay"] = delay
    return item


def post(
    *parts: str | dict[str, Any],
    settings: dict[str, Any] | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """One ``posts[]`` element: an optional integration id first, then values (default X)."""
    integration = parts[0] if parts and isinstance(parts[0], str) else "demo-x"
    values = [part for part in parts if isinstance(part, dict)]
    element: dict[str, Any] = {
        "integration": {"id": integration},
        "value": values or [value()],
        "settings": X_SETTINGS if settings is None else settings,
    }
    if group is not None:
        element["group"] = group
    return element


def create(
    *posts: dict[str, Any], type: str = "schedule", date: str = "2027-02-01T09:30:00Z", **extra: Any
) -> dict[str, Any]:
    """A whole ``POST /posts`` body."""
    body: dict[str, Any] = {
        "type": type,
        "shortLink": False,
        "date": date,
        "tags": [],
        "posts": list(posts) or [post()],
    }
    body.update(extra)
    return body
