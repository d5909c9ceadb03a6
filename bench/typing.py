"""Results as the agent types, on a roll of N voters (SQLite): the real terminal driven
by the Pilot, timed from the last key press of a query to the results table showing its
answer, for matricules and 3-letter name prefixes.

Each figure is printed beside its anchor from the same run: the debounce the look-up
waits before searching (no result can come sooner), and the service call alone as the
screen makes it. ``python -m bench.typing N [DEBOUNCE_MS ...]`` also times the screen
with other debounce values, to choose one."""

import asyncio
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pyotp
from textual import events
from textual.widgets import DataTable, Input, Static

from bench.common import line, median_ms, timed
from bench.lookup import AGENT, populated, sample_queries
from bench.terminal import AGENT_LOGIN, AGENT_PASSWORD, AGENT_SECRET, bench_agent
from bench.workload import FAST
from csu.domain.clock import system_clock
from csu.services.context import Deps
from csu.services.voters import search_voters
from csu.store.engine import make_engine

QUERIES = 25  # per kind of query and debounce value
TIMEOUT_S = 5.0


def shown(app: Any) -> tuple[Any, ...]:
    """What the look-up shows: the rows of its table and its status line."""
    table = app.screen.query_one("#results", DataTable)
    status = app.screen.query_one("#search-status", Static)
    rows = tuple(str(key.value) for key in table.rows)
    return rows, str(status.render())


async def settle(app: Any, pilot: Any) -> None:
    await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_and_time(app: Any, pilot: Any, query: str) -> float | None:
    """Seconds from the last key press of ``query`` to the table showing something new
    (None: nothing changed in TIMEOUT_S, e.g. the shorter query showed the same)."""
    field = app.screen.query_one("#search", Input)
    field.value = query[:-1]
    await settle(app, pilot)
    await pilot.pause(0.2)  # past any debounce: the shorter query's answer is on screen
    await settle(app, pilot)
    before = shown(app)
    # The key goes in as the terminal's driver hands it over: Pilot.press would also
    # wait for the app to fall idle, which is the Pilot's time, not the agent's.
    pressed = time.perf_counter()
    app.post_message(events.Key(query[-1], query[-1]))
    while shown(app) == before:
        if time.perf_counter() - pressed > TIMEOUT_S:
            return None
        await asyncio.sleep(0.0005)
    return time.perf_counter() - pressed


def changes(deps: Deps, query: str) -> bool:
    """Whether the last key of ``query`` changes the table (the voters found, in order):
    only such a key press can be timed from the screen."""

    def found(text: str) -> list[int]:
        return [hit.voter_id for hit in search_voters(deps, AGENT, text, journal=False)]

    return found(query) != found(query[:-1])


async def screen_latency(
    deps: Deps, runs: dict[str, list[str]], debounces: list[float]
) -> dict[tuple[str, float], list[float]]:
    from csu.app import CsuApp
    from csu.screens import lookup
    from tests.screens.conftest import log_in

    deps = Deps(deps.engine, deps.key, system_clock, FAST)
    bench_agent(deps)
    app = CsuApp(deps, "bench")
    default = lookup.DEBOUNCE_SECONDS
    results: dict[tuple[str, float], list[float]] = {}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await log_in(pilot, AGENT_LOGIN, AGENT_PASSWORD, otp=pyotp.TOTP(AGENT_SECRET).now())
            for debounce in debounces:
                lookup.DEBOUNCE_SECONDS = debounce  # read at each key press
                for label, queries in runs.items():
                    found = [await type_and_time(app, pilot, query) for query in queries]
                    results[(label, debounce)] = [t for t in found if t is not None]
    finally:
        lookup.DEBOUNCE_SECONDS = default
    return results


def terminal(
    url: str, key: bytes, runs: dict[str, list[str]], debounces: list[float]
) -> dict[tuple[str, float], list[float]]:
    """In a fresh process: the latencies. (Its memory holds the bench's imports and the
    Pilot: bench.terminal measures ``csu run``'s own.)"""
    deps = Deps(make_engine(url), key, system_clock, FAST)
    return asyncio.run(screen_latency(deps, runs, debounces))


def main(voters: int = 1_000_000, deps: Deps | None = None, extra_ms: list[int] = []) -> None:  # noqa: B006
    from csu.screens.lookup import DEBOUNCE_SECONDS

    print(f"Results as the agent types (the terminal through the Pilot), {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    runs = {
        label: [query for query in queries if changes(deps, query)][:QUERIES]
        for label, queries in sample_queries(deps).items()
    }
    # A zero-delay timer is not a debounce: 1 ms at least.
    debounces = [DEBOUNCE_SECONDS, *(max(ms, 1) / 1000 for ms in extra_ms)]
    # The terminal runs in a process of its own, as `csu run` does: this one may hold what
    # earlier benchmarks loaded (``make bench``'s import keeps the whole roll in memory).
    url = deps.engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as process:
        latencies = process.submit(terminal, url, deps.key, runs, debounces).result()
    for label, queries in runs.items():
        turn = iter(range(10**9))

        def service(queries: list[str] = queries, turn: Any = turn) -> None:
            search_voters(deps, AGENT, queries[next(turn) % len(queries)], journal=False)

        timed(service, 50)
        work = median_ms(timed(service, 500))
        for debounce in debounces:
            samples = latencies[(label, debounce)]
            if not samples:
                line(f"{label}, debounce {debounce * 1000:.0f} ms", "no change seen")
                continue
            total = statistics.median(samples) * 1000
            line(
                f"{label}: key press -> table (median of {len(samples)})",
                f"{total:.1f} ms",
                "target < 50 ms",
            )
            line("  anchor: debounce of the look-up", f"{debounce * 1000:.0f} ms")
            line(
                "  anchor: the search service alone (journal=False)",
                f"{work:.2f} ms",
                f"screen beyond both: {total - debounce * 1000 - work:.1f} ms",
            )


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    main(size, extra_ms=[int(value) for value in sys.argv[2:]])
