"""``calendar-sched sandbox``: run the built-in Postiz Public API emulator."""

from __future__ import annotations

import ipaddress
import secrets
import tempfile
from pathlib import Path
from typing import cast

import click

from calendar_sched.cli.options import exit_codes
from calendar_sched.errors import ConfigError
from calendar_sched.load.channels import demo_channels
from calendar_sched.sandbox.config import Faults, SandboxConfig, load_channels
from calendar_sched.sandbox.server import serve as serve_sandbox


@click.group()
def sandbox() -> None:
    """Run the built-in Postiz emulator (quota, validation, uploads, faults)."""


@sandbox.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (a loopback address unless --allow-remote).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other machines can reach; the /_sandbox admin routes need no key.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port to listen on (0 = any free port).",
)
@click.option("--api-key", help="Key clients must send (default: a new random key).")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Counted POST /posts per window: Postiz's API_LIMIT as its docker-compose.yaml and "
    ".env.example set it (unset, Postiz's code allows 90).",
)
@click.option(
    "--window",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="Quota window and lock-out length, in seconds.",
)
@click.option(
    "--channels-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Channels in the GET /integrations shape (default: the demo organisation).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file to keep state in (default: a temporary one, removed at exit).",
)
@click.option("--tag", "tags", multiple=True, help="An organisation tag posts can use (repeat).")
@click.option(
    "--fault-5xx",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of POSTs answered 500 before writing.",
)
@click.option(
    "--fault-drop-after-commit",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of POSTs written whose answer is lost (connection closed).",
)
@click.option(
    "--fault-latency-ms", type=click.IntRange(min=0), default=0, help="Delay added to requests."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault draws.")
@click.option(
    "--fetch-urls/--no-fetch-urls",
    default=True,
    show_default=True,
    help="upload-from-url resolves the host and fetches the file, as Postiz does; with "
    "--no-fetch-urls it only checks the URL and stores a stand-in (offline).",
)
@click.option(
    "--allow-loopback-urls",
    is_flag=True,
    help="Let upload-from-url fetch from this machine (http://127.0.0.1 too), which Postiz "
    "refuses; for serving test files locally.",
)
@click.option(
    "--api",
    type=click.Choice(["postiz", "postsyncer"]),
    default="postiz",
    show_default=True,
    help="Which API to emulate (postsyncer: Bearer token, every call counted, 60 per 60 s).",
)
@click.option(
    "--rate-headers",
    type=click.Choice(["always", "laravel", "429-only"]),
    default="always",
    show_default=True,
    help="With --api postsyncer: X-RateLimit-* on successes (all; Limit and Remaining as stock "
    "Laravel; none). A 429 always carries them.",
)
@exit_codes
def serve(
    host: str,
    port: int,
    api_key: str | None,
    limit: int,
    window: float,
    channels_file: Path | None,
    db: Path | None,
    tags: tuple[str, ...],
    fault_5xx: float,
    fault_drop_after_commit: float,
    fault_latency_ms: int,
    seed: int,
    fetch_urls: bool,
    allow_loopback_urls: bool,
    api: str,
    allow_remote: bool,
    rate_headers: str,
) -> None:
    """Serve the Postiz Public API emulator until Ctrl-C; prints its URL and key."""
    _check_host(host, allow_remote)
    key = api_key or f"sandbox-{secrets.token_hex(10)}"
    faults = Faults(fault_5xx, fault_drop_after_commit, fault_latency_ms)
    if api == "postsyncer":
        params = click.get_current_context().params
        sources = {name: click.get_current_context().get_parameter_source(name) for name in params}
        default = click.core.ParameterSource.DEFAULT
        _serve_postsyncer(
            host,
            port,
            key,
            limit if sources["limit"] != default else 60,
            window if sources["window"] != default else 60.0,
            channels_file,
            db,
            faults,
            seed,
            rate_headers,
        )
        return
    if channels_file is not None:
        loaded = load_channels(channels_file)
        channels, verified, times = loaded.channels, loaded.verified, loaded.posting_times
    else:
        channels, verified, times = tuple(demo_channels()), frozenset(), {}

    def ready(url: str) -> None:
        click.echo(f"Postiz sandbox listening on {url} (Ctrl-C to stop)")
        click.echo("In another shell, to point calendar-sched at it:")
        click.echo(f"export POSTIZ_API_URL={url}")
        click.echo(f"export POSTIZ_API_KEY={key}")
        click.echo(f"quota: {limit} POST /posts per {window:g} s; {len(channels)} channels")

    with tempfile.TemporaryDirectory(prefix="calendar-sched-sandbox-") as scratch:
        config = SandboxConfig(
            api_key=key,
            db_path=db or Path(scratch) / "sandbox.db",
            limit=limit,
            window=window,
            channels=channels,
            verified=verified,
            posting_times=times,
            tags=tags,
            faults=faults,
            seed=seed,
            fetch_urls=fetch_urls,
            allow_loopback_urls=allow_loopback_urls,
        )
        try:
            serve_sandbox(config, host, port, on_ready=ready)
        except KeyboardInterrupt:  # Ctrl-C is how a foreground server is meant to stop
            click.echo("Sandbox stopped.")
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _check_host(host: str, allow_remote: bool) -> None:
    """Refuse an address other machines can reach unless asked; warn when asked."""
    if _loopback(host):
        return
    if not allow_remote:
        raise click.UsageError(
            f"--host {host} lets other machines reach the sandbox, whose /_sandbox admin "
            "routes need no key; use 127.0.0.1, or add --allow-remote if you mean it",
        )
    click.echo(
        f"warning: listening on {host}: anyone who can reach it can read the stats, revoke the "
        "key and change faults through /_sandbox (no key needed)",
        err=True,
    )


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def _serve_postsyncer(
    host: str,
    port: int,
    token: str,
    limit: int,
    window: float,
    channels_file: Path | None,
    db: Path | None,
    faults: Faults,
    seed: int,
    rate_headers: str,
) -> None:
    # Loaded only when asked for: the Postiz emulator is the common case.
    from calendar_sched.sandbox.postsyncer.config import PostSyncerConfig, load_accounts
    from calendar_sched.sandbox.postsyncer.server import serve as serve_postsyncer
    from calendar_sched.sandbox.postsyncer.throttle import RateHeaders

    defaults = PostSyncerConfig(token=token, db_path=Path("unused"))
    workspaces, accounts = defaults.workspaces, defaults.accounts
    if channels_file is not None:
        workspaces, accounts = load_accounts(channels_file)

    with tempfile.TemporaryDirectory(prefix="calendar-sched-postsyncer-") as scratch:
        config = PostSyncerConfig(
            token=token,
            db_path=db or Path(scratch) / "postsyncer.db",
            limit=limit,
            window=window,
            faults=faults,
            seed=seed,
            workspaces=workspaces,
            accounts=accounts,
            rate_headers=cast(RateHeaders, rate_headers),
        )

        def ready(url: str) -> None:
            click.echo(f"PostSyncer sandbox listening on {url} (Ctrl-C to stop)")
            click.echo("In another shell, to point calendar-sched at it:")
            click.echo(f"export POSTSYNCER_API_URL={url}")
            click.echo(f"export POSTSYNCER_API_TOKEN={token}")
            click.echo(
                f"quota: {limit} calls per {window:g} s (every call counts); "
                f"{len(config.accounts)} accounts"
            )

        try:
            serve_postsyncer(config, host, port, on_ready=ready)
        except KeyboardInterrupt:  # Ctrl-C is how a foreground server is meant to stop
            click.echo("Sandbox stopped.")
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
