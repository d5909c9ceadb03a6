"""Worker processes of the services' pools (the roll import's validation, the API's
argon2 checks): spawned, not forked (their callers run threads), and deaf to Ctrl+C.

The terminal sends Ctrl+C (SIGINT) to the whole process group: a worker interrupted
as it started or waited for work printed a Python traceback of its own. The main
process alone is interrupted, and stops its pool."""

import contextlib
import multiprocessing.context
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any


class _QuietProcess(multiprocessing.context.SpawnProcess):
    """Started with SIGINT ignored for the instant of the spawn: an ignored signal is
    inherited across exec, and Python then installs no KeyboardInterrupt in the child,
    not even while it imports its modules."""

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            super().start()  # only the main thread may set a handler (see ignore_ctrl_c)
            return
        with _ctrl_c_handled_by(signal.SIG_IGN):
            super().start()


class _QuietSpawnContext(multiprocessing.context.SpawnContext):
    Process = _QuietProcess


QUIET_SPAWN = _QuietSpawnContext()


def ignore_ctrl_c() -> None:
    """In a worker, first thing: for one spawned from another thread than the main one
    (its start could not ignore SIGINT), from then on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Ctrl+C held while the block runs, then raised as KeyboardInterrupt: for a step of
    a pool that must not be cut halfway. Interrupted while it started its manager
    thread, a ProcessPoolExecutor's submit left a thread its shutdown could not join
    (« cannot join thread before it is started »: a traceback instead of the French
    sentence). Only the main thread may set a handler: elsewhere, as is; and a process
    started deaf to Ctrl+C (a job a shell put in the background) stays so."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        yield
        return
    pressed: list[int] = []
    with _ctrl_c_handled_by(lambda number, _frame: pressed.append(number)):
        yield
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _ctrl_c_handled_by(handler: Any) -> Iterator[None]:
    """SIGINT's handler for the block, the one before it back after (Python's own if
    the one before was not set from Python, which cannot be set back)."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Ends ``pool`` without waiting for the work its processes hold: for a pool whose
    results are no longer wanted (a stopped API, an interrupted import). A worker busy
    on a task, or slow to start on a loaded machine, kept a graceful shutdown waiting
    for it (178 s for the API's low-priority workers; over 10 s for an import's after
    Ctrl+C); SIGKILL needs none of its time, and the pool, seeing its workers gone,
    closes its queues as after a crash."""
    workers = list((pool._processes or {}).values())
    for worker in workers:
        with contextlib.suppress(OSError):  # already gone
            worker.kill()
    for worker in workers:
        worker.join(timeout=10)
    pool.shutdown(wait=True, cancel_futures=True)
