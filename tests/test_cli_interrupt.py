"""Ctrl+C on a long command: the terminal sends SIGINT to the whole process group, the
command's worker processes included. The operator reads one French sentence, never a
Python traceback, and nothing half done is kept."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.cli_support import assert_done, clean_environment, csu
from tests.test_cli import HEADER, MININT
from tests.test_cli_platform import free_port
from tests.waiting import until

INTERRUPTED = "Interrompu (Ctrl+C) : ce qui n'était pas terminé n'a pas été enregistré."


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean_environment(tmp_path, monkeypatch)
    path = tmp_path / "cellule.sqlite"
    assert_done(csu("init", "--db", path))
    assert_done(csu("election", "load", MININT, "--db", path))
    return path


def started(*args: str | Path) -> subprocess.Popen[bytes]:
    """``csu ARGS`` in a session of its own: its process group, as a terminal's, and
    Ctrl+C at its default, as a terminal leaves it (a test run a shell put in the
    background inherits it ignored, and so would the command)."""
    return subprocess.Popen(
        [sys.executable, "-m", "csu.launch", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def workers(process: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes ``process`` spawned (not its resource tracker)."""
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    except OSError:
        return []
    found = []
    for child in children.split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(int(child))
    return found


def ignores_ctrl_c(pid: int) -> bool:
    """Whether the process ``pid`` ignores SIGINT (its mask of ignored signals)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & 1 << (signal.SIGINT - 1))
    raise AssertionError(f"no SigIgn line for process {pid}")


def workers_running(process: subprocess.Popen[bytes], count: int) -> bool:
    """``count`` workers started, and the command listening to Ctrl+C again (it ignores
    it for the instant a worker is spawned)."""
    return len(workers(process)) >= count and not ignores_ctrl_c(process.pid)


def wait_for_workers(process: subprocess.Popen[bytes], count: int) -> None:
    """Until ``workers_running``; failing, with what the command said meanwhile."""
    try:
        until(lambda: workers_running(process, count), timeout=60)
    except AssertionError:
        state = (workers(process), process.poll(), ignores_ctrl_c(process.pid)
                 if process.poll() is None else None)  # fmt: skip
        process.kill()
        said = process.communicate()[0].decode("utf-8", "replace")
        raise AssertionError(
            f"no worker running (workers, exit code, SIGINT ignored: {state}); "
            f"the command said:\n{said[-3000:]}"
        ) from None


class Output:
    """What a command writes, read as it comes by a thread of its own."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.said = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read1(65536):
            self.said += chunk

    def text(self) -> str:
        return self.said.decode("utf-8", "replace")


def ctrl_c(process: subprocess.Popen[bytes], stopping: str) -> str:
    """Ctrl+C as a terminal sends it; what the command then said. Pressed again if the
    command has neither ended nor said ``stopping`` 10 s later, as an operator would:
    one pressed in the few ms a worker is being spawned is ignored
    (csu/services/worker_processes.py). Once it says it is stopping, an operator waits:
    a press then, in the interpreter's last steps, kills it by the signal."""
    output = Output(process)
    for _ in range(3):
        os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        while process.poll() is None and stopping not in output.text():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        else:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                raise AssertionError(
                    f"said it was stopping, still there 60 s later:\n{output.text()}"
                ) from None
            output.reader.join(timeout=10)
            return output.text()
    process.kill()
    raise AssertionError(f"Ctrl+C pressed three times did not stop the command:\n{output.text()}")


def importing(db: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    """``csu import voters`` started on a roll of 300,000 voters, long enough to be
    interrupted while its workers validate it."""
    roll = tmp_path / "liste.csv"
    rows = (
        f"M{n:07d};Nom;Prénom;01/01/1970;;;;B{n % 7};électeur;ID-{n:07d};;;;;;"
        for n in range(300_000)
    )
    roll.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return started("import", "voters", roll, "--election", "minint-2022", "--db", db,
                   "--workers", "2")  # fmt: skip


def voters_in(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM voter").fetchone()[0]


def test_ctrl_c_during_an_import_is_said_in_french_and_writes_nothing(
    db: Path, tmp_path: Path
) -> None:
    process = importing(db, tmp_path)
    # One worker at least: the pool spawns the second only if the first is busy when a
    # chunk is handed out, which a loaded machine may never see.
    wait_for_workers(process, 1)
    spawned = workers(process)
    assert all(ignores_ctrl_c(pid) for pid in spawned)
    said = ctrl_c(process, INTERRUPTED)
    assert process.returncode == 130, said
    assert INTERRUPTED in said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    assert voters_in(db) == 0
    until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in spawned))


def test_ctrl_c_during_an_import_does_not_wait_for_a_worker_that_gets_no_cpu(
    db: Path, tmp_path: Path
) -> None:
    """On a loaded machine a worker may take long to finish its chunk or even to start;
    its result is no longer wanted once the operator pressed Ctrl+C."""
    process = importing(db, tmp_path)
    wait_for_workers(process, 1)
    spawned = workers(process)
    for pid in spawned:
        os.kill(pid, signal.SIGSTOP)  # no CPU at all: the worst a loaded machine does
    try:
        said = ctrl_c(process, INTERRUPTED)
    finally:  # whatever happened, no stopped worker is left behind
        for pid in spawned:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode == 130, said
    assert INTERRUPTED in said and "Traceback" not in said, said
    assert voters_in(db) == 0
    until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in spawned))


def test_ctrl_c_on_the_api_stops_it_and_its_argon2_workers_without_a_traceback(
    db: Path,
) -> None:
    port = free_port()
    process = started("api", "--port", str(port), "--db", db)
    url = f"http://127.0.0.1:{port}/v1/health"

    def answers() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    until(answers, timeout=60)
    wait_for_workers(process, 1)
    spawned = workers(process)
    assert all(ignores_ctrl_c(pid) for pid in spawned)
    said = ctrl_c(process, "Application shutdown complete.")
    assert "Application shutdown complete." in said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in spawned))


def test_a_ctrl_c_in_a_garbage_collection_callback_prints_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from types import SimpleNamespace

    from csu.cli.french import _quiet_interrupts_in_callbacks

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    _quiet_interrupts_in_callbacks()
    sys.unraisablehook(SimpleNamespace(  # what Python hands the hook, in part
        exc_type=KeyboardInterrupt, exc_value=KeyboardInterrupt(), exc_traceback=None,
        err_msg=None, object=None,
    ))  # fmt: skip
    assert capsys.readouterr().err == ""
