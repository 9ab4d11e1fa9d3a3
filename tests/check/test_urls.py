"""``validate --check-urls``: remote media probed the way Postiz's upload-from-url would fetch it.

Pinned to ``apps/backend/src/public-api/routes/v1/public.integrations.controller.ts``
``uploadsFromUrl`` (a non-2xx answer → "Failed to fetch URL"; bytes ``fromBuffer`` does not
allow → "Unsupported file type."), reference §4. The server is a real one on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.check.urls import probe_all
from calendar_sched.cli import main
from tests.helpers.media_server import MediaServer, self_signed, serving


@pytest.fixture
def files() -> Iterator[MediaServer]:
    with serving() as server:
        yield server


def _probe(urls: list[str], **options: float) -> dict[str, object]:
    found = asyncio.run(probe_all(urls, **options))  # type: ignore[arg-type]
    return {url: None if p is None else (p.code, p.message) for url, p in found.items()}


def test_a_real_image_passes_on_head_alone(files: MediaServer) -> None:
    """HEAD answers 200 image/png: nothing more is fetched."""
    assert _probe([files.url("/cat.png")]) == {files.url("/cat.png"): None}
    assert files.requests == [("HEAD", "/cat.png", None)]


def test_a_404_is_media_unreachable_with_the_status(files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl``: ``!response.ok`` → Failed to fetch URL; here before the run."""
    (problem,) = _probe([files.url("/gone.png")]).values()
    assert isinstance(problem, tuple)
    assert problem[0] == "media-unreachable"
    assert "404 Not Found" in problem[1]
    assert "Failed to fetch URL" in problem[1]


def test_an_html_page_is_not_media(files: MediaServer) -> None:
    """CTRL ``uploadsFromUrl`` sniffs the bytes (``fromBuffer``): HTML → Unsupported file type."""
    (problem,) = _probe([files.url("/page.png")]).values()
    assert isinstance(problem, tuple)
    assert problem[0] == "bad-media-type"
    assert "text/html" in problem[1]
    assert "Unsupported file type." in problem[1]
    assert ("GET", "/page.png", "bytes=0-63") in files.requests


def test_head_refused_falls_back_to_a_ranged_get(files: MediaServer) -> None:
    """A server that answers HEAD with 405 is asked again with ``Range: bytes=0-63``."""
    assert _probe([files.url("/no-head.png")]) == {files.url("/no-head.png"): None}
    assert files.requests == [
        ("HEAD", "/no-head.png", None),
        ("GET", "/no-head.png", "bytes=0-63"),
    ]


def test_redirects_are_followed(files: MediaServer) -> None:
    """Postiz's fetch follows redirects, so the check does too."""
    assert _probe([files.url("/moved.png")]) == {files.url("/moved.png"): None}


def test_nothing_listening_is_media_unreachable() -> None:
    """A connection that fails is unreachable, with the reason."""
    with serving() as gone:
        url = gone.url("/cat.png")
    (problem,) = _probe([url]).values()
    assert isinstance(problem, tuple)
    assert problem[0] == "media-unreachable"
    assert "connection failed" in problem[1]


def test_a_silent_server_times_out() -> None:
    """A server that accepts and never answers is reported after the timeout, not waited on."""
    with socket.socket() as quiet:
        quiet.bind(("127.0.0.1", 0))
        quiet.listen(8)
        url = f"http://127.0.0.1:{quiet.getsockname()[1]}/cat.png"
        (problem,) = _probe([url], timeout=0.3).values()
    assert problem == ("media-unreachable", "no answer within 0.3 s")


def test_concurrency_is_bounded(files: MediaServer) -> None:
    """At most ``concurrency`` URLs are in flight at once (each /slow.png takes 0.2 s)."""
    urls = [files.url(f"/slow.png?n={n}") for n in range(6)]
    found = _probe(urls, concurrency=2)
    assert set(found.values()) == {None}
    assert files.most_in_flight == 2


def test_validate_check_urls_reports_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``validate --check-urls`` on a calendar: the image passes, the 404 and the HTML page
    fail at their rows (https on 127.0.0.1 with a certificate made for the test)."""
    pytest.importorskip("cryptography")
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)
    monkeypatch.delenv("POSTIZ_API_KEY", raising=False)
    with serving(tls=(cert, key)) as server:
        rows = [
            "publish_at,channels,text,media",
            f'2030-06-01 09:00,"x, linkedin",good,{server.url("/cat.png")}',
            f"2030-06-02 09:00,x,dead,{server.url('/gone.png')}",
            f"2030-06-03 09:00,x,page,{server.url('/page.png')}",
        ]
        calendar = tmp_path / "cal.csv"
        calendar.write_text("\n".join(rows) + "\n", encoding="utf-8")
        offline = CliRunner().invoke(main, ["validate", str(calendar), "--timezone", "UTC"])
        assert offline.exit_code == 0, offline.output
        assert server.requests == []  # plain validate stays offline
        result = CliRunner().invoke(
            main, ["validate", str(calendar), "--json", "--timezone", "UTC", "--check-urls"]
        )
        # One entry on two channels names its URL once; each distinct URL is probed once.
        assert sum(1 for r in server.requests if r[:2] == ("HEAD", "/cat.png")) == 1
        table = CliRunner().invoke(
            main, ["validate", str(calendar), "--timezone", "UTC", "--check-urls"]
        )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(e["row"], e["code"], e["field"]) for e in data["errors"]] == [
        (3, "media-unreachable", "media"),
        (4, "bad-media-type", "media"),
    ]
    assert "404" in data["errors"][0]["message"]
    assert data["files"][0]["errors"] == 2
    assert table.exit_code == 1
    assert "media-unreachable" in table.output
    assert "cal.csv: 3 entries, 4 posts on 2 channels, 2 errors" in " ".join(table.output.split())
