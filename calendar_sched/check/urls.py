"""An online check of remote media URLs (``validate --check-urls``).

Postiz fetches a URL when it is uploaded (``upload-from-url``) and refuses a non-2xx answer
("Failed to fetch URL") or bytes that are not an allowed image or video ("Unsupported file
type."). A dead link found here costs nothing; found mid-run, it costs the quota spent so far.

Each distinct URL is asked once: ``HEAD`` first; when HEAD is refused (any non-2xx: many CDNs
answer 403 or 405 to HEAD, and a signed URL is signed for GET) or says the content is not
media, a ranged ``GET`` of the first bytes decides, with the type sniffed from them as Postiz
does. Requests run concurrently (bounded) with a timeout each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx

from calendar_sched.load.media import describe, sniff_upload
from calendar_sched.load.normalize import row_of
from calendar_sched.models import Post
from calendar_sched.report import RowError

CONCURRENCY = 8
TIMEOUT = 10.0
_HEAD_BYTES = 63  # Range: bytes=0-63, enough for every signature sniffed
_MEDIA_TYPES = ("image/", "video/")
_USER_AGENT = "calendar-sched url check"


@dataclass(frozen=True)
class UrlProblem:
    """Why a URL would fail ``upload-from-url``: a code of the catalogue and a message."""

    code: str
    message: str


@dataclass(frozen=True)
class _Use:
    url: str
    file: str
    row: int | None
    field: str


async def probe(client: httpx.AsyncClient, url: str) -> UrlProblem | None:
    """What is wrong with one URL, or None when it serves an allowed image or video."""
    try:
        head = await client.head(url)
        if head.is_success and head.headers.get("content-type", "").startswith(_MEDIA_TYPES):
            return None
        # Streamed: a server that ignores Range must not send us a whole video.
        async with client.stream("GET", url, headers={"Range": f"bytes=0-{_HEAD_BYTES}"}) as got:
            status = f"{got.status_code} {got.reason_phrase}".strip()
            kind = got.headers.get("content-type", "").split(";")[0] or "no content type"
            first = b""
            if got.is_success:
                async for chunk in got.aiter_bytes():
                    first += chunk
                    if len(first) > _HEAD_BYTES:
                        break
            ok = got.is_success
    except httpx.TimeoutException:
        return UrlProblem("media-unreachable", f"no answer within {client.timeout.read:g} s")
    except httpx.HTTPError as exc:
        return UrlProblem("media-unreachable", f"cannot be fetched: {_reason(exc)}")
    if not ok:
        return UrlProblem(
            "media-unreachable",
            f"the server answers {status}; Postiz would refuse it (Failed to fetch URL)",
        )
    if sniff_upload(first) is None:
        return UrlProblem(
            "bad-media-type",
            f"serves {describe(first)} ({kind}), not an image or video; Postiz would refuse "
            "it (Unsupported file type.)",
        )
    return None


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({text})" if text else "connection failed"
    return text or type(exc).__name__


async def probe_all(
    urls: Sequence[str], *, concurrency: int = CONCURRENCY, timeout: float = TIMEOUT
) -> dict[str, UrlProblem | None]:
    """Probe distinct URLs, at most ``concurrency`` at a time."""
    gate = asyncio.Semaphore(max(1, concurrency))
    limits = httpx.Limits(max_connections=max(1, concurrency))
    headers = {"User-Agent": _USER_AGENT}
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=True, limits=limits, headers=headers
    ) as client:

        async def one(url: str) -> UrlProblem | None:
            async with gate:
                return await probe(client, url)

        found = await asyncio.gather(*(one(url) for url in urls))
    return dict(zip(urls, found, strict=True))


def _uses(posts: Iterable[Post]) -> list[_Use]:
    seen: set[tuple[str, str, int | None, str]] = set()
    uses = []
    for post in posts:
        for position, value in enumerate(post.values):
            field = "media" if position == 0 else f"thread.{position}.media"
            for media in value.media:
                if not media.url:
                    continue
                use = _Use(media.url, post.position.file, row_of(post.position), field)
                key = (use.url, use.file, use.row, use.field)
                if key not in seen:  # an entry on several channels names its URL once
                    seen.add(key)
                    uses.append(use)
    return uses


def check_urls(
    posts: Iterable[Post], *, concurrency: int = CONCURRENCY, timeout: float = TIMEOUT
) -> list[RowError]:
    """One problem per row and field whose remote media would fail to upload."""
    uses = _uses(posts)
    distinct = list(dict.fromkeys(use.url for use in uses))
    if not distinct:
        return []
    found = asyncio.run(probe_all(distinct, concurrency=concurrency, timeout=timeout))
    problems = []
    for use in uses:
        problem = found[use.url]
        if problem is not None:
            problems.append(
                RowError(
                    problem.code,
                    f"{use.url}: {problem.message}",
                    row=use.row,
                    field=use.field,
                    value=use.url,
                    file=use.file,
                )
            )
    return problems
