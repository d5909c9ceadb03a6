"""Driving the ``csu`` command in tests: run it, read what it said, check the outcome."""

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from csu.cli import app

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
runner = CliRunner()


def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CSU_* setting from the user's shell; data dir in tmp; wide, plain console."""
    for name in list(os.environ):
        if name.startswith("CSU_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "400")  # Rich reads it at each print: no wrapped lines


def csu(*args: str | Path, input: str | None = None) -> Result:
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
