"""``calendar-sched validate``: exit codes, table, summary and the --json shape."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.cli import main

GOOD = "id,publish_at,channels,text\na,2030-12-01 09:00,telegram,Hello\nb,2030-12-02 09:00,x,Hi\n"
BAD = "id,publish_at,channels,text\na,2030-12-01 09:00,nope,Hello\nb,2030-13-01 09:00,x,Hi\n"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)
    monkeypatch.delenv("POSTIZ_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def write(tmp_path: Path, body: str, name: str = "december.csv") -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_valid_file_exits_0_with_summary(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", write(tmp_path, GOOD), "--timezone", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    assert (
        "december.csv: 2 entries, 2 posts on 2 channels, 0 errors, 1 warning "
        "(times read in Europe/Berlin)"
    ) in result.output
    assert "default-applied" in result.output
    assert "built-in sandbox's demo channels" in result.output


def test_invalid_file_exits_1_with_table(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", write(tmp_path, BAD), "--timezone", "UTC"])
    assert result.exit_code == 1
    for text in ("Row", "Field", "Code", "Message", "unknown-channel", "bad-datetime"):
        assert text in result.output
    assert "december.csv: 2 entries, 0 posts on 0 channels, 2 errors, 0 warnings" in result.output


def test_json_shape(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", write(tmp_path, BAD), "--json", "--timezone", "UTC"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert {"valid", "entries", "posts", "errors", "warnings"} <= set(data)
    assert data["valid"] is False
    assert (data["entries"], data["posts"]) == (2, 0)
    assert [(e["row"], e["code"]) for e in data["errors"]] == [
        (2, "unknown-channel"),
        (3, "bad-datetime"),
    ]
    assert set(data["errors"][0]) >= {"row", "field", "code", "value", "message"}
    assert data["errors"][0]["value"] == "nope"
    assert data["files"][0]["timezone_source"] == "option"


def test_options_reach_the_library(runner: CliRunner, tmp_path: Path) -> None:
    body = "publish_at,text\n03/04/2030 10:00,Hello\n"
    channels = tmp_path / "channels.json"
    channels.write_text('[{"id": "c9", "name": "Mine", "identifier": "telegram"}]')
    args = ["validate", write(tmp_path, body), "--json", "--timezone", "Asia/Tokyo"]
    result = runner.invoke(main, args)
    assert [e["code"] for e in json.loads(result.output)["errors"]] == [
        "ambiguous-date-format",
        "missing-field",
    ]
    more = ["--date-format", "dmy", "--default-channels", "Mine", "--channels-file", str(channels)]
    result = runner.invoke(main, args + more)
    data = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert data["posts"] == 1
    assert data["demo_channels"] is False


def test_max_errors(runner: CliRunner, tmp_path: Path) -> None:
    body = "publish_at,channels,text\n" + "never,x,hi\n" * 4
    result = runner.invoke(main, ["validate", write(tmp_path, body), "--max-errors", "2", "--json"])
    data = json.loads(result.output)
    assert len(data["errors"]) == 2
    assert data["partial"] is True
    assert "reached error limit: 2" in data["warnings"][-1]["message"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--timezone", "Mars/Base"], "unknown timezone"),
        (["--date-format", "ydm"], "Invalid value for '--date-format'"),
        (["--max-errors", "0"], "Invalid value for '--max-errors'"),
        (["--channels-file", "/no/such/file.json"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str], says: str) -> None:
    result = runner.invoke(main, ["validate", write(tmp_path, GOOD), *args])
    assert result.exit_code == 2
    assert says in result.output


def test_no_file_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2


def test_broken_inputs_never_print_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "binary.xlsx").write_bytes(b"\x00\x01garbage")
    (tmp_path / "bad.yaml").write_text("posts: [ {text: 'unclosed }\n")
    (tmp_path / "weird.json").write_text('{"posts": 5}')
    files = [str(tmp_path / n) for n in ("binary.xlsx", "bad.yaml", "weird.json", "gone.csv")]
    result = runner.invoke(main, ["validate", *files])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "unreadable-file" in result.output


def test_bad_channels_file_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "channels.json"
    bad.write_text("{not json")
    result = runner.invoke(main, ["validate", write(tmp_path, GOOD), "--channels-file", str(bad)])
    assert result.exit_code == 1
    assert "not valid JSON" in result.output


def test_help_lists_options(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--help"])
    assert result.exit_code == 0
    for option in (
        "--channels-file",
        "--default-channels",
        "--timezone",
        "--date-format",
        "--json",
    ):
        assert option in result.output


def test_summary_names_the_zones_used(runner: CliRunner, tmp_path: Path) -> None:
    body = "publish_at,timezone,channels,text\n" + (
        "2030-12-01 09:00,America/New_York,telegram,a\n2030-12-01 10:00,,telegram,b\n"
    )
    path = write(tmp_path, body)
    mixed = runner.invoke(main, ["validate", path, "--timezone", "Europe/Berlin"])
    assert "(times read in Europe/Berlin; rows with a timezone: America/New_York)" in mixed.output
    only_rows = write(tmp_path, body.replace(",,", ",Asia/Tokyo,"), "rows.csv")
    result = runner.invoke(main, ["validate", only_rows])
    assert "(times read in America/New_York, Asia/Tokyo, from the timezone column)" in result.output


def test_sheet_option_reaches_the_reader(runner: CliRunner) -> None:
    workbook = str(Path(__file__).resolve().parents[1] / "samples" / "december.xlsx")
    result = runner.invoke(main, ["validate", workbook, "--sheet", "Nope", "--json"])
    assert result.exit_code == 1
    assert "no sheet named 'Nope'" in json.loads(result.output)["errors"][0]["message"]
