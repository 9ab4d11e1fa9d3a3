"""What ``POST/GET/DELETE /posts`` do to the store (reference §3, §5, §6)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from calendar_sched.sandbox.store import ChannelRow, PostRow, Store, iso_ms
from calendar_sched.sandbox.validation import Rejected, ValidRequest, bad_request, parse_date

DAY_MS = 86_400_000
INTERNAL_ERROR = {"statusCode": 500, "message": "Internal server error"}


def create_posts(store: Store, request: ValidRequest, now: float) -> list[dict[str, str]]:
    """Write each ``posts[]`` element in order; the 201 body ``[{postId, integration}]``.

    Not transactional across elements, as on the server: a republish-guard failure on the third
    element leaves the first two written and raises :class:`Rejected`.
    """
    now_ms = int(now * 1000)
    date_ms = request.date_ms
    if request.type == "now":
        date_ms = int(now // 60) * 60_000
    state = {"draft": "DRAFT", "update": None}.get(request.type or "", "QUEUE")
    # startWorkflow is skipped for update; a draft's workflow is only terminated.
    workflow = {"draft": False, "update": None}.get(request.type or "", True)
    tags = store.tags_named(request.tag_labels)
    answer = []
    for post in request.posts:
        first_id = post.values[0].id
        if request.type in ("schedule", "now") and not request.republish:
            _republish_guard(store, store.post(first_id))
        with store.transaction():
            new_post = store.post(first_id) is None
            created, updated = store.upsert_values(
                integration_id=post.channel.channel.id,
                values=post.values,
                publish_ms=date_ms,
                group=str(uuid.uuid4()),  # a new group per element per request
                settings=post.settings,
                interval_days=request.inter,
                state=state,
                creation_method=request.creation_method,
                tags=tags,
                now_ms=now_ms,
                workflow=workflow,
            )
            if post.group:
                # "Replace server-side group X": the rows just written carry the new group.
                store.delete_group(post.group, now_ms)
            # A thread's first value is the post; the values after it are its comments.
            store.bump("posts_created", int(new_post and created > 0))
            store.bump("comments_created", created - int(new_post and created > 0))
            store.bump("posts_updated", updated)
        answer.append({"postId": first_id, "integration": post.channel.channel.id})
    return answer


def _republish_guard(store: Store, existing: PostRow | None) -> None:
    """posts.service.ts ``guardAgainstRepublish``: the lookup by id does not skip deleted rows."""
    if existing is None or existing.state != "PUBLISHED":
        return
    when = datetime.fromtimestamp(existing.publish_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
    channel = store.channel(existing.integration_id)
    provider = channel.channel.identifier if channel else "the channel"
    raise bad_request(
        f"This post was already published on {when} UTC. Saving it this way would publish it "
        f"again to {provider}. To edit without republishing, use type 'update'. To "
        "intentionally publish again, pass republish: true."
    )


def list_posts(store: Store, query: dict[str, str]) -> dict[str, Any]:
    """The ``GET /posts`` body; raises :class:`Rejected` on missing or bad dates."""
    start = parse_date(query.get("startDate"))
    end = parse_date(query.get("endDate"))
    messages = [
        f"{name} must be a valid ISO 8601 date string"
        for name, value in (("startDate", start), ("endDate", end))
        if value is None
    ]
    if messages or start is None or end is None:
        raise bad_request(messages)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    items: list[dict[str, Any]] = []
    for post, channel in store.list_posts(start_ms, end_ms, query.get("customer") or None):
        if not post.interval_days:
            items.append(_item(post, channel, post.publish_ms))
            continue
        occurrence = post.publish_ms
        while occurrence <= end_ms:  # one entry per repetition up to endDate
            item = _item(post, channel, occurrence)
            item["actualDate"] = iso_ms(post.publish_ms)
            items.append(item)
            occurrence += post.interval_days * DAY_MS
    items.sort(key=lambda item: str(item["publishDate"]))
    return {"posts": items}


def _item(post: PostRow, channel: ChannelRow, publish_ms: int) -> dict[str, Any]:
    return {
        "id": post.id,
        "content": post.content,
        "publishDate": iso_ms(publish_ms),
        "releaseURL": post.release_url,
        "releaseId": post.release_id,
        "state": post.state,
        "intervalInDays": post.interval_days,
        "group": post.group,
        "creationMethod": post.creation_method,
        "settings": json.dumps(post.settings, separators=(",", ":")),
        "tags": post.tags,
        "integration": {
            "id": channel.channel.id,
            "providerIdentifier": channel.channel.identifier,
            "name": channel.channel.name,
            "picture": channel.channel.picture,
        },
    }


def delete_post(store: Store, post_id: str, now: float) -> dict[str, bool]:
    """Soft-delete the group of a post; unknown or deleted ids fail with 500 as on the server."""
    post = store.post(post_id)
    if post is None or post.deleted_ms is not None:
        raise Rejected(500, INTERNAL_ERROR)
    store.delete_group(post.group, int(now * 1000))
    return {"error": True}  # the server's literal answer, even on success


def delete_group(store: Store, group: str, now: float) -> dict[str, bool]:
    """Soft-delete a group; unknown groups are a silent no-op."""
    store.delete_group(group, int(now * 1000))
    return {"error": True}
