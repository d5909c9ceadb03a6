"""Ctrl+C and the services' worker pools (csu/services/worker_processes.py)."""

import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, process
from typing import Any

import pytest

from csu.services.worker_processes import QUIET_SPAWN, ctrl_c_deferred


@pytest.fixture
def ctrl_c_interrupts() -> Iterator[None]:
    """Ctrl+C raises KeyboardInterrupt here, as in a command run from a terminal (a
    test run a shell put in the background starts deaf to it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_during_a_deferred_step_is_raised_once_the_step_is_done(
    ctrl_c_interrupts: None,
) -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), ctrl_c_deferred():
        signal.raise_signal(signal.SIGINT)
        done.append("the step went on to its end")
    assert done == ["the step went on to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_deferred_step_without_ctrl_c_leaves_the_handler_as_it_was(
    ctrl_c_interrupts: None,
) -> None:
    with ctrl_c_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_process_deaf_to_ctrl_c_stays_deaf_through_a_deferred_step() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with ctrl_c_deferred():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_pool_interrupted_as_its_first_submit_starts_its_thread_still_shuts_down(
    monkeypatch: pytest.MonkeyPatch, ctrl_c_interrupts: None
) -> None:
    """The roll import's pool (rolls._run_pool): Ctrl+C as submit started the pool's
    manager thread left a thread that shutdown could not join, and the operator read
    « RuntimeError: cannot join thread before it is started »."""
    start = process._ExecutorManagerThread.start

    def pressed_meanwhile(self: Any) -> None:
        signal.raise_signal(signal.SIGINT)  # the thread created, not started yet
        start(self)

    monkeypatch.setattr(process._ExecutorManagerThread, "start", pressed_meanwhile)
    pool = ProcessPoolExecutor(1, mp_context=QUIET_SPAWN)
    with pytest.raises(KeyboardInterrupt), ctrl_c_deferred():
        future = pool.submit(abs, -1)
    pool.shutdown(cancel_futures=True)  # no RuntimeError: the thread was started
    assert future.cancelled() or future.result() == 1
