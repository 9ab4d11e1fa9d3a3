"""The HTTP client of the PostSyncer REST API: Bearer auth, status map, and pacing of every call.

PostSyncer counts every request against one budget of 60 per fixed minute per user, so the
client itself paces all calls (discovery, uploads, creates, listings, deletes) with a ``Budget``
fed by the ``X-RateLimit-*`` headers, where ``X-RateLimit-Reset`` is a Unix time (Postiz sends
seconds remaining). File uploads go to a separate upload host. The token never appears in any
message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calendar_sched import errors
from calendar_sched.targets.base import RateState
from calendar_sched.targets.config import (
    POSTSYNCER_TOKEN_VAR,
    normalize_postsyncer_url,
    upload_url_for,
)
from calendar_sched.targets.http import (
    ApiClient,
    ApiResponse,
    Clock,
    failure_parts,
    header_float,
    header_int,
    parse_retry_after,
)
from calendar_sched.targets.ledger import QuotaLedger
from calendar_sched.targets.pacing import Budget

if TYPE_CHECKING:
    import httpx

Sleep = Callable[[float], None]

LIMIT = 60
WINDOW_SECONDS = 60.0
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class FieldErrors:
    """A 422 answer's field errors: ``{"accounts.0.id": ["…"], …}``."""

    message: str
    fields: dict[str, list[str]]


class PostSyncerClient(ApiClient):
    """An httpx client bound to one PostSyncer API root and token, pacing every call."""

    secret_name = "token"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        upload_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        limit: int = LIMIT,
        window_seconds: float = WINDOW_SECONDS,
        ledger: QuotaLedger | None = None,
    ) -> None:
        base = normalize_postsyncer_url(base_url)
        super().__init__(
            base,
            token,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=transport,
            timeout=timeout,
            clock=clock,
        )
        self.upload_url = normalize_postsyncer_url(upload_url or upload_url_for(base))
        self._sleep = sleep
        self._lock = threading.Lock()
        # ``ledger`` shares the account's budget with other runs (QuotaLedger.for_account).
        self.budget = Budget(limit=limit, window_seconds=window_seconds, shared=ledger)
        self.calls = 0

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        upload_host: bool = False,
    ) -> ApiResponse:
        """Send one paced request; return the decoded answer or raise from ``errors``."""
        url = (self.upload_url if upload_host else self.base_url) + path
        with self._lock:  # one call at a time: the budget is shared by every call
            self._pace()
            response = self._send(
                method, path, url, json=json_body, params=params, files=files, data=data
            )
            now = self._clock()
            rate = parse_rate_state(response.headers, now)
            retry_after = None
            if response.status_code == 429:
                retry_after = parse_retry_after(response.headers, now)
                if retry_after is None and rate is not None and rate.reset_at is not None:
                    retry_after = max(0.0, rate.reset_at - now)
                blocked = now + (retry_after if retry_after is not None else WINDOW_SECONDS)
                rate = RateState(
                    limit=rate.limit if rate else self.budget.limit,
                    remaining=0,
                    reset_at=rate.reset_at if rate else None,
                    blocked_until=blocked,
                )
            if rate is not None:
                self._rate = rate
                self.budget.adopt(rate)
        return self._answer(
            response,
            rate,
            lambda body: classify(
                response.status_code, body, method=method, path=path, retry_after=retry_after
            ),
        )

    def _pace(self) -> None:
        while True:
            now = self._clock()
            wait = self.budget.wait(now)
            if wait <= 0:
                break
            self._sleep(wait)
        self.budget.spent(self._clock())
        self.calls += 1


def classify(
    status: int, body: Any, *, method: str, path: str, retry_after: float | None = None
) -> errors.ApiError | None:
    """The exception for a PostSyncer answer's status, or None for success."""
    if status < 400:
        return None
    reason = _reason(body)
    where, context = failure_parts(status, body, method=method, path=path)
    if status == 401:
        hint = f"check {POSTSYNCER_TOKEN_VAR} (a personal access token, sent as 'Bearer <token>')"
        return errors.AuthError(f"{where} {reason or 'unauthenticated'}; {hint}", **context)
    if status == 403:
        hint = "the token lacks an ability (needs workspaces, accounts, posts; labels for tags)"
        return errors.AuthError(f"{where} {reason or 'forbidden'}; {hint}", **context)
    if status == 429:
        detail = body.get("details") if isinstance(body, dict) else None
        if isinstance(detail, dict) and body.get("error") == "rate_limit_exceeded":
            # The per-platform daily limit: waiting a minute does not help.
            return errors.FatalApiError(
                f"{where} daily post limit of {detail.get('platform')} reached "
                f"({detail.get('posts_in_last_24h')}/{detail.get('daily_limit')} on the "
                f"{detail.get('plan')} plan; resets {detail.get('reset_time')})",
                **context,
            )
        wait = f"; retry after {retry_after:.0f} s" if retry_after is not None else ""
        return errors.RateLimited(
            f"{where} {reason or 'Too Many Attempts.'}{wait}", retry_after=retry_after, **context
        )
    if status >= 500:
        return errors.RetriableApiError(f"{where} server error {reason}".rstrip(), **context)
    if status == 413:
        return errors.PayloadTooLarge(f"{where} request body too large; split it", **context)
    fields = field_errors(body)
    if fields is not None and fields.fields:
        first = "; ".join(f"{k}: {' '.join(v)}" for k, v in list(fields.fields.items())[:3])
        return errors.FatalApiError(f"{where} {first}", **context)
    return errors.FatalApiError(f"{where} {reason or 'request refused'}", **context)


def field_errors(body: Any) -> FieldErrors | None:
    """The Laravel 422 shape ``{"message", "errors": {field: [messages]}}``, if it is one."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), dict):
        return None
    fields = {
        str(key): [str(m) for m in (value if isinstance(value, list) else [value])]
        for key, value in body["errors"].items()
    }
    return FieldErrors(str(body.get("message", "")), fields)


def parse_rate_state(headers: Mapping[str, str], now: float) -> RateState | None:
    """``X-RateLimit-*`` as a RateState; PostSyncer sends Reset as a Unix time."""
    limit = header_int(headers.get("x-ratelimit-limit"))
    remaining = header_int(headers.get("x-ratelimit-remaining"))
    reset = header_float(headers.get("x-ratelimit-reset"))
    if limit is None and remaining is None and reset is None:
        return None
    if reset is not None and reset < 1e9:  # a server that sends seconds remaining after all
        reset = now + reset
    return RateState(limit=limit, remaining=remaining, reset_at=reset)


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        message = body.get("message", body.get("error"))
        return "" if message is None else str(message)
    if isinstance(body, str):
        return body.strip()[:200]
    return ""
