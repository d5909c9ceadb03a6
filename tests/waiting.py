"""Waiting, in a test, for what another thread or process does."""

import time
from collections.abc import Callable


def until(test: Callable[[], object], timeout: float = 20, pause: float = 0.01) -> None:
    """Return once ``test()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(pause)
