"""The ``calendar-sched`` command line: click commands only, one library call each."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import click

from calendar_sched.version import __version__

#: command name → "module:attribute"; modules load only when their command runs, so a command
#: pays only for its own imports (``sandbox serve`` starts in well under a second).
COMMANDS = {
    "channels": "calendar_sched.cli.channels:channels_command",
    "export": "calendar_sched.cli.export:export_command",
    "ids": "calendar_sched.cli.ids:ids_command",
    "mcp": "calendar_sched.cli.mcp:mcp_command",
    "plan": "calendar_sched.cli.plan:plan_command",
    "pull": "calendar_sched.cli.pull:pull_command",
    "run": "calendar_sched.cli.run:run_command",
    "sandbox": "calendar_sched.cli.sandbox:sandbox",
    "status": "calendar_sched.cli.status:status_command",
    "validate": "calendar_sched.cli.validate:validate",
}


#: command name → the first paragraph of its help, so ``--help`` lists the commands without
#: importing them (a test keeps these equal to the commands' own help).
SUMMARIES = {
    "channels": "List the channels of the configured account (or the built-in sandbox).",
    "export": "Write FILE's rows with each row's status, post ids, UTC time and error "
    "(CSV/XLSX/JSON).",
    "ids": "Write an id column into FILE (CSV/TSV/XLSX), so edited rows update their posts in "
    "place.",
    "mcp": "Serve validate, plan, run, status, export and pull as MCP tools (stdio by default).",
    "plan": "Preview the fewest API requests for FILE..., their quota windows and ETA.",
    "pull": "Write existing posts (all states) as a calendar; `run` on it sends only your edits.",
    "run": "Schedule FILE... exactly once, paced to the quota. Run it again to resume.",
    "sandbox": "Run the built-in Postiz emulator (quota, validation, uploads, faults).",
    "status": "Show what the run journal of FILE says: done, pending, failed, in doubt (offline).",
    "validate": "Check calendar files and list every problem, row by row (exit 1 when any).",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``SUMMARIES``, laid out as click lays it out."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            summary = SUMMARIES.get(name)
            if summary is None:  # not lazy: ask the command itself
                command = self.get_command(ctx, name)
                summary = command.get_short_help_str(limit) if command else ""
            else:  # shortened exactly as click shortens a command's own help
                summary = click.Command(name, help=summary).get_short_help_str(limit)
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off while a calendar is read, checked and planned.

    Everything made there lives to the end or is freed by reference counts (a 100k-row
    calendar's peak is the same with the collector off), yet each young collection walks the
    new objects: 6 % of a large ``validate``, for nothing. Afterwards what was made is moved to
    the oldest generation unwalked (``freeze`` then ``unfreeze``), not left young for the next
    collection to walk at once; then the collector is on again, if it was.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_on:
            gc.enable()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calendar-sched")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Schedule a content calendar through the Postiz Public API, in the fewest requests."""
    # The program, not the library, owns the process's collector: a calendar is read into
    # millions of small objects that live to the end, and the default thresholds make the
    # collector scan them over and over (a third of a 30k-row validate, half of a YAML one).
    # Rarer young collections, as mypy does; embedding programs keep their own settings.
    gc.set_threshold(200_000, 30, 30)
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
