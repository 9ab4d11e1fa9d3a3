"""What both emulators' apps share: the Starlette shell and the ``/_sandbox`` admin routes.

The admin routes need no key: ``GET /_sandbox/stats`` (counters), ``POST /_sandbox/revoke``
(``{"revoked": bool}``: refuse the key or token from now on) and ``GET``/``POST
/_sandbox/faults`` (read or change fault rates and the seed at runtime).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from calendar_sched.sandbox.faults import DropConnectionMiddleware, FaultInjector

NotFound = Callable[[Request, Exception], Awaitable[Response]]

_FAULT_SETTINGS = {
    "fault_5xx": ("fault_5xx", float),
    "fault_drop_after_commit": ("drop_after_commit", float),
    "fault_latency_ms": ("latency_ms", int),
}


class Counters(Protocol):
    """A sandbox store: its counters."""

    def stats(self) -> dict[str, int]:
        """Every counter by name."""
        ...


class Administered(Protocol):
    """What the admin routes read and change on a sandbox."""

    revoked: bool
    faults: FaultInjector

    @property
    def store(self) -> Counters:
        """The sandbox's state."""
        ...


def sandbox_app(
    routes: Sequence[BaseRoute],
    sandbox: Administered,
    not_found: NotFound,
    *,
    response: type[JSONResponse] = JSONResponse,
) -> Starlette:
    """An app of the API's ``routes`` plus the admin routes; faults may drop connections."""
    app = Starlette(
        routes=[*routes, *_admin_routes(response)],
        middleware=[Middleware(DropConnectionMiddleware)],
        exception_handlers={404: not_found, 405: not_found},
    )
    app.state.sandbox = sandbox
    return app


def _admin_routes(response: type[JSONResponse]) -> list[Route]:
    async def stats(request: Request) -> Response:
        sandbox: Administered = request.app.state.sandbox
        return response(sandbox.store.stats())

    async def revoke(request: Request) -> Response:
        sandbox: Administered = request.app.state.sandbox
        body = await _admin_body(request)
        sandbox.revoked = bool(body.get("revoked", True))
        return response({"revoked": sandbox.revoked})

    async def faults(request: Request) -> Response:
        sandbox: Administered = request.app.state.sandbox
        if request.method == "POST":
            body = await _admin_body(request)
            try:
                changes = _fault_changes(body)
                seed = body.get("seed")
                sandbox.faults.update(seed=None if seed is None else int(seed), **changes)
            except (TypeError, ValueError) as exc:
                return response({"message": str(exc), "statusCode": 400}, 400)
        return response(sandbox.faults.faults.to_json())

    return [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/revoke", revoke, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
    ]


def _fault_changes(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(_FAULT_SETTINGS) - {"seed"}
    if unknown:
        raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
    changes = {}
    for key, (attr, kind) in _FAULT_SETTINGS.items():
        if key in body:
            value = kind(body[key])
            if value < 0 or (kind is float and value > 1):
                raise ValueError(f"{key} out of range: {value}")
            changes[attr] = value
    return changes


async def _admin_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
