"""The HTTP client of the Postiz Public API: auth, one status→exception map, rate-limit headers.

Foreign exceptions stop here: ``httpx.TransportError`` and timeouts become ``RetriableApiError``
(in the shared ``api_client.ApiClient``), every error status becomes one class of the ``errors``
tree (``classify``). Messages carry method, path, status and the server's short reason; the API
key never appears in any of them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from calendar_sched import errors
from calendar_sched.targets.base import RateState
from calendar_sched.targets.config import API_PREFIX
from calendar_sched.targets.http import (
    ApiClient,
    Clock,
    failure_parts,
    header_float,
    header_int,
    parse_retry_after,
)
from calendar_sched.targets.http import ApiResponse as ApiResponse

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 30.0


class PostizClient(ApiClient):
    """An httpx client bound to one Postiz server and key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        base = base_url.rstrip("/") + API_PREFIX
        # Postiz reads the header as is: a "Bearer " prefix makes the key invalid.
        super().__init__(
            base,
            api_key,
            headers={"Authorization": api_key},
            transport=transport,
            timeout=timeout,
            clock=clock,
            http_base_url=base,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> ApiResponse:
        """Send one request; return the decoded answer or raise from ``errors``."""
        headers = {"Content-Type": "application/json"} if content is not None else None
        response = self._send(
            method,
            path,
            path,
            json=json_body,
            content=content,
            params=params,
            files=files,
            headers=headers,
        )
        now = self._clock()
        rate = parse_rate_state(response.headers, now)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers, now)
            previous = rate or self._rate
            rate = RateState(
                limit=previous.limit if previous else None,
                remaining=0,
                reset_at=previous.reset_at if previous else None,
                blocked_until=now + retry_after if retry_after is not None else None,
            )
        if rate is not None:
            self._rate = rate
        return self._answer(
            response,
            rate,
            lambda body: classify(
                response.status_code,
                body,
                method=method,
                path=path,
                headers=response.headers,
                now=now,
            ),
        )

    def _failure_detail(self, exc: httpx.TransportError) -> str:
        return f"{type(exc).__name__}: {exc}"


def classify(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    now: float = 0.0,
) -> errors.ApiError | None:
    """The exception for an answer's status, or None for success."""
    if status < 400:
        return None
    reason = _reason(body)
    where, context = failure_parts(status, body, method=method, path=path)
    if status in (401, 403):
        hint = "check POSTIZ_API_KEY (sent as is, without 'Bearer')"
        return errors.AuthError(f"{where} {reason or 'unauthorized'}; {hint}", **context)
    if status == 429:
        retry_after = parse_retry_after(headers or {}, now)
        wait = f"; retry after {retry_after:.0f} s" if retry_after is not None else ""
        return errors.RateLimited(f"{where} rate limited{wait}", retry_after=retry_after, **context)
    if status >= 500:
        return errors.RetriableApiError(f"{where} server error {reason}".rstrip(), **context)
    if status == 413:
        return errors.PayloadTooLarge(f"{where} request body too large; split it", **context)
    if status == 400 and isinstance(body, dict) and body.get("provider"):
        provider = str(body.get("provider", ""))
        channel = str(body.get("name", ""))
        return errors.ValidationRejected(
            f"{where} {provider} channel {channel!r} refused the post: {reason}",
            provider=provider,
            channel=channel,
            **context,
        )
    if status == 400 and ("already published" in reason.lower() or "republish" in reason):
        return errors.AlreadyPublished(f"{where} {reason}", **context)
    return errors.FatalApiError(f"{where} {reason or 'request refused'}", **context)


def parse_rate_state(headers: Mapping[str, str], now: float) -> RateState | None:
    """``X-RateLimit-*`` headers as a RateState; Postiz sends Reset as seconds remaining."""
    limit = header_int(headers.get("x-ratelimit-limit"))
    remaining = header_int(headers.get("x-ratelimit-remaining"))
    reset = header_float(headers.get("x-ratelimit-reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateState(
        limit=limit,
        remaining=remaining,
        reset_at=now + reset if reset is not None else None,
    )


def _reason(body: Any) -> str:
    """The server's short explanation: ``message`` (str or list) or ``msg``."""
    if isinstance(body, dict):
        message = body.get("message", body.get("msg"))
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        if message is not None:
            return str(message)
        return ""
    if isinstance(body, str):
        return body.strip()[:200]
    return ""
