"""The shipped samples: same content in CSV, XLSX and YAML, real images, the other layouts."""

import importlib.util
import zlib
from datetime import date, time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from calendar_sched.load.sources import read

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flat_from_xlsx(cells: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in cells.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, time):
            value = value.strftime("%H:%M")
        out[key] = str(value)
    return out


def _flat_from_yaml(cells: dict[str, Any], zone: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    merged = dict(cells)
    merged.setdefault("timezone", zone)
    merged.setdefault("type", "schedule")
    for key, value in merged.items():
        if key == "publish_at":
            out["date"], out["time"] = value.split(" ")
        elif key == "text" and isinstance(value, dict):
            out["text"] = value["default"]
            out.update({f"text.{k}": v for k, v in value.items() if k != "default"})
        elif key == "thread":
            out.update({f"thread.{n}": item for n, item in enumerate(value, start=1)})
        elif key == "settings":
            for ident, settings in value.items():
                out.update({f"settings.{ident}.{k}": v for k, v in settings.items()})
        elif isinstance(value, list):
            out[key] = ("|" if key == "media" else ", ").join(value)
        else:
            out[key] = value
    return out


def _csv_cells() -> list[dict[str, str]]:
    return [r.cells for r in read(SAMPLES / "december.csv").records]


def test_december_csv_reads_cleanly() -> None:
    loaded = read(SAMPLES / "december.csv")
    assert loaded.problems == []
    assert len(loaded.records) == 62
    assert [r.position.row for r in loaded.records] == list(range(2, 64))
    channels = {c.strip() for r in loaded.records for c in r.cells["channels"].split(",")}
    assert len(channels) >= 6
    assert {r.cells["date"][:7] for r in loaded.records} == {"2026-12"}


def test_xlsx_has_the_same_content_with_real_dates() -> None:
    loaded = read(SAMPLES / "december.xlsx")
    assert loaded.problems == []
    assert loaded.records[0].position.sheet == "December 2026"
    assert isinstance(loaded.records[0].cells["date"], date)
    assert isinstance(loaded.records[0].cells["time"], time)
    xlsx = [_flat_from_xlsx(r.cells) for r in loaded.records]
    assert xlsx == _csv_cells()


def test_yaml_has_the_same_content() -> None:
    loaded = read(SAMPLES / "december.yaml")
    assert loaded.problems == []
    assert loaded.timezone == "Europe/Berlin"
    assert loaded.defaults == {"settings": {"x": {"who_can_reply_post": "everyone"}}}
    assert loaded.records[0].position.line is not None
    yaml_rows = [_flat_from_yaml(r.cells, loaded.timezone) for r in loaded.records]
    csv_rows = [
        {k: v for k, v in row.items() if k != "settings.x.who_can_reply_post"}
        for row in _csv_cells()
    ]
    assert yaml_rows == csv_rows


def test_generated_yaml_is_fresh(tmp_path: Path) -> None:
    make = _make_samples()
    header, rows = make._rows(SAMPLES / "december.csv")
    make.write_yaml(rows, tmp_path / "december.yaml")
    assert (tmp_path / "december.yaml").read_text(encoding="utf-8") == (
        SAMPLES / "december.yaml"
    ).read_text(encoding="utf-8"), "run python samples/make_samples.py"
    make.write_xlsx(header, rows, tmp_path / "december.xlsx")
    fresh = [r.cells for r in read(tmp_path / "december.xlsx").records]
    assert fresh == [r.cells for r in read(SAMPLES / "december.xlsx").records]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    start = data.index(b"IDAT") + 4
    length = int.from_bytes(data[start - 8 : start - 4], "big")
    pixels = zlib.decompress(data[start : start + length])
    assert len(pixels) == height * (1 + 3 * width)
    return width, height


def test_media_are_small_real_images_and_all_exist() -> None:
    referenced = {
        part.strip()
        for row in _csv_cells()
        for part in row.get("media", "").split("|")
        if part.strip() and not part.strip().startswith("https://")
    }
    assert referenced
    for name in referenced:
        path = SAMPLES / name
        assert path.is_file(), name
        assert 500 < path.stat().st_size < 20_000
        assert _png_size(path.read_bytes()) == (240, 180)
    assert referenced == {f"media/{p.name}" for p in (SAMPLES / "media").glob("*.png")}


def test_generated_images_are_deterministic() -> None:
    make = _make_samples()
    assert make.make_image("gift") == (SAMPLES / "media" / "gift.png").read_bytes()


def test_hootsuite_sample_is_detected() -> None:
    loaded = read(SAMPLES / "hootsuite.csv")
    assert loaded.layout == "hootsuite"
    assert loaded.problems == []
    assert loaded.records[0].position.row == 1
    assert set(loaded.records[0].cells) == {"publish_at", "text", "link"}
    assert all(r.cells["publish_at"].startswith("12/") for r in loaded.records)


@pytest.mark.parametrize(
    ("row", "entry_id"),
    [(2, "bad-date"), (6, "missing-media"), (9, "twice"), (10, "empty"), (11, "bad-zone")],
)
def test_broken_sample_reads_without_reader_problems(row: int, entry_id: str) -> None:
    loaded = read(SAMPLES / "broken.csv")
    assert loaded.problems == []
    by_row = {r.position.row: r.cells for r in loaded.records}
    assert sorted(by_row) == list(range(2, 12))
    assert by_row[row]["id"] == entry_id


def test_the_readme_command_works_once_the_sample_month_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's first command on the day a newcomer tries it, however late: the same sample
    month two years earlier still rehearses to the end (exit 0), naming the passed posts."""
    import shutil

    from click.testing import CliRunner

    from calendar_sched.cli import main

    shutil.copytree(SAMPLES, tmp_path / "samples")
    month = tmp_path / "samples" / "december.csv"
    text = month.read_text("utf-8")
    assert "2026-12-" in text
    month.write_text(text.replace("2026-12-", "2024-12-"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "samples/december.csv", "--limit", "100"])
    assert result.exit_code == 0, result.output
    assert "already passed" in result.output
    assert "283/283 posts scheduled, 61 counted requests sent" in result.output
