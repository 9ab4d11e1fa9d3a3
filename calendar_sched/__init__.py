"""calendar-sched: schedule a content calendar through the Postiz Public API, exactly once."""

from __future__ import annotations

from calendar_sched.planner import Plan, plan

__version__ = "0.1.0"

__all__ = ["Plan", "__version__", "plan"]
