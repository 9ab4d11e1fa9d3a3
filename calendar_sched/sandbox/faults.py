"""Fault injection: seeded 5xx and lost answers, latency, and the connection drop itself."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_sched.sandbox.config import Faults

#: Scope key holding ``{"drop": bool}``: a handler sets it to lose its answer after committing.
DROP_KEY = "calendar_sched.sandbox.drop"


class ConnectionDropped(httpx.RemoteProtocolError):
    """In-process stand-in for a closed connection: what httpx raises over real HTTP."""


@dataclass(frozen=True)
class Roll:
    """The fate of one write request."""

    fail_5xx: bool
    drop_after_commit: bool


class FaultInjector:
    """Draws faults from one seeded generator, so a run with a given seed repeats exactly."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(seed)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @property
    def faults(self) -> Faults:
        """The current rates."""
        return self._faults

    def update(self, seed: int | None = None, **changes: Any) -> Faults:
        """Change some rates (and optionally reseed) at runtime."""
        with self._lock:
            self._faults = replace(self._faults, **changes)
            if seed is not None:
                self._rng = random.Random(seed)
            return self._faults

    def roll(self) -> Roll:
        """Decide one write request's fate; always draws twice so rates do not shift the stream."""
        with self._lock:
            first, second = self._rng.random(), self._rng.random()
            return Roll(first < self._faults.fault_5xx, second < self._faults.drop_after_commit)

    async def delay(self) -> None:
        """Sleep for the configured latency."""
        if self._faults.latency_ms > 0:
            await self.sleep(self._faults.latency_ms / 1000)


def request_drop(scope: MutableMapping[str, Any]) -> None:
    """Ask :class:`DropConnectionMiddleware` to close the connection instead of answering."""
    flag = scope.get(DROP_KEY)
    if isinstance(flag, dict):
        flag["drop"] = True


class DropConnectionMiddleware:
    """Swallows the answer of a request marked with :func:`request_drop` and closes the socket.

    Uvicorn answers 500 when an application raises before responding, so the drop closes the
    transport behind the ASGI ``receive`` callable instead (uvicorn's protocol object); with no
    transport (in-process clients) it raises :class:`ConnectionDropped`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; close the connection if the handler asked for it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        flag = {"drop": False}
        scope[DROP_KEY] = flag

        async def guarded_send(message: Message) -> None:
            if not flag["drop"]:
                await send(message)

        await self.app(scope, receive, guarded_send)
        if flag["drop"]:
            await _close_connection(receive)


async def _close_connection(receive: Receive) -> None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("Server disconnected without sending a response.")
    transport.close()
    # Let the protocol see the close, so the server does not try to answer 500 afterwards.
    for _ in range(20):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
