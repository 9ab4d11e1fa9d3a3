"""The validation Report and the catalogue of row error codes.

Every problem in a calendar is a ``RowError`` value with a stable kebab ``code`` from
``CATALOGUE``; validation collects them all instead of raising.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ErrorType:
    """One entry of the catalogue: code, title and severity."""

    code: str
    title: str
    severity: Severity = "error"


CATALOGUE: dict[str, ErrorType] = {
    t.code: t
    for t in [
        ErrorType("unreadable-file", "File cannot be read"),
        ErrorType("no-posts", "File holds no posts: nothing to schedule"),
        ErrorType("csv-quote", "A quote in a CSV row is not closed where its cell ends"),
        ErrorType("cell-too-large", "A cell is over the size limit"),
        ErrorType("missing-field", "Required field is missing"),
        ErrorType("bad-value", "Value is not valid"),
        ErrorType("bad-datetime", "Date or time cannot be read"),
        ErrorType("bad-timezone", "Unknown timezone"),
        ErrorType("nonexistent-local-time", "Local time does not exist (clock change)"),
        ErrorType("ambiguous-local-time", "Local time occurs twice (clock change)"),
        ErrorType("ambiguous-date-format", "Day and month order cannot be decided"),
        ErrorType("unknown-channel", "Channel not found"),
        ErrorType("ambiguous-channel", "Channel reference matches several channels"),
        ErrorType("disabled-channel", "Channel is disabled"),
        ErrorType("text-too-long", "Text is longer than the platform allows"),
        ErrorType("empty-post", "Post has neither text nor media"),
        ErrorType("media-required", "Platform requires media"),
        ErrorType("pulled-media-unknown", "Edited pulled post: its media cannot be listed"),
        ErrorType("too-many-media", "More media than the platform allows"),
        ErrorType("bad-media-type", "Media type not allowed"),
        ErrorType("media-not-found", "Media file not found"),
        ErrorType("media-unreachable", "Remote media cannot be fetched (validate --check-urls)"),
        ErrorType("missing-setting", "Platform setting required"),
        ErrorType("duplicate-id", "Two entries share one id"),
        ErrorType("bad-slots", "Posting slots cannot be read"),
        ErrorType("no-free-slot", "No posting slot left for a row without a time"),
        ErrorType("past-publish-time", "Publish time is in the past", "warning"),
        ErrorType("default-applied", "A default was filled in", "warning"),
        ErrorType("duplicate-content", "Same text on the same channel within an hour", "warning"),
        ErrorType("duplicate-existing", "Same text already scheduled on the channel", "warning"),
        ErrorType(
            "pulled-media-unchecked", "Pulled post's media cannot be checked offline", "warning"
        ),
        ErrorType(
            "channel-not-listed", "The target does not list the channel: not sent", "warning"
        ),
        ErrorType("encoding-fallback", "File is not UTF-8; read as cp1252", "warning"),
        ErrorType("unknown-column", "Column is not part of the calendar format", "warning"),
        ErrorType("error-limit", "Too many errors; the list is cut", "warning"),
    ]
}


@dataclass(frozen=True)
class RowError:
    """One problem: where (file, row, field), what (code, raw value) and how to fix it."""

    code: str
    message: str
    row: int | None = None
    field: str | None = None
    value: str | None = None
    file: str | None = None
    note: str | None = None

    @property
    def severity(self) -> Severity:
        """``error`` or ``warning``, from the catalogue."""
        return CATALOGUE[self.code].severity

    @property
    def title(self) -> str:
        """The catalogue title of this code."""
        return CATALOGUE[self.code].title

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of one problem."""
        out: dict[str, Any] = {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "value": self.value,
            "message": self.message,
        }
        if self.file is not None:
            out["file"] = self.file
        return out


@dataclass
class Report:
    """All problems of one validation, with counts."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    entries: int = 0
    posts: int = 0
    timezone: str | None = None
    partial: bool = False
    max_errors: int | None = None

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings are fine)."""
        return not self.errors

    def add(self, problem: RowError) -> None:
        """Record one problem, respecting ``max_errors``."""
        if problem.code not in CATALOGUE:
            raise ValueError(f"unknown error code {problem.code!r}")
        if problem.severity == "warning":
            self.warnings.append(problem)
            return
        if self.max_errors is not None and len(self.errors) >= self.max_errors:
            if not self.partial:
                self.partial = True
                self.warnings.append(
                    RowError(
                        "error-limit",
                        f"reached error limit: {self.max_errors}; fix these and run again "
                        "(or raise --max-errors)",
                    )
                )
            return
        self.errors.append(problem)

    def extend(self, problems: Iterable[RowError]) -> None:
        """Record several problems."""
        for problem in problems:
            self.add(problem)

    def flatten(self, keys: list[str], *, warnings: bool = False) -> list[list[Any]]:
        """``[[row, code], ...]`` style lists, for tests."""
        items = self.warnings if warnings else self.errors
        return [[getattr(item, key) for key in keys] for item in items]

    def to_dict(self) -> dict[str, Any]:
        """The ``validate --json`` shape."""
        return {
            "valid": self.valid,
            "entries": self.entries,
            "posts": self.posts,
            "timezone": self.timezone,
            "partial": self.partial,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def to_json(self) -> str:
        """``to_dict`` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 post``, ``2 posts``: a number and its noun, in the number's form."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
