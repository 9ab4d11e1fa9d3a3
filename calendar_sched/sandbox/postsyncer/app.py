"""The Starlette application of the PostSyncer emulator: ``/api/v1`` routes and admin routes.

Stages of each API request: latency → Bearer auth (401, not counted) → rate limiter (every call
counts; 429 ``Too Many Attempts.``) → ability (403) → JSON body → validation (422) → handler.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from calendar_sched.sandbox.admin import sandbox_app
from calendar_sched.sandbox.faults import FaultInjector, request_drop
from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig
from calendar_sched.sandbox.postsyncer.store import Store
from calendar_sched.sandbox.postsyncer.throttle import TOO_MANY, Verdict, attempt
from calendar_sched.sandbox.postsyncer.validation import unprocessable, validate_post

Clock = Callable[[], float]
Handler = Callable[["PostSyncerSandbox", Request, Any], Awaitable[Response]]

PREFIX = "/api/v1"
MEDIA_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mov")
SERVER_ERROR = {"message": "Server Error"}


class PostSyncerSandbox:
    """Per-app state: config, store, faults, revocation and the clock."""

    def __init__(self, config: PostSyncerConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.db_path)
        self.store.seed(config.workspaces, config.accounts)
        self.faults = FaultInjector(config.faults, config.seed)
        self.revoked = False
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def authenticated(self, request: Request) -> bool:
        """A ``Bearer`` token equal to the configured one (and not revoked)."""
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token or self.revoked:
            return False
        return hmac.compare_digest(token.strip().encode(), self.config.token.encode())

    def count(self) -> Verdict:
        """One call through the limiter, persisted."""
        with self._lock, self.store.transaction():
            window = self.store.window()
            verdict = attempt(
                window, self.clock(), limit=self.config.limit, seconds=self.config.window
            )
            self.store.save_window(window)
            self.store.bump("requests")
            if verdict.allowed:
                self.store.bump("counted_requests")
            else:
                self.store.bump("rejected_429")
        return verdict


def create_app(config: PostSyncerConfig, *, clock: Clock = time.time) -> Starlette:
    """A PostSyncer REST API v1 emulator; ``clock`` drives the limiter and publishing."""
    sandbox = PostSyncerSandbox(config, clock)
    routes = [
        Route(f"{PREFIX}/workspaces", _api(_workspaces, "workspaces"), methods=["GET"]),
        Route(f"{PREFIX}/accounts", _api(_accounts, "accounts"), methods=["GET"]),
        Route(f"{PREFIX}/posts", _api(_list_posts, "posts"), methods=["GET"]),
        Route(f"{PREFIX}/posts", _api(_create_post, "posts"), methods=["POST"]),
        Route(f"{PREFIX}/posts/{{id:int}}", _api(_get_post, "posts"), methods=["GET"]),
        Route(f"{PREFIX}/posts/{{id:int}}", _api(_update_post, "posts"), methods=["PUT"]),
        Route(f"{PREFIX}/posts/{{id:int}}", _api(_delete_post, "posts"), methods=["DELETE"]),
        Route(f"{PREFIX}/media", _api(_list_media, "posts"), methods=["GET"]),
        Route(f"{PREFIX}/media/upload/url", _api(_upload_urls, "posts"), methods=["POST"]),
        Route(f"{PREFIX}/media/upload/file", _api(_upload_file, "posts"), methods=["POST"]),
        Route(f"{PREFIX}/media/{{id:int}}", _api(_get_media, "posts"), methods=["GET"]),
        Route(f"{PREFIX}/media/{{id:int}}", _api(_delete_media, "posts"), methods=["DELETE"]),
        Route(f"{PREFIX}/labels", _api(_list_labels, "labels"), methods=["GET"]),
        Route(f"{PREFIX}/labels", _api(_create_label, "labels"), methods=["POST"]),
    ]
    return sandbox_app(routes, sandbox, _not_found)


def _api(handler: Handler, ability: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sandbox: PostSyncerSandbox = request.app.state.sandbox
        await sandbox.faults.delay()
        if not sandbox.authenticated(request):
            sandbox.store.bump("rejected_401")
            return JSONResponse({"message": "Unauthenticated."}, 401)
        verdict = sandbox.count()
        headers = verdict.headers(sandbox.clock(), sandbox.config.rate_headers)
        if not verdict.allowed:
            return JSONResponse(TOO_MANY, 429, headers=headers)
        if ability not in sandbox.config.abilities:
            sandbox.store.bump("rejected_403")
            return JSONResponse({"message": "Invalid ability provided."}, 403, headers=headers)
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(await request.body() or b"null")
            except ValueError:
                return JSONResponse({"message": "Malformed JSON."}, 400, headers=headers)
        if request.method in ("POST", "PUT", "DELETE") and sandbox.faults.roll().fail_5xx:
            sandbox.store.bump("faults_5xx")
            return JSONResponse(SERVER_ERROR, 500, headers=headers)
        response = await handler(sandbox, request, body)
        response.headers.update(headers)
        if response.status_code == 422:
            sandbox.store.bump("rejected_422")
        return response

    return endpoint


def _maybe_drop(sandbox: PostSyncerSandbox, request: Request) -> None:
    """Lose the answer of a committed write, as a dropped connection would."""
    if sandbox.faults.roll().drop_after_commit:
        sandbox.store.bump("dropped_answers")
        request_drop(request.scope)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": "Not Found."}, 404)


def _invalid(errors: dict[str, list[str]]) -> Response:
    return JSONResponse(unprocessable(errors), 422)


def _page(request: Request) -> tuple[int, int]:
    try:
        page = max(1, int(request.query_params.get("page", "1")))
        per_page = min(100, max(1, int(request.query_params.get("per_page", "15"))))
    except ValueError:
        page, per_page = 1, 15
    return page, per_page


def _paginated(items: list[dict[str, Any]], total: int, page: int, per_page: int) -> Response:
    last = max(1, math.ceil(total / per_page))
    meta = {"current_page": page, "last_page": last, "per_page": per_page, "total": total}
    return JSONResponse({"data": items, "meta": meta})


# Discovery


async def _workspaces(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    return JSONResponse(sandbox.store.workspaces())


async def _accounts(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    listed = [
        {k: v for k, v in a.items() if not k.startswith("_")} for a in sandbox.store.accounts()
    ]
    return JSONResponse(listed)


# Posts


def _with_status(sandbox: PostSyncerSandbox, post: dict[str, Any]) -> dict[str, Any]:
    """A stored post with its current status: scheduled posts publish when their time comes."""
    status = {"draft": "draft", "publish_now": "published"}.get(post["schedule_type"], "scheduled")
    when = post.get("schedule_for") or {}
    if status == "scheduled" and when:
        local = datetime.strptime(f"{when['date']} {when['time']}", "%Y-%m-%d %H:%M")
        moment = local.replace(tzinfo=ZoneInfo(when.get("timezone") or "UTC"))
        if moment.astimezone(UTC).timestamp() <= sandbox.clock():
            status = "published"
    failures = {a["id"]: a["_failure"] for a in sandbox.store.accounts() if a.get("_failure")}
    accounts = [
        {**a, "status": "failed", "error": failures[a["id"]]}
        if a.get("id") in failures and status != "draft"
        else {**a, "status": status}
        for a in post.get("accounts", [])
    ]
    return {**post, "status": status, "accounts": accounts}


def _check(sandbox: PostSyncerSandbox, body: Any, *, partial: bool) -> dict[str, list[str]]:
    store = sandbox.store
    return validate_post(
        body,
        workspaces={w["id"] for w in store.workspaces()},
        accounts={a["id"]: a for a in store.accounts()},
        media_ok=lambda ws, mid: (m := store.media(mid)) is not None and m["workspace_id"] == ws,
        labels={label["id"] for label in store.labels()},
        partial=partial,
    )


def _post_data(sandbox: PostSyncerSandbox, body: dict[str, Any]) -> dict[str, Any]:
    platforms = {a["id"]: a["platform"] for a in sandbox.store.accounts()}
    when = body.get("schedule_for") or None
    if body["schedule_type"] == "schedule" and not when:
        when = _next_slot(sandbox)
    return {
        "workspace_id": body["workspace_id"],
        "schedule_type": body["schedule_type"],
        "schedule_for": when,
        "content": [
            {"text": item.get("text") or "", "media": list(item.get("media") or [])}
            for item in body["content"]
        ],
        "accounts": [
            {"id": a["id"], "platform": platforms[a["id"]], "settings": a.get("settings") or {}}
            for a in body["accounts"]
        ],
        "labels": list(body.get("labels") or []),
        "repeatable": bool(body.get("repeatable", False)),
        "repeatable_gap": body.get("repeatable_gap"),
        "repeatable_gap_unit": body.get("repeatable_gap_unit"),
        "created_at": datetime.fromtimestamp(sandbox.clock(), UTC).isoformat(),
    }


def _next_slot(sandbox: PostSyncerSandbox) -> dict[str, str]:
    """Auto-scheduling: the next whole hour from now, in UTC."""
    moment = datetime.fromtimestamp((sandbox.clock() // 3600 + 1) * 3600, UTC)
    return {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M"),
        "timezone": "UTC",
    }


async def _create_post(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    errors = _check(sandbox, body, partial=False)
    if errors:
        return _invalid(errors)
    stored = sandbox.store.add_post(_post_data(sandbox, body))
    sandbox.store.bump("posts_created")
    _maybe_drop(sandbox, request)
    return JSONResponse({"data": _with_status(sandbox, stored)}, 201)


async def _list_posts(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    page, per_page = _page(request)
    items, total = sandbox.store.posts((page - 1) * per_page, per_page)
    return _paginated([_with_status(sandbox, p) for p in items], total, page, per_page)


async def _get_post(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    post = sandbox.store.post(request.path_params["id"])
    if post is None:
        return await _not_found(request, Exception())
    return JSONResponse({"data": _with_status(sandbox, post)})


async def _update_post(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    post = sandbox.store.post(request.path_params["id"])
    if post is None:
        return await _not_found(request, Exception())
    if _with_status(sandbox, post)["status"] == "published":
        return _invalid({"post": ["Only posts that have not been published yet can be updated."]})
    merged = {**post, **(body if isinstance(body, dict) else {})}
    merged.setdefault("workspace_id", post["workspace_id"])
    errors = _check(sandbox, merged, partial=True)
    if errors:
        return _invalid(errors)
    data = _post_data(sandbox, merged)
    updated = {"id": post["id"], **data, "created_at": post.get("created_at")}
    sandbox.store.save_post(updated)
    sandbox.store.bump("posts_updated")
    return JSONResponse({"data": _with_status(sandbox, updated)})


async def _delete_post(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    if sandbox.store.post(request.path_params["id"]) is None:
        return await _not_found(request, Exception())
    sandbox.store.delete_post(request.path_params["id"])
    sandbox.store.bump("posts_deleted")
    return JSONResponse({"message": "Post deleted."})


# Media


def _fetchable(url: Any) -> bool:
    """What the sandbox pretends it could download: https, a media extension, a real host."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    return (
        parts.scheme == "https"
        and not host.endswith(".invalid")
        and parts.path.lower().endswith(MEDIA_EXTENSIONS)
    )


async def _upload_urls(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    body = body if isinstance(body, dict) else {}
    workspace = body.get("workspace_id")
    urls = body.get("urls")
    errors: dict[str, list[str]] = {}
    if workspace not in {w["id"] for w in sandbox.store.workspaces()}:
        errors["workspace_id"] = ["The selected workspace id is invalid."]
    if not isinstance(urls, list) or not urls:
        errors["urls"] = ["The urls field is required."]
    if errors:
        return _invalid(errors)
    stored = []
    for url in urls:
        if not _fetchable(url):
            sandbox.store.bump("urls_skipped")
            continue
        kind = "video" if url.lower().endswith((".mp4", ".mov")) else "image"
        name = urlsplit(url).path.rsplit("/", 1)[-1]
        item = {"name": name, "type": kind, "source_url": url, "folder_id": body.get("folder_id")}
        media = sandbox.store.add_media(workspace, item)
        media["url"] = f"https://cdn.postsyncer.invalid/media/{media['id']}/{name}"
        stored.append(media)
    sandbox.store.bump("media_stored", len(stored))
    _maybe_drop(sandbox, request)
    return JSONResponse({"media": stored, "count_stored": len(stored)})


async def _upload_file(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    async with request.form() as form:  # closes the spooled upload files
        return await _store_file(sandbox, request, form)


async def _store_file(sandbox: PostSyncerSandbox, request: Request, form: FormData) -> Response:
    upload = form.get("file")
    try:
        workspace = int(str(form.get("workspace_id", "")))
    except ValueError:
        workspace = -1
    errors: dict[str, list[str]] = {}
    if workspace not in {w["id"] for w in sandbox.store.workspaces()}:
        errors["workspace_id"] = ["The selected workspace id is invalid."]
    if not isinstance(upload, UploadFile):
        errors["file"] = ["The file field is required."]
    if errors or not isinstance(upload, UploadFile):
        return _invalid(errors)
    content = await upload.read()
    name = upload.filename or "upload"
    kind = "video" if (upload.content_type or "").startswith("video/") else "image"
    item = {"name": name, "type": kind, "size": len(content), "source_url": None}
    media = sandbox.store.add_media(workspace, item)
    media["url"] = f"https://cdn.postsyncer.invalid/media/{media['id']}/{name}"
    sandbox.store.bump("media_stored")
    _maybe_drop(sandbox, request)
    return JSONResponse({"data": media}, 201)


async def _list_media(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    page, per_page = _page(request)
    raw = request.query_params.get("workspace_id")
    workspace = int(raw) if raw and raw.isdigit() else None
    items, total = sandbox.store.media_page(workspace, (page - 1) * per_page, per_page)
    return _paginated(items, total, page, per_page)


async def _get_media(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    media = sandbox.store.media(request.path_params["id"])
    if media is None:
        return await _not_found(request, Exception())
    return JSONResponse({"data": media})


async def _delete_media(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    if sandbox.store.media(request.path_params["id"]) is None:
        return await _not_found(request, Exception())
    sandbox.store.delete_media(request.path_params["id"])
    return JSONResponse({"message": "Media deleted."})


# Labels


async def _list_labels(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    raw = request.query_params.get("workspace_id")
    return JSONResponse({"data": sandbox.store.labels(int(raw) if raw and raw.isdigit() else None)})


async def _create_label(sandbox: PostSyncerSandbox, request: Request, body: Any) -> Response:
    body = body if isinstance(body, dict) else {}
    workspace, name = body.get("workspace_id"), body.get("name")
    errors: dict[str, list[str]] = {}
    if workspace not in {w["id"] for w in sandbox.store.workspaces()}:
        errors["workspace_id"] = ["The selected workspace id is invalid."]
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["The name field is required."]
    if errors:
        return _invalid(errors)
    return JSONResponse({"data": sandbox.store.add_label(workspace, name.strip())}, 201)
