"""Broken CSV quotes and oversize cells are reported at their row (#19 items 5 and 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.check.validation import validate
from calendar_sched.cli import main
from calendar_sched.load.sources import read

HEADER = "id,publish_at,channels,text\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cal.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_unclosed_quote_is_reported_where_it_opened(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "a,2030-03-01T09:00:00Z,demo-x,fine\n"
        'b,2030-03-02T09:00:00Z,demo-x,"never closed\n'
        "c,2030-03-03T09:00:00Z,demo-x,swallowed\n"
        "d,2030-03-04T09:00:00Z,demo-x,swallowed too\n",
    )
    loaded = read(path)
    assert [(p.code, p.row, p.field) for p in loaded.problems] == [("csv-quote", 3, "text")]
    assert "never closed" in loaded.problems[0].message
    assert [r.cells["id"] for r in loaded.records] == ["a"]  # nothing swallowed is a post
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "csv-quote" in result.output


def test_quote_closed_by_a_later_cell_is_reported_at_its_first_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'a,2030-03-01T09:00:00Z,demo-x,"Multi\nline",\n'
        'b,2030-03-02T09:00:00Z,demo-x,"opened here\n'
        'c,2030-03-03T09:00:00Z,demo-x,"quoted"\n',
    )
    problems = read(path).problems
    assert [(p.code, p.row) for p in problems] == [("csv-quote", 3)]
    assert "(line 4)" in problems[0].message  # row 3 starts on line 4 after a two-line cell


def test_a_cell_over_the_limit_names_the_cell_and_the_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, f'a,2030-03-01T09:00:00Z,demo-x,"{"x" * 140_000}"\n')
    (problem,) = read(path).problems
    assert (problem.code, problem.row, problem.field) == ("cell-too-large", 2, "text")
    assert "128 KiB" in problem.message
    assert "quote" not in problem.message


def test_quotes_inside_unquoted_text_are_still_fine(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,2030-03-01T09:00:00Z,demo-x,He said "hi" twice\n')
    loaded = read(path)
    assert loaded.problems == []
    assert loaded.records[0].cells["text"] == 'He said "hi" twice'


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cal.csv", HEADER),
        ("cal.csv", HEADER + ",,,\n\n"),
        ("cal.yaml", "posts: []\n"),
        ("cal.json", "[]"),
    ],
)
def test_a_file_without_posts_is_an_error(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    checked = validate([path])
    assert [p.code for p in checked.report.errors] == ["no-posts"]
    assert "nothing to schedule" in checked.report.errors[0].message
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
