"""The smaller ``/public/v1`` routes (reference §7), all in Postiz's controller
``apps/backend/src/public-api/routes/v1/public.integrations.controller.ts`` (CTRL):

- ``PUT /posts/:id/status`` (CTRL ``changePostStatus``): draft or schedule, the workflow
  restarted; ``{id, state}``.
- ``PUT /posts/:id/settings`` (CTRL ``updatePostSettings`` → posts.service.ts
  ``updatePostSettings``): keys merged into the settings and checked again; only a root post,
  queued and not past due, or a draft; ``{postId, publishDate}``.
- ``GET /posts/:id/missing`` (posts.service.ts ``getMissingContent``): ``[]`` unless the
  release id is ``missing``, which the sandbox's publisher never sets.
- ``GET /notifications`` (CTRL ``getNotifications``): a page of 100; the sandbox's in-app
  notices are its posts that failed to publish.
- ``DELETE /integrations/:id`` (CTRL ``deleteChannel``): the channel's post groups deleted,
  the channel gone.
"""

from __future__ import annotations

from typing import Any

from calendar_sched.sandbox.posts import INTERNAL_ERROR
from calendar_sched.sandbox.store import PostRow, Store, iso_ms
from calendar_sched.sandbox.validation import Rejected, bad_request, validate_create

NOTIFICATIONS_PAGE = 100
_FAR_FUTURE_MS = 10**15


def _not_found(message: str) -> Rejected:
    return Rejected(404, {"message": message, "error": "Not Found", "statusCode": 404})


def _live(store: Store, post_id: str) -> PostRow | None:
    post = store.post(post_id)
    return post if post is not None and post.deleted_ms is None else None


def change_status(store: Store, post_id: str, body: Any) -> dict[str, str]:
    """``PUT /posts/:id/status``: ``ChangePostStatusDto`` (``status`` in draft/schedule)."""
    status = body.get("status") if isinstance(body, dict) else None
    if status not in ("draft", "schedule"):
        raise bad_request(["status must be one of the following values: draft, schedule"])
    post = _live(store, post_id)
    if post is None:
        raise bad_request("Post not found")
    state = "DRAFT" if status == "draft" else "QUEUE"
    with store.transaction():
        store.update_group(post.group, state=state, settings=None, restart=True)
    return {"id": post.id, "state": state}


def update_settings(store: Store, post_id: str, body: Any, now: float) -> dict[str, str]:
    """``PUT /posts/:id/settings``: the checks of ``updatePostSettings``, in its order."""
    settings = body.get("settings") if isinstance(body, dict) else None
    if not isinstance(settings, dict):
        raise bad_request(["settings must be an object"])
    root = _live(store, post_id)
    if root is None:
        raise _not_found("Post not found")
    if root.parent_id:
        raise bad_request("This id belongs to a comment, pass the id of the main post")
    if root.state not in ("QUEUE", "DRAFT"):
        raise bad_request(
            "Only scheduled posts that were not published yet (or drafts) can be updated"
        )
    if root.state == "QUEUE" and root.publish_ms < now * 1000:
        raise bad_request("The publish time of this post already passed, it cannot be updated")
    merged = {**root.settings, **settings}
    merged.pop("__type", None)  # the service sets it from the integration
    # The merged settings go through the same checks as a new post's (DTO, then provider).
    check = {
        "type": "draft" if root.state == "DRAFT" else "schedule",
        "shortLink": False,
        "date": iso_ms(root.publish_ms),
        "tags": [],
        "posts": [
            {
                "integration": {"id": root.integration_id},
                "value": [{"content": root.content, "image": root.image}],
                "settings": merged,
            }
        ],
    }
    valid = validate_create(check, store.channel)
    with store.transaction():
        # Content and date stay, so the running workflow is left alone (``type: update``).
        store.update_group(
            root.group, state=root.state, settings=valid.posts[0].settings, restart=False
        )
    return {"postId": root.id, "publishDate": iso_ms(root.publish_ms)}


def missing_content(store: Store, post_id: str) -> list[dict[str, str]]:
    """``GET /posts/:id/missing``: candidates only for a release id of ``missing``."""
    return []


def notifications(store: Store, query: dict[str, str]) -> dict[str, Any]:
    """``GET /notifications?page=N``: failed posts as in-app notices, newest first."""
    raw = query.get("page", "0") or "0"
    try:
        page = int(raw)
    except ValueError:
        raise bad_request(
            ["page must be a number conforming to the specified constraints"]
        ) from None
    failed = [
        (post, channel)
        for post, channel in store.list_posts(0, _FAR_FUTURE_MS, None)
        if post.state == "ERROR"
    ]
    failed.sort(key=lambda pair: (-pair[0].publish_ms, pair[0].id))
    start = max(page, 0) * NOTIFICATIONS_PAGE
    items = [
        {
            "id": f"notice-{post.id}",
            "content": f"Error posting to {channel.channel.name}: {post.error or 'unknown error'}",
            "link": None,
            "createdAt": iso_ms(post.publish_ms),
        }
        for post, channel in failed[start : start + NOTIFICATIONS_PAGE]
    ]
    return {
        "notifications": items,
        "total": len(failed),
        "page": page,
        "limit": NOTIFICATIONS_PAGE,
        "hasMore": start + NOTIFICATIONS_PAGE < len(failed),
    }


def delete_channel(store: Store, channel_id: str, now: float) -> tuple[int, Any]:
    """``DELETE /integrations/:id``: (status, body); an unknown id fails in Prisma (500)."""
    row = store.channel(channel_id)
    if row is None:
        return 500, INTERNAL_ERROR
    now_ms = int(now * 1000)
    with store.transaction():
        groups = {
            post.group
            for post, _ in store.list_posts(0, _FAR_FUTURE_MS, None)
            if post.integration_id == channel_id
        }
        for group in sorted(groups):
            store.delete_group(group, now_ms)
        store.remove_channel(channel_id)
    channel = row.channel
    return 200, {
        "id": channel.id,
        "name": channel.name,
        "providerIdentifier": channel.identifier,
        "picture": channel.picture,
        "disabled": channel.disabled,
        "profile": channel.profile,
        "deletedAt": iso_ms(now_ms),
    }
