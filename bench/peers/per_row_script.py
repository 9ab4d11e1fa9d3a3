"""The "Bulk CSV Upload Script" users copy from Postiz guides, ported to run against the sandbox.

Source: ../shared/seeds/002_f66d8d118144c3b0.txt, "Bulk CSV Upload Script (Python)" with its
``create_post`` helper and the ``rate_limit_retry`` decorator from the same guide's "Rate Limit
Exceeded" section. The request pattern is kept exactly: for every CSV row (one channel per row),
one upload per media use, then one ``POST /posts``; on 429 wait ``2 ** attempt * 60`` seconds, three
attempts, then raise (which ends the script, as the seed's loop has no ``try``).

Changes needed for the seed to work at all, each one what a user would have to do:
- the seed's ``create_post`` never calls ``raise_for_status``, so its back-off would never fire and
  a 429 row would be silently lost; here a non-2xx answer raises, so the back-off does fire;
- images are sent as ``{id, path}`` from the upload answer (the seed sends only ``id``, which the
  server rejects: ``path`` is required);
- the row's settings are sent (the seed hard-codes ``{"__type": "x"}``; X needs
  ``who_can_reply_post``), and thread items are sent as further ``value[]`` items;
- local media go through ``POST /upload`` (the seed's ``upload_media``), URLs through
  ``POST /upload-from-url`` (the seed's loop);
- ``--time-scale`` multiplies every sleep, so a 5-second sandbox window stands for one hour.

Input is the seed's CSV (``integration_id, content, media_url, schedule_time``) plus the columns
``settings`` and ``thread`` (JSON) and ``type``; ``media_url`` may hold several ``|``-separated
references. Base URL and key come from ``POSTIZ_API_URL`` / ``POSTIZ_API_KEY``.

On exit it prints one JSON line to stderr: rows done, HTTP requests, 429s, lock-outs seen.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

POSTIZ_URL = os.environ.get("POSTIZ_API_URL", "http://127.0.0.1:5000").rstrip("/") + "/public/v1"
POSTIZ_API_KEY = os.environ.get("POSTIZ_API_KEY", "")
headers = {"Authorization": POSTIZ_API_KEY, "Content-Type": "application/json"}
session = httpx.Client(timeout=30.0)
TIME_SCALE = 1.0

# What the run cost, as the script itself saw it (printed on exit for the benchmark).
COUNTERS = {"rows_done": 0, "requests": 0, "rate_limited": 0, "lockouts": 0}
_last_was_429 = False


def _send(method: str, url: str, **kwargs: Any) -> httpx.Response:
    global _last_was_429
    COUNTERS["requests"] += 1
    response = session.request(method, url, **kwargs)
    if response.status_code == 429:
        COUNTERS["rate_limited"] += 1
        if not _last_was_429:  # the first refusal after accepted calls starts a lock-out
            COUNTERS["lockouts"] += 1
        _last_was_429 = True
    elif url.endswith("/posts"):
        _last_was_429 = False
    response.raise_for_status()
    return response


def rate_limit_retry(max_retries: int = 3) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """The guide's decorator: on 429 sleep 2**attempt minutes, three tries, then give up."""

    def decorator(func: Callable[..., T]) -> Callable[..., T]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            for attempt in range(max_retries):
                try:
                    return func(*args, **kwargs)
                except httpx.HTTPStatusError as e:
                    if e.response.status_code == 429:
                        wait_time = 2**attempt * 60  # Exponential backoff
                        time.sleep(wait_time * TIME_SCALE)
                    else:
                        raise
            raise Exception("Max retries exceeded")

        return wrapper

    return decorator


def upload_media(file_path: str) -> dict[str, Any]:
    """Upload a local file (multipart ``file``)."""
    with open(file_path, "rb") as f:
        files = {"file": (Path(file_path).name, f)}
        response = _send(
            "POST", f"{POSTIZ_URL}/upload", headers={"Authorization": POSTIZ_API_KEY}, files=files
        )
    result: dict[str, Any] = response.json()
    return result


def upload_from_url(url: str) -> dict[str, Any]:
    """Have the server fetch a media URL."""
    response = _send("POST", f"{POSTIZ_URL}/upload-from-url", headers=headers, json={"url": url})
    result: dict[str, Any] = response.json()
    return result


def _upload(reference: str) -> dict[str, str]:
    media = upload_from_url(reference) if "://" in reference else upload_media(reference)
    return {"id": media["id"], "path": media["path"]}


def create_post(
    integration_id: str,
    content: str,
    media: list[dict[str, str]],
    schedule_time: str | None = None,
    settings: dict[str, Any] | None = None,
    thread: list[dict[str, Any]] | None = None,
    post_type: str | None = None,
) -> Any:
    """One ``POST /posts`` for one channel, as the guide's helper builds it."""
    value = [{"content": content, "image": media}] + (thread or [])
    payload = {
        "type": post_type or ("schedule" if schedule_time else "now"),
        "date": schedule_time or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shortLink": False,
        "tags": [],
        "posts": [
            {
                "integration": {"id": integration_id},
                "value": value,
                "settings": settings or {},
            }
        ],
    }
    response = _send("POST", f"{POSTIZ_URL}/posts", headers=headers, json=payload)
    return response.json()


@rate_limit_retry()
def create_post_with_retry(*args: Any, **kwargs: Any) -> Any:
    """The guide's wrapped helper."""
    return create_post(*args, **kwargs)


def bulk_schedule_from_csv(csv_path: str) -> None:
    """The guide's loop: per row, upload its media, then create its post."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            # Upload media if URL provided (once per use: the guide keeps no cache)
            media = [_upload(ref.strip()) for ref in row["media_url"].split("|") if ref.strip()]
            thread = []
            for item in json.loads(row.get("thread") or "[]"):
                item_media = [_upload(ref) for ref in item.get("media", [])]
                thread.append(
                    {"content": item["content"], "image": item_media, "delay": item["delay"]}
                )

            # Create post
            create_post_with_retry(
                integration_id=row["integration_id"],
                content=row["content"],
                media=media,
                schedule_time=row["schedule_time"] or None,
                settings=json.loads(row.get("settings") or "{}"),
                thread=thread,
                post_type=row.get("type") or None,
            )
            COUNTERS["rows_done"] += 1
            print(f"Scheduled: {row['content'][:50]}...", flush=True)


def main() -> int:
    """Run the loop; report counters on stderr whatever happens."""
    global TIME_SCALE
    parser = argparse.ArgumentParser(description="The Postiz guide's per-row CSV script.")
    parser.add_argument("csv_path")
    parser.add_argument("--time-scale", type=float, default=1.0, help="Multiply every sleep.")
    args = parser.parse_args()
    TIME_SCALE = args.time_scale
    status = 0
    try:
        bulk_schedule_from_csv(args.csv_path)
    except Exception as exc:  # the seed lets it crash; the benchmark wants the reason
        print(f"Stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    print(json.dumps(COUNTERS), file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
