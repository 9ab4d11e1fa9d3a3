"""The calendar page rendered: one self-contained HTML file (inline CSS and JS, no network).

jinja2 renders the skeleton with autoescaping on; the model goes in as JSON inside a
``<script type="application/json">`` block (``model.to_json`` escapes ``<``, ``>`` and ``&``), and
the page's script builds the grid from it with ``textContent`` only. A Content-Security-Policy
with a fresh nonce lets only the page's own script and style run, and loads nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from calendar_sched.check.validation import Validation
from calendar_sched.files import atomic_write_text
from calendar_sched.run.pipeline import Preview
from calendar_sched.sheets.outcomes import PostOutcome, summarize
from calendar_sched.sheets.page.model import export_model, plan_model, to_json
from calendar_sched.sheets.results import ExportResult
from calendar_sched.version import __version__


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("calendar_sched.sheets.page", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _asset(name: str) -> Markup:
    # Our own stylesheet and script, inserted as they are (not parsed as templates).
    env = _environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return Markup(source)


def render_page(model: Mapping[str, Any]) -> str:
    """The page's HTML for a model from ``plan_model`` or ``export_model``."""
    undated = [p for p in model["problems"] if p["local"] is None]
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            model=model,
            undated=undated,
            data=Markup(to_json(model)),  # safe: to_json escapes <, > and &
            style=_asset("page.css"),
            script=_asset("page.js"),
            nonce=secrets.token_urlsafe(16),
            version=__version__,
        )
    )


def write_plan_page(path: str | Path, preview: Preview, *, now: datetime | None = None) -> Path:
    """Write the page of a ``plan`` preview to ``path`` (atomically); returns the path.

    An invalid calendar gets a page too: its valid rows' posts and every problem on its day.
    """
    target = Path(path)
    atomic_write_text(target, render_page(plan_model(preview, now=now)))
    return target


def write_export_page(
    path: str | Path,
    validation: Validation,
    outcomes: Sequence[PostOutcome],
    *,
    summary: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the page of an export (each post's status and post id) to ``path`` (atomically).

    Returns what ``export_rows`` returns for the other formats: the rows are the calendar's
    entries (valid or not), the statuses those of its Posts.
    """
    target = Path(path)
    model = export_model(validation, outcomes, summary=summary, now=now)
    atomic_write_text(target, render_page(model))
    return ExportResult(target, "html", validation.report.entries, summarize(outcomes))
