"""calendar-sched: schedule a content calendar through the Postiz Public API, exactly once."""

from __future__ import annotations

from calendar_sched.executor import RunResult, execute
from calendar_sched.export import export_rows
from calendar_sched.journal import Journal
from calendar_sched.planner import Plan, plan
from calendar_sched.pull import pull_calendar
from calendar_sched.validate import ValidateOptions, Validation, validate

__version__ = "0.1.0"

__all__ = [
    "Journal",
    "Plan",
    "RunResult",
    "ValidateOptions",
    "Validation",
    "__version__",
    "execute",
    "export_rows",
    "plan",
    "pull_calendar",
    "validate",
]
