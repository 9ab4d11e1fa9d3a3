"""A tiny fake Postiz API for httpx.MockTransport: path → canned answer, counters, 429-after-N."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue

Handler = Callable[[httpx.Request], httpx.Response]
COUNTED = ("POST", "/public/v1/posts")


@dataclass
class Canned:
    """One canned answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> httpx.Response:
        if self.body is None:
            return httpx.Response(self.status, headers=self.headers)
        return httpx.Response(self.status, json=self.body, headers=self.headers)


class FakeApi:
    """Routes ``(method, path)`` to canned answers; a path ending in ``*`` matches a prefix.

    ``POST /public/v1/posts`` is the counted call: it carries ``X-RateLimit-*`` headers, and
    after ``rate_limit_after`` counted calls every further one answers 429 with Retry-After.
    """

    def __init__(
        self,
        *,
        limit: int = 30,
        window: int = 3600,
        rate_limit_after: int | None = None,
        retry_after: int = 1800,
    ) -> None:
        self.routes: dict[tuple[str, str], Canned | Handler] = {}
        self.requests: list[httpx.Request] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.limit = limit
        self.window = window
        self.rate_limit_after = rate_limit_after
        self.retry_after = retry_after
        self.counted = 0

    def route(self, method: str, path: str, answer: Canned | Handler) -> FakeApi:
        """Answer ``method path`` with ``answer``; returns self for chaining."""
        self.routes[(method.upper(), path)] = answer
        return self

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to the client."""
        return httpx.MockTransport(self.handle)

    def bodies(self, method: str, path: str) -> list[Any]:
        """Decoded JSON bodies of the requests sent to ``method path``."""
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == method and r.url.path == path and r.content
        ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        self.requests.append(request)
        self.counts[key] += 1
        if key == COUNTED:
            self.counted += 1
            if self.rate_limit_after is not None and self.counted > self.rate_limit_after:
                return httpx.Response(
                    429,
                    json={"statusCode": 429, "message": "ThrottlerException: Too Many Requests"},
                    headers={"Retry-After": str(self.retry_after)},
                )
        answer = self._find(key)
        response = answer.response() if isinstance(answer, Canned) else answer(request)
        if key == COUNTED:
            response.headers["X-RateLimit-Limit"] = str(self.limit)
            response.headers["X-RateLimit-Remaining"] = str(max(0, self.limit - self.counted))
            response.headers["X-RateLimit-Reset"] = str(self.window)
        return response

    def _find(self, key: tuple[str, str]) -> Canned | Handler:
        if key in self.routes:
            return self.routes[key]
        method, path = key
        for (m, pattern), answer in self.routes.items():
            if m == method and pattern.endswith("*") and path.startswith(pattern[:-1]):
                return answer
        return Canned(404, {"message": f"Cannot {method} {path}"})


def make_post(
    entry: str,
    when: datetime,
    *,
    channel: str = "c-x",
    identifier: str = "x",
    text: str = "hello",
    media: list[MediaRef] | None = None,
    thread: list[PostValue] | None = None,
    **fields: Any,
) -> Post:
    """A Post built directly (no calendar file), for planner and backend tests."""
    values = [PostValue(text=text, media=media or []), *(thread or [])]
    return Post(
        entry_key=entry,
        position=Position(file="test.csv", row=2),
        channel=Channel(id=channel, name=f"{identifier} {channel}", identifier=identifier),
        publish_at=when.astimezone(UTC),
        values=values,
        **fields,
    )
