"""The ``calendar-sched`` command line: click commands only, one library call each."""

from __future__ import annotations

import importlib

import click

from calendar_sched.version import __version__

#: command name → "module:attribute"; modules load only when their command runs, so a command
#: pays only for its own imports (``sandbox serve`` starts in well under a second).
COMMANDS = {
    "channels": "calendar_sched.cli.channels:channels_command",
    "export": "calendar_sched.cli.export:export_command",
    "ids": "calendar_sched.cli.ids:ids_command",
    "plan": "calendar_sched.cli.plan:plan_command",
    "pull": "calendar_sched.cli.pull:pull_command",
    "run": "calendar_sched.cli.run:run_command",
    "sandbox": "calendar_sched.cli.sandbox:sandbox",
    "status": "calendar_sched.cli.status:status_command",
    "validate": "calendar_sched.cli.validate:validate",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calendar-sched")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Schedule a content calendar through the Postiz Public API, in the fewest requests."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
