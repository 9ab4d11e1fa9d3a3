"""The ``calendar-sched`` command line: click commands only, one library call each."""

from __future__ import annotations

import click

from calendar_sched import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calendar-sched")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Schedule a content calendar through the Postiz Public API, in the fewest requests."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    # Each command lives in its own module; registering here keeps the import graph one-way.
    from calendar_sched.cli import channels, export, plan, pull, run, sandbox, status, validate

    main.add_command(validate.validate)
    main.add_command(plan.plan_command)
    main.add_command(channels.channels_command)
    main.add_command(sandbox.sandbox)
    main.add_command(export.export_command)
    main.add_command(pull.pull_command)
    main.add_command(run.run_command)
    main.add_command(status.status_command)


_register()
