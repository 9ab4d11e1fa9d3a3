"""Rich rendering shared by ``plan`` and ``channels``: durations, report tables, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from calendar_sched.cli.options import plain as plain
from calendar_sched.models import Post
from calendar_sched.plan.eta import duration_text
from calendar_sched.report import Report, count


class SafeConsole(Console):
    """Prints strings as they are: no markup, no ``:emoji:`` codes, no control characters.

    Calendar values (channel names, paths, texts) reach every message; ``[/]`` in one would
    otherwise be read as markup. Colour is given with ``note`` (a styled ``Text``) instead.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(plain(text), **kwargs)


def console() -> Console:
    """A console on the current stdout (so CliRunner captures it)."""
    return SafeConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)


def note(out: Console, label: str, message: str, style: str = "yellow") -> None:
    """``warning: message`` with the label coloured; ``message`` printed as it is."""
    out.print(Text.assemble((label, style), " ", plain(message)))


#: Every duration the CLI prints: ``21s``, ``2m05s``, ``2h01m`` (rounded up, never early).
duration = duration_text


def offset(seconds: float) -> str:
    """``+1h00m``: a start offset from now."""
    return "+" + duration(seconds)


def print_json(data: Any) -> None:
    """Indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_report(report: Report, *, as_json: bool) -> None:
    """The validation report: a Row / Field / Code / Message table, or its ``--json``."""
    if as_json:
        click.echo(report.to_json())
        return
    out = console()
    table = Table(title="Problems", title_justify="left")
    for column in ("File", "Row", "Field", "Code", "Message"):
        table.add_column(column, overflow="fold")
    for problem in [*report.errors, *report.warnings]:
        code = problem.code if problem.severity == "error" else f"{problem.code} (warning)"
        table.add_row(
            problem.file or "",
            "" if problem.row is None else str(problem.row),
            problem.field or "",
            code,
            problem.message,
        )
    out.print(table)
    out.print(
        f"{count(len(report.errors), 'error')}, {count(len(report.warnings), 'warning')} in "
        f"{count(report.entries, 'entry', 'entries')}: fix the errors and run again"
    )


def post_names(keys: Iterable[str], posts: Iterable[Post]) -> dict[str, str]:
    """Post key → how messages name it (file, row, channel); keys of unknown Posts stay keys."""
    by_key = {post.key: post.describe() for post in posts}
    return {key: by_key.get(key, key) for key in keys}
