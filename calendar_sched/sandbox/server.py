"""Serving the sandbox over real HTTP with uvicorn: in the foreground or in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn
from starlette.applications import Starlette

from calendar_sched.sandbox.app import Clock, create_app
from calendar_sched.sandbox.config import SandboxConfig

_START_TIMEOUT = 10.0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn_config(app: Any, log_level: str) -> uvicorn.Config:
    # h11 everywhere: the connection-drop fault relies on its protocol object.
    return uvicorn.Config(
        app,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=log_level in ("debug", "trace"),
        timeout_graceful_shutdown=1,
    )


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that calls back once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()


def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run the sandbox in the foreground until interrupted; ``on_ready`` gets the base URL.

    ``on_ready`` runs once the server accepts connections.
    """
    serve_app(create_app(config), host, port, on_ready=on_ready, log_level=log_level)


def serve_app(
    app: Starlette,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str], None] | None,
    log_level: str,
    path: str = "",
) -> None:
    """Serve an emulator's app in the foreground, then close its sandbox.

    ``on_ready`` gets the base URL plus ``path`` once the server accepts connections.
    """
    sock = _bind(host, port)
    url = _url(sock) + path
    announce = None if on_ready is None else (lambda: on_ready(url))
    server = _AnnouncingServer(_uvicorn_config(app, log_level), announce)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.sandbox.close()


class RunningSandbox:
    """A sandbox served by uvicorn in a background thread on a free port; a context manager."""

    def __init__(
        self,
        config: SandboxConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = time.time,
    ) -> None:
        self.config = config
        self._prepare(create_app(config, clock=clock), host, port)

    def _prepare(self, app: Starlette, host: str, port: int) -> None:
        self.app = app
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    @property
    def api_key(self) -> str:
        """The key clients send in ``Authorization``."""
        return self.config.api_key

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        """Bind, start the server thread and wait until it accepts connections."""
        if self._thread is not None:
            return self
        self._sock = _bind(self._host, self._port)
        self.url = _url(self._sock)
        self._server = uvicorn.Server(_uvicorn_config(self.app, "warning"))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"sandbox {self.url}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox at {self.url} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and close the database; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT)
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None or self._server is not None:
            self.app.state.sandbox.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Admin helpers (over HTTP, like any other client)

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, int]:
        """The counters of ``GET /_sandbox/stats``."""
        result: dict[str, int] = self._admin("GET", "stats")
        return result

    def set_faults(
        self,
        *,
        fault_5xx: float | None = None,
        drop_after_commit: float | None = None,
        latency_ms: int | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Change fault rates at runtime; the new settings."""
        body = {
            "fault_5xx": fault_5xx,
            "fault_drop_after_commit": drop_after_commit,
            "fault_latency_ms": latency_ms,
            "seed": seed,
        }
        result: dict[str, Any] = self._admin(
            "POST", "faults", {k: v for k, v in body.items() if v is not None}
        )
        return result

    def revoke(self, revoked: bool = True) -> None:
        """Make the key invalid (or valid again)."""
        self._admin("POST", "revoke", {"revoked": revoked})
