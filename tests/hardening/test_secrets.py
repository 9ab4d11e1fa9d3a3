"""A malformed API key is refused by shape and never printed, whatever fails (#19 item 8)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from click.testing import CliRunner

from calendar_sched import errors
from calendar_sched.cli import main
from calendar_sched.errors import ConfigError
from calendar_sched.targets.config import resolve_postsyncer_target, resolve_target
from calendar_sched.targets.postiz.client import PostizClient

SECRET = "sk-live-0123456789abcdef"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server_url() -> Iterator[str]:
    """A real HTTP server on a free 127.0.0.1 port, stopped after the test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize(
    ("key", "what"),
    [
        (f"{SECRET}\nX", "a line break"),
        (f"{SECRET}\rX", "a carriage return"),
        (f"{SECRET} X", "a space"),
        (f"{SECRET}\x01", "a control character"),
        (f"{SECRET}é", "a non-ASCII character"),
    ],
)
def test_a_malformed_key_is_refused_without_quoting_it(
    server_url: str, key: str, what: str
) -> None:
    with pytest.raises(ConfigError, match=what) as caught:
        resolve_target({"POSTIZ_API_URL": server_url, "POSTIZ_API_KEY": key})
    assert "POSTIZ_API_KEY" in str(caught.value)
    assert "0123456789" not in str(caught.value)
    result = CliRunner().invoke(
        main, ["channels"], env={"POSTIZ_API_URL": server_url, "POSTIZ_API_KEY": key}
    )
    assert result.exit_code == 4, result.output
    assert "0123456789" not in result.output
    assert "not a valid key" in result.output


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_the_cli_never_prints_the_key(server_url: str, debug: list[str]) -> None:
    env = {**os.environ, "POSTIZ_API_URL": server_url, "POSTIZ_API_KEY": f"{SECRET}\nX"}
    code = "from calendar_sched.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *debug, "channels"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "POSTIZ_API_KEY is not a valid key" in done.stderr
    assert "0123456789" not in done.stdout + done.stderr


def test_a_malformed_postsyncer_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="POSTSYNCER_API_TOKEN is not a valid key"):
        resolve_postsyncer_target({"POSTSYNCER_API_TOKEN": f"{SECRET}\nX"})


def test_a_client_refuses_a_malformed_key_too() -> None:
    with pytest.raises(ConfigError, match="api key is not a valid key: it contains a line"):
        PostizClient("http://127.0.0.1:9", f"{SECRET}\nX")


@pytest.mark.parametrize(
    "quoted",
    [
        lambda key: f"Illegal header value {key.encode()!r}",
        lambda key: f"bad value {key!r}",
        lambda key: f"plain {key}",
    ],
)
def test_any_failure_while_sending_is_redacted(quoted: object) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(quoted(request.headers["Authorization"]))  # type: ignore[operator]

    client = PostizClient("http://127.0.0.1:9", SECRET, transport=httpx.MockTransport(explode))
    with pytest.raises(errors.ApiError) as caught:
        client.request("GET", "/integrations")
    client.close()
    message = str(caught.value)
    assert "***" in message
    assert "0123456789" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
