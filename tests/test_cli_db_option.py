"""One command, one base: ``--db`` given for two bases (before and after the command, or
twice to it), or with ``--demo``, is refused naming them, before anything is done; the
parser alone would keep one of them silently."""

from pathlib import Path

import pytest

from csu.launch import run_request
from csu.startup import StoreUnavailable, open_workplace
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


def test_a_db_before_the_command_and_another_after_it_are_refused_naming_both(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    result = csu("--db", first, "init", "--db", second)
    assert_refused(result, f"--db désigne 2 bases différentes : « {first} » et « {second} »")
    assert not first.exists() and not second.exists()  # neither was created


def test_a_db_given_twice_to_one_command_is_refused_naming_both(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    result = csu("init", f"--db={first}", "--db", second)
    assert_refused(result, f"« {first} » et « {second} »", "Gardez-en une seule")
    assert not first.exists() and not second.exists()


def test_the_same_base_given_twice_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = initialised(tmp_path / "cellule.sqlite")
    monkeypatch.chdir(tmp_path)
    assert_done(csu("--db", db, "election", "list", "--db", "./cellule.sqlite"))


def test_the_same_base_given_as_a_path_a_url_and_a_link_is_accepted(tmp_path: Path) -> None:
    db = initialised(tmp_path / "cellule.sqlite")
    (tmp_path / "lien.sqlite").symlink_to(db)
    url = f"sqlite:///{db}"
    assert_done(csu("--db", db, "election", "list", "--db", url))
    assert_done(csu("--db", tmp_path / "lien.sqlite", "election", "list", "--db", db))


def test_a_db_with_demo_is_refused(tmp_path: Path) -> None:
    db = initialised(tmp_path / "cellule.sqlite")
    assert_refused(csu("--db", db, "election", "list", "--demo"), "--db et --demo")


def test_the_terminal_opened_with_a_db_and_demo_is_refused(tmp_path: Path) -> None:
    db = initialised(tmp_path / "cellule.sqlite")
    request = run_request(["run", "--demo", "--db", str(db)])
    assert request == (str(db), True)  # the terminal's own parsing hands both over
    with pytest.raises(StoreUnavailable, match=r"^--db et --demo désignent chacun une base"):
        open_workplace(*request)


@pytest.mark.parametrize(
    "args",
    [["--db", "a.sqlite", "run", "--db", "b.sqlite"], ["run", "--db", "a.sqlite", "--db=b.sqlite"]],
)
def test_the_terminal_leaves_two_dbs_to_the_command_line_which_refuses_them(
    args: list[str],
) -> None:
    assert run_request(args) is None  # not opened on one of them, silently
    assert_refused(csu(*args), "--db désigne 2 bases différentes")
