"""Open the target: a Postiz or PostSyncer account, else the embedded sandbox of that API.

``connect`` is the one place a backend is built from the environment, for every command and for
the library pipeline. With no account configured it starts the built-in emulator (state kept in
``state_dir``, so a re-run resumes against the same server state) and says so in ``where``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from calendar_sched.models import Channel
from calendar_sched.targets.base import Backend, CostModel
from calendar_sched.targets.config import (
    POSTSYNCER_TOKEN_VAR,
    choose_target,
    resolve_postsyncer_target,
    resolve_target,
)

if TYPE_CHECKING:
    import httpx

    from calendar_sched.targets.ledger import QuotaLedger

# The backends (and httpx, a tenth of a second) are imported where a target is opened, so a
# command that only reads STATE_DIR or finds no account (``validate``) does not load them.

#: Where an embedded sandbox keeps its state (posts, uploads, quota), in the working directory.
STATE_DIR = Path(".calendar-sched")


@dataclass(frozen=True)
class Connection:
    """An open backend and a line saying where it points.

    ``ledger`` is the account's quota ledger for the executor's budget to share with other runs
    on this machine (a Postiz account); None for a sandbox, and for PostSyncer, whose client
    paces every call against the ledger itself.
    """

    backend: Backend
    where: str
    api: str
    embedded: bool
    ledger: QuotaLedger | None = None


def sandbox_label(api: str, costs: CostModel, state_dir: Path = STATE_DIR) -> str:
    """The line ``run`` prints when it rehearses against the embedded sandbox."""
    if api == "postsyncer":
        return (
            f"the built-in PostSyncer sandbox ({costs.limit} calls per "
            f"{costs.window_seconds:g} s, every call counted; state in {state_dir}/) — nothing "
            f"is published. Set {POSTSYNCER_TOKEN_VAR} to use your account."
        )
    return (
        f"the built-in sandbox ({costs.limit} requests per {costs.window_seconds:g} s; state in "
        f"{state_dir}/) — nothing is published. Set POSTIZ_API_URL and POSTIZ_API_KEY to use "
        "your account."
    )


@contextmanager
def connect(
    api: str | None = None,
    *,
    costs: CostModel | None = None,
    state_dir: Path = STATE_DIR,
    label: str | None = None,
    env: Mapping[str, str] | None = None,
    channels: Sequence[Channel] | None = None,
) -> Iterator[Connection]:
    """The configured account of ``api`` (default: the one configured), else its sandbox.

    Args:
        api: ``postiz`` or ``postsyncer``; None picks the configured one (``choose_target``).
        costs: the quota to pace to (and to give an embedded sandbox).
        state_dir: where an embedded sandbox keeps its state.
        label: ``where`` for an embedded sandbox (default: "the built-in sandbox").
        env: the environment to read (default ``os.environ``).
        channels: the channels an embedded Postiz sandbox lists (a ``--channels-file``), so a
            rehearsal uses the user's own; None: its demo channels. An account ignores them.

    Raises:
        ConfigError: the environment names a target badly.
    """
    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient
    from calendar_sched.targets.postsyncer.backend import postsyncer_costs

    api = choose_target(api, env)
    if api == "postsyncer":
        with _postsyncer(costs or postsyncer_costs(), state_dir, label, env) as opened:
            yield opened
        return
    target = resolve_target(env)
    if not target.embedded:
        from calendar_sched.targets.ledger import QuotaLedger, user_state_dir

        ledger = QuotaLedger.for_account(target.base_url, target.api_key, user_state_dir(env))
        with PostizClient(target.base_url, target.api_key) as client:
            backend = PostizBackend(client, costs=costs, fingerprint=target.fingerprint)
            yield Connection(backend, client.base_url, api, embedded=False, ledger=ledger)
        return
    # The emulators load starlette and uvicorn (about 0.4 s): only a rehearsal pays for them.
    from calendar_sched.sandbox.embedded import start_embedded

    quota = costs or CostModel()
    with (
        start_embedded(
            state_dir, limit=quota.limit, window=quota.window_seconds, channels=channels
        ) as sandbox,
        PostizClient(sandbox.url, sandbox.api_key) as client,
    ):
        backend = PostizBackend(client, costs=costs, fingerprint=target.fingerprint)
        yield Connection(backend, label or "the built-in sandbox", api, embedded=True)


@contextmanager
def _postsyncer(
    costs: CostModel, state_dir: Path, label: str | None, env: Mapping[str, str] | None
) -> Iterator[Connection]:
    from calendar_sched.targets.postsyncer.backend import PostSyncerBackend, postsyncer_fingerprint
    from calendar_sched.targets.postsyncer.client import PostSyncerClient

    target = resolve_postsyncer_target(env)
    limit, window = costs.limit, costs.window_seconds
    if not target.embedded:
        from calendar_sched.targets.ledger import QuotaLedger, user_state_dir

        with PostSyncerClient(
            target.base_url,
            target.token,
            upload_url=target.upload_url,
            limit=limit,
            window_seconds=window,
            ledger=QuotaLedger.for_account(target.base_url, target.token, user_state_dir(env)),
        ) as client:
            yield Connection(
                PostSyncerBackend(client, costs=costs), client.base_url, "postsyncer", False
            )
        return
    from calendar_sched.sandbox.postsyncer.server import start_embedded_postsyncer

    with (
        start_embedded_postsyncer(state_dir, limit=limit, window=window) as sandbox,
        PostSyncerClient(
            sandbox.api_url, sandbox.api_key, limit=limit, window_seconds=window
        ) as client,
    ):
        backend = PostSyncerBackend(
            client, costs=costs, fingerprint=postsyncer_fingerprint("embedded")
        )
        where = label or sandbox_label("postsyncer", costs, state_dir)
        yield Connection(backend, where, "postsyncer", embedded=True)


def account_channels(
    env: Mapping[str, str] | None = None, *, transport: httpx.BaseTransport | None = None
) -> list[Channel] | None:
    """The account's channels (``GET /integrations``) when POSTIZ_API_URL/KEY are set, else None.

    Raises:
        ConfigError: the URL is set without a key, or is not http(s).
        ApiError: the server refused (AuthError for a bad key) or failed.
    """
    target = resolve_target(env)
    if target.embedded:
        return None
    from calendar_sched.targets.postiz.backend import PostizBackend
    from calendar_sched.targets.postiz.client import PostizClient

    with PostizClient(target.base_url, target.api_key, transport=transport) as client:
        return PostizBackend(client).discover()
