"""The reader registry: dispatch by extension, and no input ever raises."""

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_sched.load.sources import EXTENSIONS, READERS, read


def test_every_extension_has_a_reader() -> None:
    assert set(EXTENSIONS.values()) == set(READERS)
    assert set(EXTENSIONS) == {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".yaml", ".yml", ".json"}


def test_extension_is_case_insensitive_and_path_may_be_str(tmp_path: Path) -> None:
    path = tmp_path / "CAL.CSV"
    path.write_text("text\nhello\n", encoding="utf-8")
    loaded = read(str(path))
    assert loaded.path == path
    assert [r.cells for r in loaded.records] == [{"text": "hello"}]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("cal.xls", "save it as .xlsx"),
        ("cal.ods", "save it as .xlsx or CSV"),
        ("cal.docx", "unknown file type '.docx'"),
        ("calendar", "unknown file type '(no extension)'"),
    ],
)
def test_unknown_extensions(tmp_path: Path, name: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"whatever")
    loaded = read(path)
    assert loaded.records == []
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert fragment in loaded.problems[0].message
    assert loaded.problems[0].message.startswith(f"{name}: ")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = read(tmp_path / "nope.yaml")
    assert [p.code for p in missing.problems] == ["unreadable-file"]
    assert "file not found" in missing.problems[0].message
    folder = tmp_path / "cal.csv"
    folder.mkdir()
    assert "directory" in read(folder).problems[0].message


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cal.csv"
    path.write_text("text\nhi\n", encoding="utf-8")
    real_open = os.open

    def denied(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    problems = read(path).problems
    assert [p.code for p in problems] == ["unreadable-file"]
    assert problems[0].message == "cal.csv: cannot open the file: Permission denied"


def test_a_reader_bug_becomes_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, *, sheet: str | None = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(READERS, "csv", broken)
    path = tmp_path / "cal.csv"
    path.write_text("text\nhi\n", encoding="utf-8")
    problems = read(path).problems
    assert [p.code for p in problems] == ["unreadable-file"]
    assert "RuntimeError: boom" in problems[0].message


_FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_FAST
@given(
    suffix=st.sampled_from(sorted(EXTENSIONS)),
    content=st.binary(max_size=400)
    | st.text(alphabet=",;\t|\"\n\r :-[]{}!&*#%@`'abc0123/\\\x00é", max_size=300).map(
        lambda t: t.encode("utf-8")
    ),
)
def test_random_bytes_never_raise(tmp_path: Path, suffix: str, content: bytes) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(content)
    loaded = read(path)
    assert loaded.path == path
    for problem in loaded.problems:
        assert problem.message
    if any(p.code == "unreadable-file" for p in loaded.problems):
        assert loaded.records == []


@_FAST
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"posts:\n  - ", b"["]),
    content=st.binary(max_size=300),
)
def test_random_bytes_after_magic_prefixes_never_raise(
    tmp_path: Path, prefix: bytes, content: bytes
) -> None:
    for suffix in (".csv", ".xlsx", ".yaml", ".json"):
        path = tmp_path / f"random{suffix}"
        path.write_bytes(prefix + content)
        read(path)
