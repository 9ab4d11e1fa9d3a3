"""Serving over real HTTP: RunningSandbox, the embedded default target and `sandbox serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.embedded import start_embedded
from calendar_sched.sandbox.server import RunningSandbox
from tests.helpers.bodies import create, post, value
from tests.helpers.media_server import png, serving

WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"}


def test_running_sandbox_binds_a_free_local_port_and_stops(tmp_path: Path) -> None:
    """A context manager: 127.0.0.1 on a free port, closed on exit."""
    config = SandboxConfig(api_key="k", db_path=tmp_path / "s.db")
    with RunningSandbox(config) as server:
        assert server.url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{server.url}/public/v1/is-connected", headers={"Authorization": "k"})
        assert answer.json() == {"connected": True}
        assert server.running
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_sandbox/stats")
    server.stop()  # twice is harmless


def test_embedded_sandbox_keeps_state_and_key(tmp_path: Path) -> None:
    """The embedded target keeps its db and a fixed local key in the state directory."""
    state = tmp_path / ".calendar-sched"
    with start_embedded(state, limit=5, window=60) as first:
        headers = {"Authorization": first.api_key}
        body = create(post(value(id="keep1")))
        answer = httpx.post(f"{first.url}/public/v1/posts", json=body, headers=headers)
        assert answer.headers["X-RateLimit-Limit"] == "5"
        key = first.api_key
    assert (state / "sandbox.db").is_file()
    assert (state / "sandbox.key").read_text().strip() == key
    with start_embedded(state, limit=5, window=60) as second:
        assert second.api_key == key
        listed = httpx.get(
            f"{second.url}/public/v1/posts", params=WINDOW, headers={"Authorization": key}
        ).json()["posts"]
    assert [p["id"] for p in listed] == ["keep1"]


def test_serve_help_lists_every_option() -> None:
    """`calendar-sched sandbox serve --help` documents the issue's options."""
    result = CliRunner().invoke(main, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host", "--port", "--api-key", "--limit", "--window", "--channels-file", "--db",
        "--fault-5xx", "--fault-drop-after-commit", "--fault-latency-ms", "--seed",
    ):  # fmt: skip
        assert option in result.output


def test_serve_rejects_bad_rates() -> None:
    """Fault rates are shares in [0, 1]: anything else is a usage error (exit 2)."""
    result = CliRunner().invoke(main, ["sandbox", "serve", "--fault-5xx", "2"])
    assert result.exit_code == 2
    assert "--fault-5xx" in result.output


def test_serve_reports_a_busy_port(sandbox_server: RunningSandbox) -> None:
    """A port in use is a configuration error (exit 4) with a clear message."""
    port = sandbox_server.url.rsplit(":", 1)[1]
    result = CliRunner().invoke(main, ["sandbox", "serve", "--port", port])
    assert result.exit_code == 4
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_serve_command_prints_url_and_key_and_serves(tmp_path: Path) -> None:
    """`calendar-sched sandbox serve` prints its URL and key, serves, and stops on Ctrl-C."""
    channels = tmp_path / "channels.json"
    channels.write_text(json.dumps([{"id": "only", "name": "Only", "identifier": "mastodon"}]))
    command = [
        sys.executable, "-c", "from calendar_sched.cli import main; main()",
        "sandbox", "serve", "--port", "0", "--api-key", "cli-key", "--limit", "7",
        "--channels-file", str(channels), "--db", str(tmp_path / "cli.db"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(4)]
            assert lines[1].strip() == "In another shell, to point calendar-sched at it:"
            url = lines[2].strip().removeprefix("export POSTIZ_API_URL=")
            assert lines[3].strip() == "export POSTIZ_API_KEY=cli-key"
            headers = {"Authorization": "cli-key"}
            listed = httpx.get(f"{url}/public/v1/integrations", headers=headers)
            assert [c["id"] for c in listed.json()] == ["only"]
            body = create(post("only", value("hi"), settings={}))
            created = httpx.post(f"{url}/public/v1/posts", json=body, headers=headers)
            assert created.headers["X-RateLimit-Limit"] == "7"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
            assert "Sandbox stopped." in process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
    assert (tmp_path / "cli.db").is_file()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "sandbox.example"])
def test_serve_refuses_a_remote_host_without_allow_remote(host: str) -> None:
    """#19 item 16: a non-loopback --host is a usage error (exit 2) naming --allow-remote."""
    result = CliRunner().invoke(main, ["sandbox", "serve", "--host", host, "--port", "0"])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output
    assert "/_sandbox" in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    """Loopback addresses pass the check (the bind itself may still fail on a busy port)."""
    from calendar_sched.cli.sandbox import _check_host

    _check_host(host, allow_remote=False)  # no exception


def test_allow_remote_warns_that_admin_routes_are_open() -> None:
    """#19 item 16: with --allow-remote the sandbox warns before listening. 192.0.2.10
    (TEST-NET-1) is not an address of this machine, so nothing listens: the bind fails (4)."""
    result = CliRunner().invoke(
        main, ["sandbox", "serve", "--host", "192.0.2.10", "--port", "0", "--allow-remote"]
    )
    assert "warning: listening on 192.0.2.10" in result.output
    assert "no key needed" in result.output
    assert result.exit_code == 4
    assert "cannot listen on 192.0.2.10:0" in result.output


def test_serve_help_names_the_postiz_limit_setting() -> None:
    """Reference §2: the default 30 is API_LIMIT of docker-compose.yaml/.env.example; code 90."""
    result = CliRunner().invoke(main, ["sandbox", "serve", "--help"])
    text = " ".join(result.output.split())
    assert "API_LIMIT" in text
    assert "90" in text
    assert "--allow-loopback-urls" in text


def test_serve_fetches_upload_urls_by_default(tmp_path: Path) -> None:
    """`sandbox serve` fetches upload-from-url targets as Postiz does; --allow-loopback-urls
    lets it reach a file served on 127.0.0.1, and the bytes stored are the fetched ones."""
    command = [
        sys.executable, "-c", "from calendar_sched.cli import main; main()",
        "sandbox", "serve", "--port", "0", "--api-key", "cli-key", "--allow-loopback-urls",
        "--db", str(tmp_path / "cli.db"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (
        serving() as files,
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process,
    ):
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(3)]
            url = lines[2].strip().removeprefix("export POSTIZ_API_URL=")
            headers = {"Authorization": "cli-key"}
            answer = httpx.post(
                f"{url}/public/v1/upload-from-url",
                json={"url": files.url("/cat.png")},
                headers=headers,
            )
            assert answer.status_code == 201, answer.text
            assert httpx.get(answer.json()["path"]).content == png()
            gone = httpx.post(
                f"{url}/public/v1/upload-from-url",
                json={"url": files.url("/gone.png")},
                headers=headers,
            )
            assert (gone.status_code, gone.json()) == (400, {"msg": "Failed to fetch URL"})
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
