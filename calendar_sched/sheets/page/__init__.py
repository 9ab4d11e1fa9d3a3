"""The calendar page of ``plan --html`` and ``export --to results.html``: one HTML file."""

from calendar_sched.sheets.page.render import render_page, write_export_page, write_plan_page

__all__ = ["render_page", "write_export_page", "write_plan_page"]
