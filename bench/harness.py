"""The pieces bench/run.py measures with: a sandbox process, a timed tool process, a post count.

Every tool talks to a ``calendar-sched sandbox serve`` subprocess over real HTTP on a free
127.0.0.1 port, with a fresh database per measurement, so the listing after a run holds exactly
what that run created. Each tool runs in its own process group (SIGKILL reaches its children) and
is timed with ``os.wait4``, which gives that process tree's own CPU seconds and peak memory.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CALENDAR_SCHED = str(BIN / "calendar-sched")


class NotAvailable(Exception):
    """Something the measurement needs has not landed or cannot start; the message says what."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Sandbox:
    """``calendar-sched sandbox serve`` in a subprocess, stopped on exit."""

    def __init__(self, workdir: Path, *, limit: int, window: float, latency_ms: int = 0) -> None:
        self.workdir = workdir
        self.limit = limit
        self.window = window
        self.latency_ms = latency_ms
        self.port = free_port()
        self.key = "bench-" + secrets.token_hex(8)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=30.0)

    def __enter__(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        db = self.workdir / f"sandbox-{self.port}.db"
        argv = [
            *_serve_command(), "--host", "127.0.0.1", "--port", str(self.port),
            "--api-key", self.key, "--limit", str(self.limit), "--window", str(self.window),
            "--db", str(db),
            # The sample month imports media from https addresses; this machine may reach no
            # network, and the figures are about requests and quota, not the fetch.
            "--no-fetch-urls",
        ]  # fmt: skip
        if self.latency_ms:
            argv += ["--fault-latency-ms", str(self.latency_ms)]
        log = (self.workdir / f"sandbox-{self.port}.log").open("wb")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NotAvailable(f"sandbox exited with {self.process.returncode}; see {log.name}")
            try:
                if self.http.get("/public/v1/is-connected", headers=self.auth).status_code < 500:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise NotAvailable("sandbox did not answer within 30 s")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def auth(self) -> dict[str, str]:
        """The raw-key header, as Postiz wants it."""
        return {"Authorization": self.key}

    @property
    def env(self) -> dict[str, str]:
        """Environment that points every tool (all use the official CLI's names) here."""
        return {**os.environ, "POSTIZ_API_URL": self.url, "POSTIZ_API_KEY": self.key}

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``."""
        answer: dict[str, Any] = self.http.get("/_sandbox/stats").json()
        return answer

    def posts(self, start: str, end: str) -> list[dict[str, Any]]:
        """Root posts listed by ``GET /public/v1/posts`` between two ISO instants."""
        answer = self.http.get(
            "/public/v1/posts", params={"startDate": start, "endDate": end}, headers=self.auth
        )
        answer.raise_for_status()
        body = answer.json()
        items: list[dict[str, Any]] = body["posts"] if isinstance(body, dict) else body
        return items


def _serve_command() -> list[str]:
    """``calendar-sched sandbox serve``, or bench/sandbox_serve.py until that command exists."""
    probe = subprocess.run(
        [CALENDAR_SCHED, "sandbox", "serve", "--help"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return [CALENDAR_SCHED, "sandbox", "serve"]
    return [sys.executable, str(ROOT / "bench" / "sandbox_serve.py")]


_TAG = re.compile(r"<[^>]+>")


def duplicates(items: Sequence[dict[str, Any]]) -> int:
    """Posts beyond the first with the same channel, instant and text (markup ignored)."""
    keys = Counter(
        (
            (item.get("integration") or {}).get("id"),
            item.get("publishDate"),
            html.unescape(_TAG.sub("", str(item.get("content", "")))).strip(),
        )
        for item in items
    )
    return sum(count - 1 for count in keys.values())


def _high_water_kb(pid: int) -> int:
    """The process's own peak RSS (``VmHWM``, reset at exec, unlike ``ru_maxrss`` which keeps
    the forking parent's peak); 0 where /proc is missing."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Measured:
    """One process tree's exit status, wall and CPU seconds, peak memory (of the direct child,
    polled every 5 ms), and output."""

    returncode: int
    wall: float
    cpu: float
    max_rss_mb: float | None
    stdout: str
    stderr: str
    killed: bool = False


def run_tool(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    kill_when: Callable[[], bool] | None = None,
    timeout: float = 1800,
) -> Measured:
    """Run ``argv`` in its own process group; SIGKILL the group once ``kill_when()`` is true."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out}.out", "w+b") as stdout, open(f"{out}.err", "w+b") as stderr:
        start = time.monotonic()
        process = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True
        )
        killed = False
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            # The last reading, not the largest: the first ones may predate the exec.
            peak_kb = _high_water_kb(process.pid) or peak_kb
            if kill_when is not None and not killed and kill_when():
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
            if time.monotonic() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.005)
        wall = time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        result = Measured(
            returncode=process.returncode,
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            # ru_maxrss keeps the forking parent's peak, so a process too short to sample has none
            max_rss_mb=peak_kb / 1024 if peak_kb else None,
            stdout=stdout.read().decode("utf-8", "replace"),
            stderr=stderr.read().decode("utf-8", "replace"),
            killed=killed,
        )
    for suffix in (".out", ".err"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    return result
