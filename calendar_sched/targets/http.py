"""What the Postiz and PostSyncer clients share: the httpx wrapper, transport failures, answers.

Each API keeps its own auth header, rate-limit headers and status map (``client.classify``,
``postsyncer_client.classify``). Here, ``httpx.TransportError`` and timeouts become
``RetriableApiError``, bodies are decoded, and a classified failure is raised with the secret
redacted and the quota it reported attached. The secret never appears in a message or a repr:
a secret that cannot be a header value is refused before use, and whatever else httpx or h11
raise while sending is re-raised as an ``ApiError`` with every spelling of the secret redacted
(as written, escaped by ``repr``, as bytes), never with the original exception chained.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from calendar_sched import errors
from calendar_sched.errors import ConfigError
from calendar_sched.targets.base import RateState
from calendar_sched.targets.config import secret_problem
from calendar_sched.version import __version__

if TYPE_CHECKING:  # httpx loads with the first client: planning offline needs none
    import httpx

Clock = Callable[[], float]

REDACTED = "***"
USER_AGENT = f"calendar-sched/{__version__}"


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: status, decoded body and the quota headers it carried."""

    status: int
    data: Any
    rate: RateState | None  # None when the answer had no X-RateLimit-* headers


class ApiClient:
    """An httpx client bound to one API root and secret; subclasses send and classify."""

    #: How the constructor names the secret, shown (redacted) in ``repr``.
    secret_name: ClassVar[str] = "api_key"

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        headers: Mapping[str, str],
        transport: httpx.BaseTransport | None,
        timeout: float,
        clock: Clock,
        http_base_url: str = "",
    ) -> None:
        self.base_url = base_url
        self._secret = secret
        self._spellings = _spellings(secret)
        problem = secret_problem(secret) if secret else None
        if problem is not None:
            raise ConfigError(
                f"the {self.secret_name.replace('_', ' ')} is not a valid key: {problem}; copy "
                "it again from the settings page"
            )
        self._clock = clock
        self._rate: RateState | None = None
        import httpx

        self._http = httpx.Client(
            base_url=http_base_url,
            headers={**headers, "User-Agent": USER_AGENT},
            transport=transport,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, {self.secret_name}={REDACTED!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def rate_state(self) -> RateState | None:
        """The quota as the last answer (a 429 included) reported it."""
        return self._rate

    def _send(self, method: str, path: str, url: str, **kwargs: Any) -> httpx.Response:
        """One httpx request; a timeout or a failed connection raises ``RetriableApiError``."""
        import httpx  # loaded already: the client exists

        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise errors.RetriableApiError(
                f"{method} {path}: no answer within the timeout ({type(exc).__name__})",
                method=method,
                path=path,
            ) from None
        except httpx.ConnectError as exc:
            raise errors.Unreachable(
                self._redact(
                    f"cannot reach {self.base_url} ({self._failure_detail(exc)}): check the "
                    "API URL and that the server is up, then run the same command again"
                ),
                method=method,
                path=path,
            ) from None
        except httpx.TransportError as exc:
            raise errors.RetriableApiError(
                self._redact(f"{method} {path}: connection failed ({self._failure_detail(exc)})"),
                method=method,
                path=path,
            ) from None
        except Exception as exc:  # anything else may quote the headers: never pass it on as is
            raise errors.FatalApiError(
                self._redact(
                    f"{method} {path}: the request could not be sent ({type(exc).__name__}: {exc})"
                ),
                method=method,
                path=path,
            ) from None

    def _failure_detail(self, exc: httpx.TransportError) -> str:
        """What a connection failure's message says about the exception."""
        return type(exc).__name__

    def _answer(
        self,
        response: httpx.Response,
        rate: RateState | None,
        classify: Callable[[Any], errors.ApiError | None],
    ) -> ApiResponse:
        """The decoded answer, or raise what ``classify(body)`` makes of it (secret redacted)."""
        body = decode_body(response)
        failure = classify(body)
        if failure is not None:
            failure.args = (self._redact(str(failure)),)
            if isinstance(failure.body, str):
                failure.body = self._redact(failure.body)
            raise failure
        return ApiResponse(response.status_code, body, rate)

    def _redact(self, text: str) -> str:
        for spelling in self._spellings:
            text = text.replace(spelling, REDACTED)
        return text


def _spellings(secret: str) -> list[str]:
    """Every way a message may quote the secret, longest first: as is, repr-escaped, as bytes,
    and each visible run of it (a header error may show only the part before a line break)."""
    if not secret:
        return []
    found = {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        *(part for part in re.split(r"[^\x21-\x7e]+", secret) if len(part) >= 6),
    }
    return sorted(found, key=len, reverse=True)


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = header_float(raw)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


def decode_body(response: httpx.Response) -> Any:
    """The JSON body, else the first 500 characters of its text, else None when empty."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500]


def header_int(raw: str | None) -> int | None:
    """A header's number as an int (``"30.0"`` → 30), None when absent or not a number."""
    value = header_float(raw)
    return int(value) if value is not None else None


def header_float(raw: str | None) -> float | None:
    """A header's number, None when absent or not a number."""
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def failure_parts(status: int, body: Any, *, method: str, path: str) -> tuple[str, dict[str, Any]]:
    """``"METHOD path: status"`` and the context every ``ApiError`` of an answer carries."""
    return f"{method} {path}: {status}", {
        "status": status,
        "method": method,
        "path": path,
        "body": body,
    }


_Client = TypeVar("_Client", bound=ApiClient)


class ClientBackend(Generic[_Client]):
    """What both HTTP backends share: an optional client (None = offline) and its rate state."""

    client: _Client | None
    #: What ``_api`` says when the backend was built without a client.
    offline_message = "this backend is offline"

    def _api(self) -> _Client:
        if self.client is None:
            raise ConfigError(self.offline_message)
        return self.client

    @property
    def rate_state(self) -> RateState | None:
        """The quota as the last counted answer reported it."""
        return self.client.rate_state if self.client else None
