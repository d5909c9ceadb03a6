"""The demo from the command line: `--demo` on every command (before or after it) opens
the demo database that `make run` builds, and `csu demo-callers` prints callers an
agent can read from an 80-column terminal, or as CSV."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from csu.app import CsuApp
from csu.cli import app
from csu.cli.demo import ANSWER_NAMES, MOBILE_NAME, PRESIDENT_NAME
from csu.config import load_settings
from csu.services.context import Deps
from csu.services.demo import DemoCaller, demo_callers
from csu.startup import demo_url
from csu.store.engine import make_engine
from tests.cli_support import (
    assert_done,
    assert_refused,
    clean_environment,
    copy_of_demo,
    csu,
    said,
)


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo database where `make run` puts it (the data directory is tmp_path), as
    `csu demo --voters 30` leaves it."""
    path = copy_of_demo(tmp_path / "demo.sqlite")
    assert demo_url().endswith(str(path))
    return path


def callers_of(path: Path) -> list[DemoCaller]:
    """What `csu demo-callers --count 1` prints, from the service."""
    return demo_callers_of(path, 1)


def demo_callers_of(path: Path, count: int) -> list[DemoCaller]:
    """What `csu demo-callers --count COUNT` prints, from the service."""
    settings = load_settings(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    try:
        return demo_callers(Deps(engine=engine, key=settings.key_bytes()), count)
    finally:
        engine.dispose()


def commands(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the tree, as the words that call it."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, TyperGroup):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


# --- --demo ---------------------------------------------------------------------------


def test_a_command_without_a_database_says_how_to_reach_the_demo(demo: Path) -> None:
    assert_refused(csu("operator", "list"), "Base introuvable", "--demo")


def test_the_demo_not_built_yet_says_how_to_build_it() -> None:
    result = csu("operator", "list", "--demo")
    assert_refused(result, "Base de démonstration introuvable", "« csu demo »", "make run")
    assert "csu init" not in said(result)  # it would build an empty base, not the demo


@pytest.mark.parametrize("where", ["after", "before"])
def test_demo_after_or_before_a_command_opens_the_demo_database(demo: Path, where: str) -> None:
    args = ["operator", "list", "--demo"] if where == "after" else ["--demo", "operator", "list"]
    result = csu(*args)
    assert_done(result)
    assert "superviseur" in said(result)


def test_an_audit_of_the_demo_needs_only_demo(demo: Path) -> None:
    result = csu("audit", "verify", "--demo")
    assert_done(result)
    assert "journal intègre" in said(result)


def test_every_command_accepts_demo() -> None:
    root = get_command(app)
    assert isinstance(root, TyperGroup)
    found = list(commands(root))
    assert len(found) > 20
    for words in found:
        result = csu(*words, "--demo", "--help")
        assert result.exit_code == 0, (words, result.output)


def test_run_with_demo_before_after_or_alone_opens_the_terminal_on_the_demo(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(CsuApp, "run", lambda app: opened.append(str(app.deps.engine.url)))
    for args in (["run", "--demo"], ["--demo", "run"], ["--demo"]):
        assert_done(csu(*args))
    assert opened == [f"sqlite:///{demo}"] * 3


def test_demo_and_db_together_are_refused(demo: Path, tmp_path: Path) -> None:
    assert_refused(csu("operator", "list", "--demo", "--db", tmp_path / "x.sqlite"),
                   "--db et --demo")  # fmt: skip


# --- demo-callers ---------------------------------------------------------------------


def test_demo_callers_fit_80_columns_with_every_answer_whole(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = csu("demo-callers", "--count", "1")
    assert_done(result)
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    for caller in callers_of(demo):
        assert any(caller.matricule in line and caller.name in line for line in lines)
        for factor, answer in caller.answers.items():
            assert f"  {ANSWER_NAMES[factor]} : {answer}" in lines


def test_demo_callers_as_csv_give_one_row_a_caller(demo: Path) -> None:
    result = csu("demo-callers", "--count", "1", "--format", "csv")
    assert_done(result)
    rows = list(csv.DictReader(io.StringIO(result.output), delimiter=";"))
    callers = callers_of(demo)
    assert [row["matricule"] for row in rows] == [c.matricule for c in callers]
    for row, caller in zip(rows, callers, strict=True):
        for factor, answer in caller.answers.items():
            assert row[ANSWER_NAMES[factor]] == answer


def test_demo_callers_say_whether_a_code_by_sms_reaches_them(demo: Path) -> None:
    result = csu("demo-callers", "--count", "3")
    assert_done(result)
    said = result.output
    assert f"  {MOBILE_NAME} : oui" in said
    callers = demo_callers_of(demo, 3)
    assert {c.mobile for c in callers} == {True, False}  # the demo has both kinds


def test_demo_callers_name_the_demo_president_who_can_see_them_in_person(demo: Path) -> None:
    """S2 and S4 need the caller's bureau's president: a newcomer took a caller whose
    bureau has none in the demo."""
    callers = demo_callers_of(demo, 3)
    presided = [c for c in callers if c.president is not None]
    assert presided and all(c.president == "president" for c in presided)
    said = csu("demo-callers", "--count", "3").output
    block = next(b for b in said.split("\n\n") if presided[0].matricule in b)
    assert f"  {PRESIDENT_NAME} : president" in block.splitlines()
    rows = list(csv.DictReader(io.StringIO(csu("demo-callers", "--format", "csv").output),
                               delimiter=";"))  # fmt: skip
    assert {row[PRESIDENT_NAME] for row in rows} == {"president", ""}


def test_demo_callers_reached_by_sms_come_first_in_each_election(demo: Path) -> None:
    callers = demo_callers_of(demo, 3)
    for election in {c.election for c in callers}:
        kinds = [c.mobile for c in callers if c.election == election]
        assert kinds == sorted(kinds, reverse=True), (election, kinds)


def test_demo_callers_in_an_unknown_format_are_refused(demo: Path) -> None:
    assert_refused(csu("demo-callers", "--format", "pdf"), "« pdf » inconnu", "blocs ou csv")


def test_a_rebuild_stopped_midway_leaves_the_demo_there_was(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = callers_of(demo)
    key = Path(f"{demo}.key").read_bytes()

    def stopped(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # Ctrl+C during the build

    monkeypatch.setattr("csu.services.demo.build_demo", stopped)
    csu("demo", "--force")
    assert callers_of(demo) == before
    assert Path(f"{demo}.key").read_bytes() == key
    assert not list(demo.parent.glob("*.construction*"))


def test_a_rebuild_replaces_the_demo_whole(demo: Path) -> None:
    assert "Base de démo prête" in said(csu("demo", "--force", "--voters", "3"))
    assert "journal intègre" in said(csu("audit", "verify", "--demo"))
    assert not list(demo.parent.glob("*.construction*"))
