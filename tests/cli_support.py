"""Driving the ``csu`` command in tests: run it, read what it said, check the outcome."""

import atexit
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import typer.core
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from csu.cli import app

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
runner = CliRunner()


@functools.cache
def command() -> typer.core.TyperGroup:
    """The ``csu`` command tree, built once as the installed ``csu`` builds it once per
    process: the runner would build it again at each call (~0.1 s, hundreds of calls)."""
    return typer.main.get_command(app)  # type: ignore[return-value]


def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CSU_* setting from the user's shell; data dir in tmp; wide, plain console."""
    for name in list(os.environ):
        if name.startswith("CSU_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "400")  # Rich reads it at each print: no wrapped lines


def csu(*args: str | Path, input: str | None = None) -> Result:
    with mock.patch.object(typer.testing, "_get_command", lambda _: command()):
        return runner.invoke(app, [str(arg) for arg in args], input=input)


def said(result: Result) -> str:
    """Everything printed (stdout and stderr), colours removed, whitespace collapsed."""
    return " ".join(ANSI.sub("", result.output).split())


def assert_done(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.exception


def assert_refused(result: Result, *phrases: str) -> None:
    """Exit status 1 with a French sentence, never a traceback."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in said(result)


_built: dict[tuple[tuple[str, ...], ...], Path] = {}  # commands -> what they left here


def copy_of(path: Path, *commands: tuple[str | Path, ...]) -> Path:
    """What ``csu COMMAND --db PATH``, for each command in turn, leaves at ``path`` (the
    database and its key): they run once per process, then each test gets a copy, as
    ``csu init`` alone costs ~0.2 s (its migrations). Tests of a command run it."""
    key = tuple(tuple(str(word) for word in command) for command in commands)
    if key not in _built:
        folder = Path(tempfile.mkdtemp(prefix=f"csu-built-{os.getpid()}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        built = folder / "cellule.sqlite"
        for command in key:
            assert_done(csu(*command, "--db", built))
        _built[key] = built
    built = _built[key]
    path.parent.mkdir(parents=True, exist_ok=True)
    for file in built.parent.iterdir():  # the key beside it, a WAL if one is left
        shutil.copy(file, path.parent / file.name.replace(built.name, path.name, 1))
    return path


def initialised(path: Path, *loaded: Path) -> Path:
    """A copy of what ``csu init --db PATH`` then ``csu election load FILE --db PATH``,
    for each of ``loaded``, leave."""
    return copy_of(path, ("init",), *(("election", "load", file) for file in loaded))


def copy_of_demo(path: Path, voters: int = 30) -> Path:
    """A copy of what ``csu demo --db PATH --voters N`` leaves at ``path``."""
    return copy_of(path, ("demo", "--voters", str(voters)))
