"""The HTTP client of the Postiz Public API: auth, one status→exception map, rate-limit headers.

Foreign exceptions stop here: ``httpx.TransportError`` and timeouts become ``RetriableApiError``,
every error status becomes one class of the ``errors`` tree (``classify``). Messages carry method,
path, status and the server's short reason; the API key never appears in any of them.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from calendar_sched import __version__, errors
from calendar_sched.backends.base import RateState
from calendar_sched.config import API_PREFIX

Clock = Callable[[], float]

DEFAULT_TIMEOUT = 30.0
_REDACTED = "***"


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: status, decoded body and the quota headers it carried."""

    status: int
    data: Any
    rate: RateState | None  # None when the answer had no X-RateLimit-* headers


class PostizClient:
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
        self.base_url = base_url.rstrip("/") + API_PREFIX
        self._key = api_key
        self._clock = clock
        self._rate: RateState | None = None
        # Postiz reads the header as is: a "Bearer " prefix makes the key invalid.
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": api_key, "User-Agent": f"calendar-sched/{__version__}"},
            transport=transport,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"PostizClient(base_url={self.base_url!r}, api_key={_REDACTED!r})"

    def __enter__(self) -> PostizClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def rate_state(self) -> RateState | None:
        """The quota as the last rate-limited answer (or 429) reported it."""
        return self._rate

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
        try:
            response = self._http.request(
                method,
                path,
                json=json_body,
                content=content,
                params=params,
                files=files,
                headers=headers,
            )
        except httpx.TimeoutException as exc:
            raise errors.RetriableApiError(
                f"{method} {path}: no answer within the timeout ({type(exc).__name__})",
                method=method,
                path=path,
            ) from None
        except httpx.TransportError as exc:
            raise errors.RetriableApiError(
                self._redact(f"{method} {path}: connection failed ({type(exc).__name__}: {exc})"),
                method=method,
                path=path,
            ) from None
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
        body = _decode(response)
        failure = classify(
            response.status_code, body, method=method, path=path, headers=response.headers, now=now
        )
        if failure is not None:
            failure.args = (self._redact(str(failure)),)
            # errors.py has no field for it; the executor reads it with getattr.
            failure.rate_state = rate  # type: ignore[attr-defined]
            raise failure
        return ApiResponse(response.status_code, body, rate)

    def _redact(self, text: str) -> str:
        return text.replace(self._key, _REDACTED) if self._key else text


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
    where = f"{method} {path}: {status}"
    context: dict[str, Any] = {"status": status, "method": method, "path": path, "body": body}
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
    limit = _int(headers.get("x-ratelimit-limit"))
    remaining = _int(headers.get("x-ratelimit-remaining"))
    reset = _float(headers.get("x-ratelimit-reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateState(
        limit=limit,
        remaining=remaining,
        reset_at=now + reset if reset is not None else None,
    )


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _float(raw)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500]


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


def _int(raw: str | None) -> int | None:
    value = _float(raw)
    return int(value) if value is not None else None


def _float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None
