"""The ``csu`` command: opens the terminal at once, everything else goes to the CLI.

``csu run`` must draw its login screen about as fast as a bare Textual app, so this
entry point imports neither Typer nor the store for it: the app draws first and opens
the store in a worker (:func:`csu.startup.open_workplace`). Any other command line,
including a malformed ``run``, is handed to the Typer application in ``csu.cli``,
which owns the help and the error messages.
"""

import gc
import sys
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csu.app import CsuApp
    from csu.startup import Workplace


def run_request(args: list[str]) -> tuple[str | None, bool] | None:
    """``(db, demo)`` when ``args`` open the terminal (``run [--demo] [--db X]``, ``--db``
    before or after ``run``, or no command at all), else None: the CLI then reads them,
    and refuses what it must (``--db`` given twice, one of them kept silently here)."""
    db: str | None = None
    demo = run = False
    tokens = iter(args)
    for token in tokens:
        if token == "run" and not run:
            run = True
        elif token == "--demo" and run:
            demo = True
        elif token == "--db" or (token.startswith("--db=") and len(token) > len("--db=")):
            given = next(tokens, None) if token == "--db" else token.removeprefix("--db=")
            if not given or given.startswith("-") or db is not None:
                return None
            db = given
        else:
            return None
    return db, demo


def build_app(db: str | None, demo: bool = False) -> "CsuApp":
    from csu.app import CsuApp

    return CsuApp(opener=partial(_open_workplace, db, demo))


def _open_workplace(db: str | None, demo: bool) -> "Workplace":
    from csu.startup import open_workplace  # in the app's worker, after the first frame

    if not gc.isenabled():
        # The first frame is up: the collector, off since main(), comes back, and no
        # longer walks what was loaded to draw it (gc.freeze) each time it runs.
        gc.freeze()
        gc.enable()
    return open_workplace(db, demo)


def main() -> None:
    # While the modules load, Python's cyclic collector runs hundreds of times, each a
    # walk of a growing heap, and frees nothing: off until they are loaded (the first
    # frame 207-209 ms instead of 222-224 in a terminal, bench.terminal's way).
    gc.disable()
    request = run_request(sys.argv[1:])
    if request is None:
        from csu.cli import main as cli_main

        gc.enable()
        cli_main()
        return
    app = build_app(*request)
    app.run()
    sys.exit(app.return_code or 0)


if __name__ == "__main__":
    main()
