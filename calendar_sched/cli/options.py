"""Option groups shared by commands, and the one place exceptions become exit codes."""

from __future__ import annotations

import errno
import functools
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from calendar_sched import errors
from calendar_sched.check.validation import ValidateOptions
from calendar_sched.load.channels import load_channels_file, split_refs
from calendar_sched.load.slots import SlotProblem, parse_slots
from calendar_sched.models import Channel
from calendar_sched.run.options import EMBEDDED_WINDOW, POSTIZ_WINDOW

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2  # click's own usage errors exit 2 as well
EXIT_FAILED = 3
EXIT_CONFIG = 4
EXIT_PENDING = 75


def source_options(func: F) -> F:
    """FILE... plus the options that say how to read a calendar."""
    decorators = [
        click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False)),
        click.option("--sheet", help="XLSX sheet to read (default: the first)."),
        click.option(
            "--timezone",
            "timezone",
            help="IANA zone for times without an offset (default: the file's, else this "
            "machine's).",
        ),
        click.option(
            "--date-format",
            type=click.Choice(["dmy", "mdy", "ymd"]),
            help="Order of day and month in dates like 03/04/2026.",
        ),
        click.option(
            "--default-channels",
            help="Channels for rows that name none (comma-separated references).",
        ),
        click.option(
            "--channels-file",
            type=click.Path(exists=True, dir_okay=False),
            help="Channel list in the GET /integrations shape, to validate offline.",
        ),
        click.option(
            "--max-errors",
            type=click.IntRange(min=1),
            default=1000,
            show_default=True,
            help="Stop listing errors after this many.",
        ),
        click.option(
            "--slots",
            callback=_check_slots,
            help="Posting slots for rows with a date but no time, in the calendar's zone: "
            '"mon-fri 09:00,12:30,17:00; sat 10:00" (replaces the file\'s slots:).',
        ),
        click.option(
            "--queue-from",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            help="First day for rows whose publish_at is 'queue' (each takes the next free "
            "slot from then on).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@dataclass(frozen=True)
class SourceArgs:
    """The ``@source_options`` values of one call: the files and how to read them."""

    files: tuple[str, ...]
    sheet: str | None
    timezone: str | None
    date_format: str | None
    default_channels: str | None
    channels_file: str | None
    max_errors: int
    slots: str | None = None
    queue_from: datetime | None = None

    def validate_options(
        self,
        channels: Callable[[], list[Channel] | None] = lambda: None,
        *,
        now: datetime | None = None,
        target: str = "postiz",
    ) -> ValidateOptions:
        """ValidateOptions for these flags; ``channels()`` is asked only without --channels-file."""
        return ValidateOptions(
            sheet=self.sheet,
            timezone=self.timezone,
            date_format=self.date_format,  # type: ignore[arg-type]  # click.Choice guarantees it
            default_channels=split_refs(self.default_channels or ""),
            channels=load_channels_file(self.channels_file) if self.channels_file else channels(),
            max_errors=self.max_errors,
            now=now,
            target=target,
            slots=self.slots,
            queue_from=self.queue_from.date() if self.queue_from else None,
        )


_SOURCE_NAMES = tuple(SourceArgs.__dataclass_fields__)


def _check_slots(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--slots`` must read (a usage error otherwise); the library reads it again per file."""
    if value is not None:
        try:
            parse_slots(value)
        except SlotProblem as problem:
            raise click.BadParameter(problem.message, ctx=ctx, param=param) from None
    return value


def source_args(func: F) -> F:
    """``@source_options``, passed to the command as one ``source: SourceArgs``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        source = SourceArgs(**{name: kwargs.pop(name) for name in _SOURCE_NAMES})
        return func(*args, source=source, **kwargs)

    return source_options(wrapper)  # type: ignore[return-value]


def journal_option(help_text: str) -> Callable[[F], F]:
    """``--journal FILE`` (as ``journal_file``); ``resolve_journal`` applies its default."""
    return click.option(
        "--journal", "journal_file", type=click.Path(dir_okay=False), help=help_text
    )


def resolve_journal(journal_file: str | None, calendar: str) -> Path:
    """The ``--journal`` file, else the one beside the calendar."""
    from calendar_sched.run.journal import journal_path_for  # validate needs no journal

    return Path(journal_file) if journal_file else journal_path_for(calendar)


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value


#: ``--window`` of ``plan`` and ``run``: the quota window's length (a day at most).
window_option = click.option(
    "--window",
    "window_seconds",
    type=click.FloatRange(min=1, max=86400),
    callback=_finite,
    help=f"Length of a quota window in seconds (default: {POSTIZ_WINDOW:g} on a Postiz "
    f"account, {EMBEDDED_WINDOW:g} on the built-in sandbox).",
)

#: ``--snap`` of ``plan`` and ``run``: a grid of at most a day.
snap_option = click.option(
    "--snap",
    "snap_minutes",
    type=click.IntRange(min=1, max=1440),
    help="Move publish times to the nearest point of an M-minute grid (at most 1440) to merge "
    "requests.",
)

#: ``--limit`` of ``plan`` and ``run``: counted requests per quota window.
limit_option = click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Counted requests per window (default: the last value the server sent, else 30).",
)

#: ``--reserve`` of ``plan`` and ``run``: budget left to other tools of the same account.
reserve_option = click.option(
    "--reserve",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Requests per window left for other tools of the same account.",
)


def output_path(
    out: str, *, hint: str, sources: Sequence[str] = (), suffixes: Sequence[str] = ()
) -> Path:
    """``out`` if it can be written: a known suffix, not one of ``sources``, an existing folder."""
    path = Path(out)
    if suffixes and path.suffix.lower() not in suffixes:
        raise click.BadParameter(
            f"{out}: write a {', '.join(suffixes[:-1])} or {suffixes[-1]} file", param_hint=hint
        )
    if any(path.resolve() == Path(source).resolve() for source in sources):
        raise click.BadParameter(
            f"{out} is the calendar itself; write to another file (results.xlsx, say) so the "
            "calendar is not overwritten",
            param_hint=hint,
        )
    if not path.parent.is_dir():
        raise click.BadParameter(
            f"the folder {path.parent} does not exist; create it first or pick another path",
            param_hint=hint,
        )
    try:  # the file is written beside itself and moved in place: the folder must take files
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write in {path.parent} ({exc.strerror}); pick another path", param_hint=hint
        ) from None
    return path


def output_options(func: F) -> F:
    """``--json`` for machine-readable output with a stable shape."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


#: C0 controls but tab and newline, DEL and C1: a calendar value holding ESC must not drive the
#: terminal (clear it, recolour it, retitle the window).
_CONTROLS = dict.fromkeys([*range(9), *range(11, 32), 127, *range(0x80, 0xA0)])


def plain(text: str) -> str:
    """``text`` without terminal control characters, for messages that name user values."""
    return text.translate(_CONTROLS)


def exit_codes(func: F) -> F:
    """Turn library exceptions into a clear message and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool((ctx.find_root().obj or {}).get("debug"))
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_PENDING)
        except (errors.AuthError, errors.ConfigError, errors.Unreachable) as exc:
            _fail(exc, EXIT_CONFIG, debug)
        except errors.InputError as exc:
            _fail(exc, EXIT_INVALID, debug)
        except errors.DiskFull as exc:
            _fail(exc, EXIT_PENDING, debug)
        except OSError as exc:  # a path given on the command line that cannot be used
            if debug:
                raise
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                _fail(
                    errors.DiskFull(f"the disk is full: {exc.filename} cannot be written"),
                    EXIT_PENDING,
                    debug,
                )
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {plain(where + (exc.strerror or str(exc)))}", err=True)
            sys.exit(EXIT_USAGE)
        except errors.CalendarSchedError as exc:
            _fail(exc, EXIT_FAILED, debug)
        except Exception as exc:  # a bug: say so plainly, traceback only with --debug
            if debug:
                raise
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {plain(str(exc))}\n"
                "This is a bug in calendar-sched; run again with --debug for details.",
                err=True,
            )
            sys.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


def _fail(exc: BaseException, code: int, debug: bool) -> None:
    if debug:
        raise exc
    click.echo(f"Error: {plain(str(exc))}", err=True)
    sys.exit(code)
