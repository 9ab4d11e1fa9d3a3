"""A quota ledger shared by every run against one account on this machine (#19 item 11).

Postiz counts ``POST /posts`` per organisation and PostSyncer every call per user, whichever
key or process sends them. Two runs that each pace to the whole budget would together send
twice the limit and lock the account out. The ledger is one small JSON file per account
(API URL plus a hash of the key: the key itself is never written), guarded by a file lock;
each run's :class:`~calendar_sched.targets.pacing.Budget` takes a call from it before every
counted request and tells it what the server answered.

It holds the same state as a ``Budget`` (calls used in the window, when it started, the
server's last remaining/reset, any block), so the rules for windows, resets and margins are
the Budget's own: the ledger only loads that state, applies one step under the lock and saves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calendar_sched.errors import ConfigError
from calendar_sched.files import atomic_write_text
from calendar_sched.targets.base import RateState

if TYPE_CHECKING:
    from calendar_sched.targets.pacing import Budget

#: Overrides where ledgers are kept (tests, or several users sharing one account on purpose).
STATE_DIR_VAR = "CALENDAR_SCHED_STATE_DIR"
_LOCK_TIMEOUT = 30.0
_FIELDS = ("remaining", "reset_at", "blocked_until", "window_start", "used", "limit")
_COUNTS = frozenset({"remaining", "used", "limit"})


def user_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CALENDAR_SCHED_STATE_DIR``, else ``$XDG_STATE_HOME/calendar-sched``, else
    ``~/.local/state/calendar-sched``."""
    values = os.environ if env is None else env
    if values.get(STATE_DIR_VAR):
        return Path(values[STATE_DIR_VAR])
    base = values.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "calendar-sched"


def account_id(api_url: str, key: str) -> str:
    """The ledger's name for an account: a digest of the API URL and of the key."""
    key_hash = hashlib.sha256(key.encode("utf-8")).hexdigest()
    joined = f"{api_url.rstrip('/')}\n{key_hash}".encode()
    return hashlib.sha256(joined).hexdigest()[:32]


class QuotaLedger:
    """The shared counted-call budget of one account, in ``<state>/quota/<account>.json``."""

    def __init__(self, path: Path, api_url: str) -> None:
        self.path = path
        self.api_url = api_url
        from filelock import FileLock  # loaded only by runs that send

        # The folder is made on first use: commands that send nothing counted never need it.
        self._lock = FileLock(path.with_name(path.name + ".lock"), timeout=_LOCK_TIMEOUT)

    @classmethod
    def for_account(cls, api_url: str, key: str, state_dir: Path | None = None) -> QuotaLedger:
        """The ledger of the account behind ``api_url`` and ``key``."""
        folder = (state_dir or user_state_dir()) / "quota"
        return cls(folder / f"{account_id(api_url, key)}.json", api_url)

    def take(self, local: Budget, now: float) -> float:
        """Take one counted call if the shared budget covers it now (0.0), else the seconds
        to wait; ``local`` gives the limit, window, reserve and margins."""
        with self._locked():
            shared = self._load(local)
            wait = shared.wait(now)
            if wait <= 0:
                shared.spent(now)
                self._save(shared)
            return wait

    def charge(self, local: Budget, now: float) -> None:
        """Count a call that is sent whether or not the budget covers it."""
        with self._locked():
            shared = self._load(local)
            shared.spent(now)
            self._save(shared)

    def adopt(self, local: Budget, rate: RateState) -> None:
        """Record what the server answered (remaining, reset, a block)."""
        with self._locked():
            shared = self._load(local)
            start = shared.window_start
            if rate.reset_at is not None and start is not None and rate.reset_at <= start:
                # An answer to a call of a window that ended before this one began (it was
                # slow to come back): its counts are not this window's; only a block stands.
                if rate.blocked_until is not None:
                    shared.block(rate.blocked_until)
                    self._save(shared)
                return
            known, known_reset = shared.remaining, shared.reset_at
            shared.adopt(rate)
            if rate.remaining is not None and shared.remaining is not None:
                # Without a word from the server before, what this window's taken calls leave
                # of the limit it gives (calls of other runs may not have reached it yet).
                counted = known if known is not None else max(0, shared.limit - shared.used)
                # More left than counted: a new window, or calls other runs took that had not
                # reached the server when it answered. Only a reset a window later says new.
                later = (
                    rate.reset_at is not None
                    and known_reset is not None
                    and rate.reset_at - known_reset >= shared.window_seconds / 2
                )
                if not later:
                    shared.remaining = min(shared.remaining, counted)
            self._save(shared)

    def block(self, local: Budget, until: float) -> None:
        """Nothing counted before ``until`` for any run (after a 429)."""
        with self._locked():
            shared = self._load(local)
            shared.block(until)
            self._save(shared)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import Timeout

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:  # an OSError too: first
            raise ConfigError(
                f"the quota ledger {self.path} stayed locked for {_LOCK_TIMEOUT:g} s; is a run "
                "stuck? Stop it, or delete the .lock file beside the ledger"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot keep the account's quota ledger in {self.path.parent} "
                f"({exc.strerror or exc}); set {STATE_DIR_VAR} to a folder this user can write"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def _load(self, local: Budget) -> Budget:
        from calendar_sched.targets.pacing import Budget

        shared = Budget(
            limit=local.limit,
            window_seconds=local.window_seconds,
            reserve=local.reserve,
            margin=local.margin,
        )
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return shared
        except (OSError, ValueError):
            return shared  # a damaged ledger starts over: the server's answers set it right
        if not isinstance(data, dict):
            return shared
        for name in _FIELDS:
            value = data.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                setattr(
                    shared, name, int(value) if name in ("remaining", "used", "limit") else value
                )
        return shared

    def _save(self, shared: Budget) -> None:
        data: dict[str, Any] = {"api_url": self.api_url}
        data.update({name: getattr(shared, name) for name in _FIELDS})
        atomic_write_text(self.path, json.dumps(data, sort_keys=True) + "\n")
