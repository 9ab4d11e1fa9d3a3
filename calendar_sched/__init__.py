"""calendar-sched: schedule a content calendar through the Postiz Public API, exactly once.

The public names load on first use, so commands that need little (``sandbox serve``) start fast.
No public name is also the name of a stage package (``plan``, ``run``): the import system binds
a loaded subpackage on its parent, which would hide a function of the same name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from calendar_sched.version import __version__

if TYPE_CHECKING:
    from calendar_sched.check.validation import ValidateOptions, Validation, validate
    from calendar_sched.plan.planner import Plan
    from calendar_sched.plan.planner import plan as plan_requests
    from calendar_sched.run.executor import RunResult, execute
    from calendar_sched.run.journal import Journal
    from calendar_sched.run.options import RunOptions
    from calendar_sched.run.pipeline import Preview, RunOutcome, preview_calendar, run_calendar
    from calendar_sched.sheets.pull import pull_calendar
    from calendar_sched.sheets.results import export_rows

_LAZY = {
    "Journal": "calendar_sched.run.journal",
    "Plan": "calendar_sched.plan.planner",
    "Preview": "calendar_sched.run.pipeline",
    "RunOptions": "calendar_sched.run.options",
    "RunOutcome": "calendar_sched.run.pipeline",
    "RunResult": "calendar_sched.run.executor",
    "ValidateOptions": "calendar_sched.check.validation",
    "Validation": "calendar_sched.check.validation",
    "execute": "calendar_sched.run.executor",
    "export_rows": "calendar_sched.sheets.results",
    "plan_requests": "calendar_sched.plan.planner:plan",
    "preview_calendar": "calendar_sched.run.pipeline",
    "pull_calendar": "calendar_sched.sheets.pull",
    "run_calendar": "calendar_sched.run.pipeline",
    "validate": "calendar_sched.check.validation",
}

__all__ = [
    "Journal",
    "Plan",
    "Preview",
    "RunOptions",
    "RunOutcome",
    "RunResult",
    "ValidateOptions",
    "Validation",
    "__version__",
    "execute",
    "export_rows",
    "plan_requests",
    "preview_calendar",
    "pull_calendar",
    "run_calendar",
    "validate",
]


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'calendar_sched' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value
