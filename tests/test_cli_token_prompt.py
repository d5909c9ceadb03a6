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


def test_a_token_piped_in_is_read_without_an_english_warning(tmp_path: Path) -> None:
    """From a pipe or a script, nothing shows what is read: the line is taken as it
    comes, where getpass warned in English that it could not hide it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env["CSU_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "csu.launch", "token", "redeem", "--db", tmp_path / "absente"],
        input="jeton-lu-sur-l-entree\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,  # no controlling terminal, as a script run by a service
    )
    assert result.stderr.startswith("Jeton du lien: \n"), result.stderr
    assert "Warning" not in result.stderr
    assert "Base introuvable" in result.stderr  # the token was read: the store comes next


def test_a_token_typed_at_a_terminal_is_not_shown(tmp_path: Path) -> None:
    """At a terminal the token is read hidden, as getpass reads it: nothing typed shows."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env.update(CSU_DATA_DIR=str(tmp_path), TERM="xterm-256color")
    argv = [sys.executable, "-m", "csu.launch", "token", "redeem", "--db", str(tmp_path / "x")]
    terminal = Terminal(argv, env)
    try:
        assert terminal.wait_for(b"Jeton du lien", forget=False)
        # Typed once the prompt hides it (getpass turns the echo off after the label, and
        # drops what came before): as a person types, after reading the label.
        until(lambda: not termios.tcgetattr(terminal.master)[3] & termios.ECHO)
        terminal.type("jeton-secret-tape\r")
        assert terminal.wait_for(b"Base introuvable", forget=False)
        assert b"jeton-secret-tape" not in terminal.seen
    finally:
        terminal.close()
