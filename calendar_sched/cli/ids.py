"""``calendar-sched ids``: give every row of a calendar the stable id it is already known by."""

from __future__ import annotations

import click

from calendar_sched.cli import render
from calendar_sched.cli.options import SourceArgs, exit_codes, source_args
from calendar_sched.report import count
from calendar_sched.sheets.ids import add_ids


@click.command("ids")
@source_args
@exit_codes
def ids_command(source: SourceArgs) -> None:
    """Write an id column into FILE (CSV/TSV/XLSX), so edited rows update their posts in place.

    Each row gets the id it is known by today (a hash of its time, text and channels), so the
    posts already sent keep theirs; every other cell is kept as it was. YAML/JSON: the ids to
    add are listed.
    """
    out = render.console()
    for file in source.files:
        result = add_ids(file, source.validate_options())
        if result.to_add:
            out.print(f"{file}: add these ids to the items (id: …), then edits update in place:")
            for where, key in result.to_add.items():
                out.print(f"  {where}: id: {key}", markup=False)
            continue
        column = "an id column; " if result.column_added else ""
        out.print(f"{file}: {column}{count(len(result.added), 'row')} given their id", markup=False)
        if result.backup is not None:
            out.print(f"  the workbook as it was: {result.backup}", markup=False)
        if result.missing:
            rows = ", ".join(map(str, result.missing[:20]))
            out.print(
                f"  {count(len(result.missing), 'row')} without a readable time got no id "
                f"(rows {rows}): fix them and run ids again",
                markup=False,
            )
