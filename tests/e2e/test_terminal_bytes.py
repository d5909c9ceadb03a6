"""``csu run`` in a real pseudo-terminal sent bytes that are not UTF-8 (a terminal set to
ISO-8859-15 typing « é »): the app shows « � », says what to set right, and keeps
working; Textual's driver alone ended it on a UnicodeDecodeError in its input thread."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import assert_done, clean_environment, csu
from tests.pseudo_terminal import Terminal

CSU = Path(sys.executable).parent / "csu"


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    clean_environment(tmp_path, monkeypatch)
    db = tmp_path / "cellule.sqlite"
    assert_done(csu("init", "--db", db))
    environment = dict(os.environ, TERM="xterm-256color")
    running = Terminal([str(CSU), "run", "--db", str(db)], environment)
    try:
        yield running
    finally:
        running.close()


def test_bytes_that_are_not_utf8_are_said_and_the_terminal_keeps_working(
    terminal: Terminal,
) -> None:
    assert terminal.wait_for(b"connexion"), terminal.seen[-2000:]
    terminal.type(b"Ren\xe9e")  # « Renée » typed in ISO-8859-15
    # The login field shows what came, and the notice says what to set (in either order).
    assert terminal.wait_for("Ren\ufffde".encode(), forget=False), terminal.seen[-2000:]
    assert terminal.wait_for(b"Encodage du terminal", forget=False), terminal.seen[-2000:]
    assert terminal.process.poll() is None  # still running
    terminal.type(b"\x11")  # ctrl+q quits as always
    assert terminal.process.wait(timeout=30) == 0
    assert b"Traceback" not in terminal.seen and b"UnicodeDecodeError" not in terminal.seen
