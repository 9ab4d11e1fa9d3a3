"""The built-in Postiz Public API emulator (reference/postiz-api.md), served over real HTTP.

config.py        SandboxConfig, Faults, channel files
app.py           Starlette routes and the order of stages (parse → auth → throttle → ...)
throttle.py      the fixed-window throttler with its block
validation.py    POST /posts DTO and provider checks, with the server's 400 bodies
posts.py         create / list / delete over the store
integrations.py  integrations, find-slot, integration-settings
media.py         uploads: caps, URL checks, storage (sniffing: calendar_sched.load.media)
faults.py        seeded 5xx, lost answers, latency
admin.py         the Starlette shell and /_sandbox admin routes (shared with postsyncer/)
store.py         SQLite state (WAL) and the simulated publisher
sqlite.py        the connection, lock and transactions under both stores
server.py        uvicorn: foreground ``serve`` and the threaded ``RunningSandbox``
embedded.py      the default target when no Postiz URL/key is configured
"""

from __future__ import annotations

from calendar_sched.sandbox.app import create_app
from calendar_sched.sandbox.config import Faults, SandboxConfig
from calendar_sched.sandbox.embedded import start_embedded
from calendar_sched.sandbox.server import RunningSandbox, serve

__all__ = ["Faults", "RunningSandbox", "SandboxConfig", "create_app", "serve", "start_embedded"]
