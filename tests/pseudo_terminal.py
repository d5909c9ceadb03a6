"""A program in a pseudo-terminal, as a user's terminal runs it: keys in, the bytes of
its screen drained and searched. Used by the end-to-end test of the terminal's input
(tests/e2e/test_terminal_bytes.py) and by the benchmark of ``csu run`` in a real
terminal (bench/terminal.py)."""

import contextlib
import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path


class Terminal:
    """``argv`` in a 120x40 pseudo-terminal: keys in, its screen's bytes drained."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.seen = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:  # a terminal that nobody reads stops the program writing
        with contextlib.suppress(OSError):
            while chunk := os.read(self.master, 1 << 16):
                with self.lock:
                    self.seen += chunk

    def wait_for(self, marker: bytes, timeout: float = 30, *, forget: bool = True) -> bool:
        """Whether ``marker`` shows within ``timeout`` s (with ``forget``, what was seen
        is then forgotten: the next wait looks at what comes after); False at once if
        the program ended without showing it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if marker in self.seen:
                    if forget:
                        self.seen = b""
                    return True
            if self.process.poll() is not None:  # ended: nothing more will come
                return False
            time.sleep(0.01)
        return False

    def type(self, keys: str | bytes, gap: float = 0.0) -> None:
        """``keys`` at once, or one by one ``gap`` s apart (as an agent types); bytes go
        as they are (a terminal in another encoding than UTF-8)."""
        data = keys.encode() if isinstance(keys, str) else keys
        if not gap:
            os.write(self.master, data)
            return
        for key in keys:
            os.write(self.master, key.encode() if isinstance(key, str) else bytes([key]))
            time.sleep(gap)

    def peak_mb(self) -> float:
        """The process's peak resident memory (VmHWM), MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(kib.split()[1]) / 1024

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)
