"""Validation of PostSyncer post bodies: Laravel-style 422 field errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SCHEDULE_TYPES = ("publish_now", "schedule", "draft")
GAP_UNITS = ("minutes", "hours", "days", "weeks", "months")
INSTAGRAM_TYPES = ("POST", "REELS", "STORIES")
LINKEDIN_VISIBILITY = ("PUBLIC", "CONNECTIONS", "LOGGED_IN")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Errors = dict[str, list[str]]


def unprocessable(errors: Errors) -> dict[str, Any]:
    """Laravel's 422 body: the first message, ``(and N more errors)``, and every field."""
    messages = [m for ms in errors.values() for m in ms]
    extra = len(messages) - 1
    suffix = f" (and {extra} more error{'s' if extra > 1 else ''})" if extra > 0 else ""
    return {"message": messages[0] + suffix, "errors": errors}


def validate_post(
    body: Any,
    *,
    workspaces: set[int],
    accounts: Mapping[int, Mapping[str, Any]],
    media_ok: Callable[[int, int], bool],
    labels: set[int],
    partial: bool = False,
) -> Errors:
    """Field errors of a ``POST /posts`` (or ``PUT`` with ``partial``) body; empty when valid."""
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not isinstance(body, dict):
        return {"workspace_id": ["The workspace id field is required."]}
    workspace = body.get("workspace_id")
    if workspace is None and not partial:
        add("workspace_id", "The workspace id field is required.")
    elif workspace is not None and (not isinstance(workspace, int) or workspace not in workspaces):
        add("workspace_id", "The selected workspace id is invalid.")
    kind = body.get("schedule_type")
    if kind is None and not partial:
        add("schedule_type", "The schedule type field is required.")
    elif kind is not None and kind not in SCHEDULE_TYPES:
        add("schedule_type", "The selected schedule type is invalid.")
    _check_schedule(body.get("schedule_for"), add)
    if "content" in body or not partial:
        _check_content(body.get("content"), workspace, media_ok, add)
    if "accounts" in body or not partial:
        _check_accounts(body.get("accounts"), workspace, accounts, add)
    for index, label in enumerate(body.get("labels") or []):
        if label not in labels:
            add(f"labels.{index}", f"The selected labels.{index} is invalid.")
    if body.get("repeatable"):
        gap = body.get("repeatable_gap")
        if not isinstance(gap, int) or gap < 1:
            add("repeatable_gap", "The repeatable gap must be at least 1.")
        if body.get("repeatable_gap_unit") not in GAP_UNITS:
            add("repeatable_gap_unit", "The selected repeatable gap unit is invalid.")
    return errors


def _check_schedule(when: Any, add: Callable[[str, str], None]) -> None:
    if when in (None, {}, ""):
        return
    if not isinstance(when, dict):
        add("schedule_for", "The schedule for must be an object.")
        return
    if not _DATE.match(str(when.get("date", ""))):
        add("schedule_for.date", "The schedule for.date does not match the format Y-m-d.")
    if not _TIME.match(str(when.get("time", ""))):
        add("schedule_for.time", "The schedule for.time does not match the format H:i.")
    try:
        ZoneInfo(str(when.get("timezone") or "UTC"))
    except (ValueError, ZoneInfoNotFoundError):
        add("schedule_for.timezone", "The schedule for.timezone must be a valid timezone.")


def _check_content(
    content: Any,
    workspace: Any,
    media_ok: Callable[[int, int], bool],
    add: Callable[[str, str], None],
) -> None:
    if not isinstance(content, list) or not content:
        add("content", "The content field is required.")
        return
    for index, item in enumerate(content):
        if not isinstance(item, dict):
            add(f"content.{index}", "Each content item must be an object.")
            continue
        media = item.get("media") or []
        if not item.get("text") and not media:
            add(f"content.{index}.text", f"The content.{index}.text field is required.")
        if not isinstance(media, list):
            add(f"content.{index}.media", "The media must be an array.")
            continue
        for position, ref in enumerate(media):
            field = f"content.{index}.media.{position}"
            if isinstance(ref, bool):
                add(field, f"The {field} is invalid.")
            elif isinstance(ref, int):
                if not isinstance(workspace, int) or not media_ok(workspace, ref):
                    add(field, f"The selected {field} is invalid.")
            elif not (isinstance(ref, str) and ref.startswith("https://")):
                add(field, f"The {field} must be a media id or an https URL.")


def _check_accounts(
    items: Any,
    workspace: Any,
    accounts: Mapping[int, Mapping[str, Any]],
    add: Callable[[str, str], None],
) -> None:
    if not isinstance(items, list) or not items:
        add("accounts", "The accounts field is required.")
        return
    for index, item in enumerate(items):
        account_id = item.get("id") if isinstance(item, dict) else None
        account = accounts.get(account_id) if isinstance(account_id, int) else None
        if account is None or account.get("workspace_id") != workspace:
            add(f"accounts.{index}.id", f"The selected accounts.{index}.id is invalid.")
            continue
        settings = item.get("settings") or {}
        if not isinstance(settings, dict):
            add(f"accounts.{index}.settings", "The settings must be an object.")
            continue
        _check_settings(str(account.get("platform")), settings, f"accounts.{index}.settings", add)


def _check_settings(
    platform: str, settings: Mapping[str, Any], where: str, add: Callable[[str, str], None]
) -> None:
    if (
        platform.startswith("instagram")
        and settings.get("post_type", "POST") not in INSTAGRAM_TYPES
    ):
        add(f"{where}.post_type", f"The selected {where}.post_type is invalid.")
    if platform == "pinterest" and not settings.get("board_id"):
        add(f"{where}.board_id", f"The {where}.board_id field is required.")
    if platform.startswith("linkedin") and settings.get("visibility", "PUBLIC") not in (
        LINKEDIN_VISIBILITY
    ):
        add(f"{where}.visibility", f"The selected {where}.visibility is invalid.")
    if platform == "telegram":
        for flag in ("disable_notification", "protect_content"):
            if flag in settings and not isinstance(settings[flag], bool):
                add(f"{where}.{flag}", f"The {where}.{flag} field must be true or false.")
