"""``csu run`` in a real pseudo-terminal sent bytes that are not UTF-8 (a terminal set to
ISO-8859-15 typing « é »): the app shows « � », says what to set right, and keeps
working; Textual's driver alone ended it on a UnicodeDecodeError in its input thread."""

import contextlib
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import assert_done, clean_environment, csu

CSU = Path(sys.executable).parent / "csu"


class Terminal:
    """``csu run`` in a 100x30 pseudo-terminal: bytes typed in, its screen read."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.seen = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:  # a terminal nobody reads stops the program writing
        with contextlib.suppress(OSError):
            while chunk := os.read(self.master, 1 << 16):
                with self.lock:
                    self.seen += chunk

    def shown(self, marker: bytes, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if marker in self.seen:
                    return True
            if self.process.poll() is not None:  # ended: nothing more will come
                return False
            time.sleep(0.02)
        return False

    def type(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    clean_environment(tmp_path, monkeypatch)
    db = tmp_path / "cellule.sqlite"
    assert_done(csu("init", "--db", db))
    running = Terminal([str(CSU), "run", "--db", str(db)])
    try:
        yield running
    finally:
        running.process.kill()
        running.process.wait()
        os.close(running.master)


def test_bytes_that_are_not_utf8_are_said_and_the_terminal_keeps_working(
    terminal: Terminal,
) -> None:
    assert terminal.shown(b"connexion"), terminal.seen[-2000:]
    terminal.type(b"Ren\xe9e")  # « Renée » typed in ISO-8859-15
    assert terminal.shown(b"Encodage du terminal"), terminal.seen[-2000:]
    assert terminal.shown("Ren\ufffde".encode())  # the login field shows what came
    assert terminal.process.poll() is None  # still running
    terminal.type(b"\x11")  # ctrl+q quits as always
    assert terminal.process.wait(timeout=30) == 0
    assert b"Traceback" not in terminal.seen and b"UnicodeDecodeError" not in terminal.seen
