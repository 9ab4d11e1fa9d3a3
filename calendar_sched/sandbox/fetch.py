"""``upload-from-url`` as Postiz does it (reference §4): the host must resolve to public
addresses, then the server fetches the file itself.

``UploadDto`` (``libraries/nestjs-libraries/src/dtos/media/upload.dto.ts``) checks the path's
extension (``ValidUrlExtension``) and ``IsSafeWebhookUrl``
(``libraries/nestjs-libraries/src/dtos/webhooks/webhook.url.validator.ts``): https, a
hostname that resolves, and no loopback, private, link-local, CGNAT or multicast address.
The controller then fetches through an SSRF-safe dispatcher; a failed fetch or a non-2xx
answer is ``{"msg":"Failed to fetch URL"}``.

``allow_loopback`` lets tests serve files from 127.0.0.1 (plain http included), which Postiz
would refuse; every other address rule stays. Without ``resolve`` (an offline sandbox) a name
is taken as public and only IP literals are checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from calendar_sched.load.media import POST_MEDIA_EXTENSIONS

#: ``IsSafeWebhookUrl``'s message as ``UploadDto`` sets it.
UNSAFE_URL = "URL must be a public HTTPS URL and cannot point to internal network addresses"
#: ``ValidUrlExtension``'s default message (``libraries/helpers/src/utils/valid.url.path.ts``).
BAD_EXTENSION = "File must have a valid extension: .png, .jpg, .jpeg, .gif, .webp, or .mp4"
FAILED = "Failed to fetch URL"
TOO_LARGE = "File is too large."

_MAX_REDIRECTS = 20  # undici's fetch default
# 100.64.0.0/10 (CGNAT) and 198.18.0.0/15 (benchmarking) are blocked by Postiz's list too.
_EXTRA_BLOCKED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("198.18.0.0/15"))


class FetchFailed(Exception):
    """The answer ``upload-from-url`` gives: ``{"msg": <message>}`` with 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher may reach and how much it reads."""

    allow_loopback: bool = False
    resolve: bool = True  # False: names are not looked up (an offline sandbox)
    timeout: float = 30.0
    max_bytes: int = 1024 * 1024 * 1024


def blocked_address(address: str, *, allow_loopback: bool = False) -> bool:
    """Whether Postiz's ``isBlockedIp`` refuses an address (loopback allowed on request)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return not allow_loopback
    if any(ip in net for net in _EXTRA_BLOCKED):
        return True
    return not ip.is_global or ip.is_multicast


async def resolve(host: str) -> list[str]:
    """Every address a hostname resolves to (``dns.lookup(all)``); [] when it does not."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


async def url_messages(url: object, policy: FetchPolicy) -> list[str]:
    """``UploadDto``'s ``message[]`` for a URL, empty when it passes (DNS is consulted)."""
    if not isinstance(url, str):  # every constraint fails (skipMissingProperties is false)
        defined = ["url should not be null or undefined"] if url is None else []
        return [*defined, "url must be a string", BAD_EXTENSION, UNSAFE_URL]
    messages = []
    if not url.split("?", 1)[0].endswith(POST_MEDIA_EXTENSIONS):
        messages.append(BAD_EXTENSION)
    if not await _safe(url, policy):
        messages.append(UNSAFE_URL)
    return messages


async def _safe(url: str, policy: FetchPolicy) -> bool:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or (host == "localhost" and not policy.allow_loopback):
        return False
    if not policy.resolve and not _literal(host):
        return parts.scheme == "https" and not host.endswith(".localhost")
    addresses = await resolve(host)
    if not addresses:
        return False
    if any(blocked_address(a, allow_loopback=policy.allow_loopback) for a in addresses):
        return False
    if parts.scheme == "https":
        return True
    # Plain http only for a local test server, and only when loopback is allowed.
    return policy.allow_loopback and parts.scheme == "http" and _all_loopback(addresses)


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _all_loopback(addresses: list[str]) -> bool:
    return all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)


async def fetch(url: str, policy: FetchPolicy) -> bytes:
    """The body of a URL, following redirects whose hosts are also safe; else ``FetchFailed``."""
    async with httpx.AsyncClient(timeout=policy.timeout, follow_redirects=False) as client:
        for _ in range(_MAX_REDIRECTS + 1):
            if not await _safe(url, policy):
                raise FetchFailed(FAILED)  # the dispatcher refuses to connect
            try:
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if not response.is_success:
                        raise FetchFailed(FAILED)
                    return await _read(response, policy.max_bytes)
            except httpx.HTTPError as exc:
                raise FetchFailed(FAILED) from exc
    raise FetchFailed(FAILED)


async def _read(response: httpx.Response, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchFailed(TOO_LARGE)
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > cap:
            raise FetchFailed(TOO_LARGE)
    return bytes(data)
