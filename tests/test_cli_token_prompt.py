"""``csu token redeem`` and the voter's identity answers (seed 003: NUMEN +
département of birth): given as options they stay in the shell history and show in
``ps``, so the help says to leave them out and type them at the prompt, where every
secret answer (the département too: the NIR's 6th and 7th characters) is hidden."""

import os
import subprocess
import sys
import termios
from pathlib import Path

from tests.cli_support import assert_done, csu, said
from tests.conftest import TEST_KEY, sqlite_engine
from tests.pseudo_terminal import Terminal
from tests.test_cli_token_identity import (  # noqa: F401  (fixtures)
    PASSWORD,
    Teacher,
    built,
    environment,
    password_works,
    send_link,
    teacher,
)
from tests.waiting import until


def test_the_help_says_the_hidden_prompt_is_safer_than_the_options() -> None:
    result = csu("token", "redeem", "--help")
    assert_done(result)
    text = said(result)
    assert (
        "Une réponse donnée en option reste dans l'historique du shell et se voit dans "
        "la liste des processus (ps) : mieux vaut l'omettre, elle est alors demandée "
        "à une invite masquée (seule la date de naissance s'affiche à la frappe)."
    ) in text
    assert (
        "--numen <texte> NUMEN, si la page du lien le demande (préférez l'invite masquée : "
        "omettez l'option)."
    ) in text


def test_the_department_of_birth_is_typed_hidden(
    teacher: Teacher,  # noqa: F811
    tmp_path: Path,
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    typed = f"{page['numen']}\n{page['birth_department']}\n"
    result = csu("token", "redeem", token, "--db", teacher.db, input=typed)
    assert_done(result)
    text = said(result)
    # A prompt typed hidden echoes nothing after its label.
    assert f"département de naissance: {page['birth_department']}" not in text
    assert "département de naissance: Nouveau" in text
    found = PASSWORD.search(text)
    assert found and password_works(teacher, found.group(2))


def test_the_help_says_the_token_is_asked_hidden_when_left_out() -> None:
    result = csu("token", "redeem", "--help")
    assert_done(result)
    text = " ".join(said(result).split())
    assert "[JETON]" in text
    assert (
        "Le jeton du lien reçu (après « jeton= ») ; omis, il est demandé à une invite "
        "masquée : donné ici, il reste dans l'historique du shell et se voit dans ps."
    ) in text


def test_the_token_left_out_is_asked_at_a_hidden_prompt(
    teacher: Teacher,  # noqa: F811
    tmp_path: Path,
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    typed = f"{token}\n{page['numen']}\n{page['birth_department']}\n"
    result = csu("token", "redeem", "--db", teacher.db, input=typed)
    assert_done(result)
    text = said(result)
    # A bearer secret: typed hidden, never echoed.
    assert token not in text
    assert "Jeton du lien: " in text
    found = PASSWORD.search(text)
    assert found and password_works(teacher, found.group(2))


def without_terminal(tmp_path: Path, *args: str | Path, given: bytes) -> str:
    """``csu`` run as a script run by a service runs it (no terminal), ``given`` on its
    stdin: what it said on stderr."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env.update(CSU_DATA_DIR=str(tmp_path), CSU_SECRET_KEY=TEST_KEY.decode())
    result = subprocess.run(
        [sys.executable, "-m", "csu.launch", *map(str, args)],
        input=given,
        capture_output=True,
        env=env,
        timeout=60,
        start_new_session=True,  # no controlling terminal
    )
    return result.stderr.decode("utf-8", "replace")


def test_a_token_piped_in_is_read_without_an_english_warning(tmp_path: Path) -> None:
    """From a pipe or a script, nothing shows what is read: the line is taken as it
    comes, where getpass warned in English that it could not hide it."""
    sqlite_engine(tmp_path).dispose()
    said = without_terminal(
        tmp_path, "token", "redeem", "--db", tmp_path / "csu.sqlite", given=b"jeton-lu\n"
    )
    assert said.startswith("Jeton du lien: \n"), said
    assert "Warning" not in said
    assert "Lien invalide" in said  # the token was read, and looked for


def test_a_wrong_store_asks_no_token_at_a_terminal(tmp_path: Path) -> None:
    """A person would type a secret for nothing: the store is opened first."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env.update(CSU_DATA_DIR=str(tmp_path), TERM="xterm-256color")
    argv = [sys.executable, "-m", "csu.launch", "token", "redeem", "--db", str(tmp_path / "x")]
    terminal = Terminal(argv, env)
    try:
        assert terminal.wait_for(b"Base introuvable", forget=False)
        assert b"Jeton du lien" not in terminal.seen
    finally:
        terminal.close()


def test_a_piped_token_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    sqlite_engine(tmp_path).dispose()
    said = without_terminal(
        tmp_path, "token", "redeem", "--db", tmp_path / "csu.sqlite", given=b"ab\xff\n"
    )
    assert "Erreur : Jeton du lien : n'est pas du texte UTF-8" in said, said
    assert "Traceback" not in said


def test_a_token_typed_at_a_terminal_is_not_shown(tmp_path: Path) -> None:
    """At a terminal the token is read hidden, as getpass reads it: nothing typed shows."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env.update(
        CSU_DATA_DIR=str(tmp_path), CSU_SECRET_KEY=TEST_KEY.decode(), TERM="xterm-256color"
    )
    sqlite_engine(tmp_path).dispose()
    db = str(tmp_path / "csu.sqlite")
    argv = [sys.executable, "-m", "csu.launch", "token", "redeem", "--db", db]
    terminal = Terminal(argv, env)
    try:
        assert terminal.wait_for(b"Jeton du lien", forget=False)
        # Typed once the prompt hides it (getpass turns the echo off after the label, and
        # drops what came before): as a person types, after reading the label.
        until(lambda: not termios.tcgetattr(terminal.master)[3] & termios.ECHO)
        terminal.type("jeton-secret-tape\r")
        assert terminal.wait_for(b"Lien invalide", forget=False)
        assert b"jeton-secret-tape" not in terminal.seen
    finally:
        terminal.close()
