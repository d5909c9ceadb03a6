"""The API's argon2 workers (csu/services/platform.py) end with ``csu api``, however
busy the machine: they run at a low priority, and on a machine whose cores other work
took they got no CPU to read the pool's stop (at SCHED_IDLE), which waited minutes."""

import os
import signal
import threading
from contextlib import suppress

from csu.services import platform


def test_stopping_the_pool_ends_workers_that_get_no_cpu() -> None:
    pool = platform._argon2_pool()
    futures = [pool.submit(platform._ready) for _ in range(platform.ARGON2_WORKERS)]
    assert all(future.result(timeout=120) for future in futures)
    workers = list((pool._processes or {}).values())
    for worker in workers:  # as starved as a low-priority worker beside busy processes
        os.kill(worker.pid, signal.SIGSTOP)  # type: ignore[arg-type]
    stopper = threading.Thread(target=platform.stop_argon2_pool, daemon=True)
    stopper.start()
    stopper.join(timeout=30)
    try:
        assert not stopper.is_alive(), "the pool's stop waited for its workers"
        assert not any(worker.is_alive() for worker in workers)
    finally:
        for worker in workers:
            with suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGCONT)  # type: ignore[arg-type]
        stopper.join(timeout=30)


def test_a_stopped_pool_is_started_again_by_the_next_check() -> None:
    platform.stop_argon2_pool()
    assert platform._argon2_pool().submit(platform._ready).result(timeout=120)
    platform.stop_argon2_pool()
