"""The terminal with N voters (SQLite): search latency through the Pilot, cold start
to the login screen against a bare Textual app, and resident memory."""

import asyncio
import contextlib
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import pyotp
from argon2 import PasswordHasher
from sqlmodel import select
from textual.widgets import Input

from bench.common import ADMIN, line
from bench.lookup import populated
from csu.domain.clock import system_clock
from csu.services.context import Deps, ServiceError
from csu.store.tables import Voter

SECRET = "CSUBENCHAGENTAAAAAAAAAAAAAAAAAAA"
# A real operator, not a demo one: its password passes the rule of csu.domain.passwords.
PASSWORD = "Pluie-sur-Brest-42"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# Both scripts time the first refresh after their screen is mounted (`call_after_refresh`):
# Pilot.pause() would also wait for the CPU to settle, which the store opening in the
# background keeps busy after the first frame.
BARE_APP = """
import time; started = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header, Input
class Bare(App):
    def compose(self):
        yield Header(); yield Input(); yield Footer()
    def on_mount(self):
        self.call_after_refresh(lambda: drawn.append(time.perf_counter() - started))
drawn = []
async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        while not drawn:
            await asyncio.sleep(0.001)
        print(drawn[0])
import asyncio; asyncio.run(main())
"""

# What `csu run --db URL` does (csu.launch), up to the login screen drawn: the login
# screen asks for the store once it has been refreshed.
CSU_APP = """
import time; started = time.perf_counter()
import sys
from csu.app import CsuApp
from csu.launch import build_app
drawn = []
open_store = CsuApp.open_store_once_drawn
def timed(self):
    drawn.append(time.perf_counter() - started)
    open_store(self)
CsuApp.open_store_once_drawn = timed
async def main():
    app = build_app(sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:
        while not drawn:
            await asyncio.sleep(0.001)
        print(drawn[0])
import asyncio; asyncio.run(main())
"""


def cold_start(url: str) -> None:
    def run(code: str, *args: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip().splitlines()[-1])

    # Interleaved, so that a noisy neighbour slows both alike; medians of 9.
    pairs = [(run(BARE_APP), run(CSU_APP, url)) for _ in range(9)]
    bare = statistics.median(b for b, _ in pairs)
    csu = statistics.median(c for _, c in pairs)
    line("cold start, bare Textual app (Header, Input, Footer)", f"{bare * 1000:.0f} ms")
    line("cold start, csu to the login screen drawn", f"{csu * 1000:.0f} ms")
    line("ratio", f"{csu / bare:.2f} x", "target <= 1.3 x")


async def search_latency(
    deps: Deps, runs: dict[str, list[str]]
) -> dict[str, tuple[list[float], list[float]]]:
    """Per kind of query: key press -> table updated, and the same less the debounce."""
    from csu.app import CsuApp
    from csu.screens import lookup
    from csu.services.operators import add_operator
    from tests.screens.conftest import log_in

    deps = Deps(deps.engine, deps.key, system_clock, FAST)
    with contextlib.suppress(ServiceError):  # there from an earlier run
        add_operator(
            deps, ADMIN, "benchagent", role="agent", password=PASSWORD, totp_secret=SECRET
        )
    app = CsuApp(deps, "bench")
    shown: list[float] = []
    original = lookup.LookupScreen._show

    def timed_show(self: lookup.LookupScreen, query: str, hits: list[Any]) -> None:
        original(self, query, hits)
        shown.append(time.perf_counter())

    lookup.LookupScreen._show = timed_show  # type: ignore[method-assign]
    results: dict[str, tuple[list[float], list[float]]] = {}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await log_in(pilot, "benchagent", PASSWORD, otp=pyotp.TOTP(SECRET).now())
            for label, queries in runs.items():
                total: list[float] = []
                for query in queries:
                    app.screen.query_one("#search", Input).value = query[:-1]
                    await pilot.pause(0.3)
                    await app.workers.wait_for_complete()
                    shown.clear()
                    pressed = time.perf_counter()
                    await pilot.press(query[-1])
                    while not shown:
                        await asyncio.sleep(0.001)
                    total.append(shown[-1] - pressed)
                work = [t - lookup.DEBOUNCE_SECONDS for t in total]
                results[label] = (total, work)
    finally:
        lookup.LookupScreen._show = original  # type: ignore[method-assign]
    return results


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Terminal, {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    with deps.reading() as session:
        rows = session.exec(select(Voter.matricule, Voter.last_name).limit(400)).all()
    runs = {
        "matricule": [m for m, _ in rows[::20]],
        "3-letter name prefix": [name[:3] for _, name in rows[1::20]],
    }
    for label, (total, work) in asyncio.run(search_latency(deps, runs)).items():
        line(
            f"key press -> results table, {label} (median)",
            f"{statistics.median(total) * 1000:.0f} ms",
            f"incl. {lookup_debounce_ms()} ms debounce",
        )
        line(
            f"  search fired -> table updated, {label}",
            f"{statistics.median(work) * 1000:.0f} ms",
            "target < 50 ms",
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line("resident memory of the process (peak)", f"{rss:.0f} MB", "target < 150 MB")
    cold_start(deps.engine.url.render_as_string(hide_password=False))


def lookup_debounce_ms() -> int:
    from csu.screens.lookup import DEBOUNCE_SECONDS

    return int(DEBOUNCE_SECONDS * 1000)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
