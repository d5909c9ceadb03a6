"""Dashboard and alerts on a large journal: N entries spread over the four weeks before
NOW (a cell of 40 agents, ten entries per intervention: at 1,000,000 entries, 36,000
a day, a busy vote), then the time of the dashboard (the first, which counts the whole
election once, then a refresh) and of the alerts, on SQLite."""

import random
import sys
import time
from datetime import timedelta

from bench.common import CACHE, KEY, fresh_sqlite, line, load, median_ms, timed
from csu.domain.clock import fixed_clock
from csu.services.alerts import current_alerts
from csu.services.context import Deps, OperatorContext
from csu.services.dashboard import dashboard
from csu.store import journal
from csu.store.engine import make_engine
from csu.store.journal import Actor
from tests.conftest import NOW

SUPERVISOR = OperatorContext(login="sup", role="superviseur", workstation="bench")
AGENTS = [
    Actor(operator=f"agent{n:02d}", role="agent", workstation=f"poste-{n}") for n in range(40)
]
# One intervention's entries, in order, with their outcomes.
STEPS = (
    ("intervention_open", "ok"), ("consultation", "ok"), ("verification", "vérifié"),
    ("credential_issue", "ok"), ("credential_read_out", "ok"), ("message_queue", "ok"),
    ("message_sent", "ok"), ("consultation", "ok"), ("consultation", "ok"),
    ("intervention_close", "résolu"),
)  # fmt: skip
SPAN = timedelta(days=28)


def fill(entries: int, name: str = "dashboard", deps: Deps | None = None) -> Deps:
    """``entries`` entries in a fresh SQLite store, or in the migrated ``deps`` given."""
    deps = deps or fresh_sqlite(name)
    load(deps, "minint-2022")
    rng = random.Random(7)
    started = time.perf_counter()
    step = SPAN / entries
    at = NOW - SPAN
    batch = 20_000
    written = 0
    while written < entries:
        with deps.writing() as session:
            for _ in range(min(batch, entries - written)):
                number = written // len(STEPS)
                action, outcome = STEPS[written % len(STEPS)]
                journal.append(
                    session,
                    actor=AGENTS[rng.randrange(len(AGENTS))],
                    action=action,
                    outcome=outcome,
                    at=at,
                    election="minint-2022",
                    subject=f"{number % 50_000:064x}",
                    intervention=f"{number:036d}",
                    details={"n": written},
                )
                at += step
                written += 1
    line(f"(filled {entries:,} entries)", f"{time.perf_counter() - started:.1f} s")
    return deps


def filled(entries: int) -> Deps:
    """The store of an earlier run when it holds as many entries (filling takes minutes)."""
    name = f"dashboard-{entries}"
    path = CACHE / f"{name}.sqlite"
    if path.exists():
        deps = Deps(engine=make_engine(f"sqlite:///{path}"), key=KEY, clock=fixed_clock(NOW))
        with deps.reading() as session:
            if journal.head(session)[0] == entries + 1:  # and the election's loading
                return deps
        deps.engine.dispose()
    return fill(entries, name)


def postgres(entries: int, url: str) -> Deps:
    """A fresh PostgreSQL database ``bench_dashboard`` on the server of ``url``, filled."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from csu.store.migrate import upgrade

    server = make_url(url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql('DROP DATABASE IF EXISTS "bench_dashboard" WITH (FORCE)')
        connection.exec_driver_sql('CREATE DATABASE "bench_dashboard"')
    admin.dispose()
    engine = make_engine(server.set(database="bench_dashboard"))
    upgrade(engine)
    return fill(entries, deps=Deps(engine=engine, key=KEY, clock=fixed_clock(NOW)))


def main(entries: int = 1_000_000, url: str | None = None) -> None:
    """On SQLite, or on the PostgreSQL server of ``url`` when given."""
    print(f"Dashboard and alerts, {'PostgreSQL' if url else 'SQLite'}")
    deps = postgres(entries, url) if url else filled(entries)
    first = timed(lambda: dashboard(deps, SUPERVISOR), 1)
    line(f"dashboard, first ({entries:,} entries)", f"{median_ms(first):.0f} ms", "once")
    samples = timed(lambda: dashboard(deps, SUPERVISOR), 5)
    line("dashboard, refresh", f"{median_ms(samples):.0f} ms", "target < 500 ms")
    samples = timed(lambda: current_alerts(deps, SUPERVISOR), 5)
    line(f"alerts, {entries:,} entries", f"{median_ms(samples):.0f} ms", "target < 500 ms")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
