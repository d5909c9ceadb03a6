"""``make bench``: every benchmark, with the sizes of the targets (1,000,000 voters and
journal entries). ``python -m bench 100000`` runs them smaller. The PostgreSQL figures use
``CSU_BENCH_POSTGRES_URL``, by default the tests' server."""

import os
import sys

from bench import checkpoint, credentials, journal, lookup, roll_import, search, terminal
from bench import dashboard as desk_dashboard
from bench import emargement as emargement_feed
from bench import load as cell_load
from bench import platform_login as login_checks
from bench import review as journal_review
from bench import typing as typing_bench
from tests.conftest import POSTGRES_URL


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    os.environ.setdefault("CSU_BENCH_POSTGRES_URL", POSTGRES_URL)
    deps = roll_import.main(size)  # and on PostgreSQL with CSU_BENCH_POSTGRES_URL
    lookup.main(size, deps)
    search.main(size, deps)
    typing_bench.main(size, deps)
    terminal.main(size, deps)
    journal.main(size)
    checkpoint.main(size)
    journal_review.main(size, os.environ.get("CSU_BENCH_POSTGRES_URL"))
    desk_dashboard.main(size)
    credentials.main(size, deps)
    # PostgreSQL (CSU_BENCH_POSTGRES_URL): the feed alone, then while 8 agents work.
    emargement_feed.run(min(size, 50_000))
    login_checks.main()  # the API on loopback: keyed-hash then argon2id checks, 50/s
    cell_load.main()  # 32 workstations x 2 min on a private PostgreSQL server, flat out
    cell_load.main(duration=90, pause=(10.0, 20.0))  # the same at an agent's pace


if __name__ == "__main__":
    main()
