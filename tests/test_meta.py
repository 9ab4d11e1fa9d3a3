"""Meta-tests that keep the package surface honest."""

import re
import shutil
from pathlib import Path

import pytest

import calendar_sched
from calendar_sched.report import CATALOGUE


def test_all_is_sorted_and_complete() -> None:
    assert calendar_sched.__all__ == sorted(calendar_sched.__all__)
    for name in calendar_sched.__all__:
        assert hasattr(calendar_sched, name), name


def test_catalogue_codes_are_kebab_case() -> None:
    for code in CATALOGUE:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code


def test_every_command_has_help_and_is_in_the_readme() -> None:
    from pathlib import Path

    import click

    from calendar_sched.cli import COMMANDS, main

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.help, f"{name} has no help text"
        assert f"`{name}" in readme, f"{name} is not documented in README.md"


def test_help_lists_every_command_by_its_own_words_without_importing_them() -> None:
    import subprocess
    import sys

    import click

    from calendar_sched.cli import COMMANDS, SUMMARIES, main

    assert set(SUMMARIES) == set(COMMANDS)
    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.help is not None
        assert SUMMARIES[name] == command.help.split("\n\n")[0].replace("\n", " "), name
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom calendar_sched.cli import main\n"
        "CliRunner().invoke(main, ['--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('calendar_sched.', 'rich', "
        "'starlette', 'pandas'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "['calendar_sched.cli', 'calendar_sched.version']", loaded


def test_readme_opens_with_the_two_set_up_commands() -> None:
    from pathlib import Path

    root = Path(__file__).parent.parent
    lines = (root / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].endswith("calendar-sched run samples/december.csv")
    assert block[1].endswith(".venv/bin/pytest -n 2 --cov")
    assert block[1] in (root / ".ci" / "run").read_text()


def test_public_names_are_the_functions_whatever_loads_first() -> None:
    """Every module loaded first, then every public name: none is hidden by a subpackage."""
    import subprocess
    import sys

    code = (
        "import pkgutil, types, calendar_sched\n"
        "for info in pkgutil.walk_packages(calendar_sched.__path__, 'calendar_sched.'):\n"
        "    __import__(info.name)\n"
        "for name in calendar_sched.__all__:\n"
        "    value = getattr(calendar_sched, name)\n"
        "    assert not isinstance(value, types.ModuleType), name\n"
        "from calendar_sched import ValidateOptions, plan_requests, validate\n"
        "assert callable(validate) and validate.__name__ == 'validate', validate\n"
        "assert plan_requests.__module__ == 'calendar_sched.plan.planner', plan_requests\n"
        "assert ValidateOptions.__name__ == 'ValidateOptions'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_readme_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """README's "As a library" block, run as written (in a copy of the samples' folder): it
    previews and then schedules the sample month against the built-in sandbox."""
    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1, "README has one Python example"
    shutil.copytree(root / "samples", tmp_path / "samples")
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["True", "61", "done"]
