"""The Starlette application: routes of the Postiz Public API plus ``/_sandbox`` admin routes.

Each public request goes through the server's stages in order (reference §2): JSON body parse
(413 over the cap, 400 malformed; neither counted) → auth (401, not counted) → throttler
(``POST /posts`` only, counted from here on) → validation (400) → handler.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from calendar_sched.load.media import sniff_upload
from calendar_sched.sandbox import integrations, media, posts, routes_extra
from calendar_sched.sandbox.admin import sandbox_app
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.faults import FaultInjector, request_drop
from calendar_sched.sandbox.fetch import FetchFailed, FetchPolicy, fetch, url_messages
from calendar_sched.sandbox.store import Store
from calendar_sched.sandbox.throttle import TOO_MANY, Decision, hit
from calendar_sched.sandbox.validation import Rejected, bad_request, validate_create

Clock = Callable[[], float]


class _Json(JSONResponse):
    """Express's JSON rendering: compact, ``application/json; charset=utf-8``."""

    media_type = "application/json; charset=utf-8"


Handler = Callable[["Sandbox", Request, Any], Awaitable[Response]]


class Sandbox:
    """Per-app state: config, store, faults, the key and the clock."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.db_path)
        self.store.seed_channels(config.channels, config.verified, config.posting_times)
        self.store.seed_tags(config.tags, int(clock() * 1000))
        self.faults = FaultInjector(config.faults, config.seed)
        self.revoked = False
        self._quota_lock = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def authenticate(self, request: Request) -> Response | None:
        """The ``PublicAuthMiddleware`` answer (§1): the header is compared as is."""
        value = request.headers.get("authorization")
        if not value:
            return _Json({"msg": "No API Key found"}, 401)
        if value.startswith("pos_"):
            return _Json({"msg": "Invalid OAuth token"}, 401)
        if self.revoked or not hmac.compare_digest(value.encode(), self.config.api_key.encode()):
            return _Json({"msg": "Invalid API key"}, 401)
        return None

    def count(self) -> Decision:
        """One counted call through the throttler, persisted."""
        with self._quota_lock, self.store.transaction():
            state = self.store.throttle_state()
            decision = hit(state, self.clock(), limit=self.config.limit, window=self.config.window)
            self.store.save_throttle_state(state)
            self.store.bump("counted_requests")
            if not decision.allowed:
                self.store.bump("rejected_429")
            if decision.new_block:
                self.store.bump("lockouts")
        return decision

    def base_url(self, request: Request) -> str:
        """Where uploaded files are served from."""
        return (self.config.public_url or str(request.base_url)).rstrip("/")


def create_app(config: SandboxConfig, *, clock: Clock = time.time) -> Starlette:
    """A Postiz Public API emulator; ``clock`` drives the throttler, publisher and dates."""
    sandbox = Sandbox(config, clock)
    public = [
        ("/is-connected", _is_connected, "GET"),
        ("/integrations", _integrations, "GET"),
        ("/integrations/{id}", _delete_channel, "DELETE"),
        ("/groups", _groups, "GET"),
        ("/find-slot/{id}", _find_slot, "GET"),
        ("/integration-settings/{id}", _integration_settings, "GET"),
        ("/notifications", _notifications, "GET"),
        ("/posts", _create_posts, "POST"),
        ("/posts", _list_posts, "GET"),
        ("/posts/group/{group}", _delete_group, "DELETE"),
        ("/posts/{id}", _delete_post, "DELETE"),
        ("/posts/{id}/missing", _missing, "GET"),
        ("/posts/{id}/status", _change_status, "PUT"),
        ("/posts/{id}/settings", _update_settings, "PUT"),
        ("/upload", _upload, "POST"),
        ("/upload-from-url", _upload_from_url, "POST"),
    ]
    # Express routes are not strict: "/posts/" is served as "/posts" (same handler, same count).
    routes = [
        Route(f"/public/v1{path}{slash}", _public(handler), methods=[method])
        for path, handler, method in public
        for slash in ("", "/")
    ]
    routes.append(Route("/uploads/{path:path}", _serve_upload, methods=["GET"]))
    return sandbox_app(routes, sandbox, _not_found, response=_Json)


def _public(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        await sandbox.faults.delay()
        body, error = await _read_json(request, sandbox.config.body_cap)
        if error is not None:
            return error
        denied = sandbox.authenticate(request)
        if denied is not None:
            return denied
        sandbox.store.publish_due(int(sandbox.clock() * 1000))
        try:
            return await handler(sandbox, request, body)
        except Rejected as rejected:
            return _Json(rejected.body, rejected.status)

    return endpoint


async def _read_json(request: Request, cap: int) -> tuple[Any, Response | None]:
    """Express ``json()`` with its default 100 kB limit: other content types parse to ``{}``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return {}, None
    raw = bytearray()
    too_large = False
    async for chunk in request.stream():
        # Read to the end even when over the cap, so the client gets the answer, not a reset.
        if not too_large:
            raw += chunk
            too_large = len(raw) > cap
    if too_large:
        return None, _Json({"statusCode": 413, "message": "request entity too large"}, 413)
    if not raw.strip():
        return {}, None
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        return None, _bad_json(f"Unexpected token in JSON at position {position}")
    if not isinstance(parsed, dict | list):  # body-parser's strict mode
        return None, _bad_json("Unexpected token in JSON at position 0")
    return parsed, None


def _bad_json(message: str) -> Response:
    body = bad_request(message).body
    return _Json(body, 400)


async def _not_found(request: Request, exc: Exception) -> Response:
    message = f"Cannot {request.method} {request.url.path}"
    return _Json({"message": message, "error": "Not Found", "statusCode": 404}, 404)


# Public routes


async def _is_connected(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json({"connected": True})


async def _integrations(sandbox: Sandbox, request: Request, body: Any) -> Response:
    group = request.query_params.get("group") or None
    return _Json(integrations.list_integrations(sandbox.store, group))


async def _groups(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(integrations.list_groups(sandbox.store))


async def _find_slot(sandbox: Sandbox, request: Request, body: Any) -> Response:
    slot = integrations.find_slot(sandbox.store, request.path_params["id"], sandbox.clock())
    return _Json(slot)


async def _integration_settings(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(integrations.integration_settings(sandbox.store, request.path_params["id"]))


async def _create_posts(sandbox: Sandbox, request: Request, body: Any) -> Response:
    decision = sandbox.count()
    headers = decision.headers()
    if not decision.allowed:
        return _Json(TOO_MANY, 429, headers=headers)
    try:
        valid = validate_create(body, sandbox.store.channel)
        roll = sandbox.faults.roll()
        if roll.fail_5xx:
            sandbox.store.bump("faults_5xx")
            return _Json(posts.INTERNAL_ERROR, 500, headers=headers)
        answer = posts.create_posts(sandbox.store, valid, sandbox.clock())
    except Rejected as rejected:
        return _Json(rejected.body, rejected.status, headers=headers)
    if roll.drop_after_commit:
        sandbox.store.bump("dropped_after_commit")
        request_drop(request.scope)
    return _Json(answer, 201, headers=headers)


async def _list_posts(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(posts.list_posts(sandbox.store, dict(request.query_params)))


async def _delete_post(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(posts.delete_post(sandbox.store, request.path_params["id"], sandbox.clock()))


async def _delete_group(sandbox: Sandbox, request: Request, body: Any) -> Response:
    group = request.path_params["group"]
    return _Json(posts.delete_group(sandbox.store, group, sandbox.clock()))


async def _change_status(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(routes_extra.change_status(sandbox.store, request.path_params["id"], body))


async def _update_settings(sandbox: Sandbox, request: Request, body: Any) -> Response:
    post_id = request.path_params["id"]
    return _Json(routes_extra.update_settings(sandbox.store, post_id, body, sandbox.clock()))


async def _missing(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(routes_extra.missing_content(sandbox.store, request.path_params["id"]))


async def _notifications(sandbox: Sandbox, request: Request, body: Any) -> Response:
    return _Json(routes_extra.notifications(sandbox.store, dict(request.query_params)))


async def _delete_channel(sandbox: Sandbox, request: Request, body: Any) -> Response:
    channel_id = request.path_params["id"]
    status, answer = routes_extra.delete_channel(sandbox.store, channel_id, sandbox.clock())
    return _Json(answer, status)


async def _upload(sandbox: Sandbox, request: Request, body: Any) -> Response:
    # multer's single("file"): a file part under another name, or a second one, is refused.
    try:
        form = await request.form(max_files=1)
    except HTTPException:
        raise bad_request("Unexpected field") from None
    try:
        files = [(k, v) for k, v in form.multi_items() if not isinstance(v, str)]
        if any(name != "file" for name, _ in files):
            raise bad_request("Unexpected field")
        if not files:
            return _Json({"msg": "No file provided"}, 400)
        upload = files[0][1]
        assert not isinstance(upload, str)
        data = await upload.read()
    finally:
        await form.close()
    kind = sniff_upload(data)
    if kind is None:
        raise bad_request("Unsupported file type.")
    cap = media.size_cap(
        kind[0],
        image_max=sandbox.config.image_max_bytes,
        video_max=sandbox.config.video_max_bytes,
    )
    if len(data) > cap:
        raise bad_request(f"File size exceeds the maximum allowed size of {cap} bytes.")
    return _save_upload(sandbox, request, data, kind, source_url=None)


async def _upload_from_url(sandbox: Sandbox, request: Request, body: Any) -> Response:
    url = body.get("url") if isinstance(body, dict) else None
    config = sandbox.config
    policy = FetchPolicy(
        allow_loopback=config.allow_loopback_urls,
        resolve=config.fetch_urls,
        timeout=config.fetch_timeout,
        max_bytes=config.video_max_bytes,
    )
    messages = await url_messages(url, policy)
    if messages:
        raise bad_request(messages)
    assert isinstance(url, str)
    if not config.fetch_urls:
        # Offline: a stand-in of the URL's type is stored (validate --check-urls goes online).
        extension = url.split("?", 1)[0].rsplit(".", 1)[-1]
        data = media.placeholder(extension)
    else:
        try:
            data = await fetch(url, policy)
        except FetchFailed as failed:
            return _Json({"msg": failed.message}, 400)
    kind = sniff_upload(data)
    if kind is None:
        return _Json({"msg": "Unsupported file type."}, 400)
    cap = media.size_cap(
        kind[0], image_max=config.image_max_bytes, video_max=config.video_max_bytes
    )
    if len(data) > cap:
        return _Json({"msg": "File is too large."}, 400)
    return _save_upload(sandbox, request, data, kind, source_url=url)


def _save_upload(
    sandbox: Sandbox, request: Request, data: bytes, kind: tuple[str, str], source_url: str | None
) -> Response:
    roll = sandbox.faults.roll()
    if roll.fail_5xx:
        sandbox.store.bump("faults_5xx")
        return _Json(posts.INTERNAL_ERROR, 500)
    now = sandbox.clock()
    stored = media.store_file(sandbox.config.uploads_path, data, kind[1], now)
    path = f"{sandbox.base_url(request)}/uploads/{stored.relative}"
    media_id = sandbox.store.add_upload(
        name=stored.name,
        path=path,
        mime=kind[0],
        size=len(data),
        source_url=source_url,
        now_ms=int(now * 1000),
    )
    sandbox.store.bump("uploads")
    if roll.drop_after_commit:
        sandbox.store.bump("dropped_after_commit")
        request_drop(request.scope)
    answer = {
        "id": media_id,
        "name": stored.name,
        "originalName": None,
        "path": path,
        "thumbnail": None,
        "alt": None,
    }
    return _Json(answer, 201)


async def _serve_upload(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    target = media.resolve_stored(sandbox.config.uploads_path, request.path_params["path"])
    if target is None:
        return await _not_found(request, LookupError())
    mime = media.MIME_BY_EXT.get(target.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(target, media_type=mime)
