"""The cell through crashes, in short (bench/crash.py): workstations killed with SIGKILL
during the load and restarted, the PostgreSQL server stopped once with
``pg_ctl stop -m immediate`` and restarted. Runs on a private server of its own, never
on the shared one; skipped when the PostgreSQL server programs are not installed."""

import pytest

from bench import crash
from bench.workload import postgres_bin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_bin() is None,
                       reason="PostgreSQL server programs (initdb, pg_ctl) not installed; "
                       "set CSU_PG_BIN to their folder"),
]


def test_nothing_acknowledged_is_lost_through_kills_and_a_server_crash() -> None:
    crashes = crash.run(workstations=4, duration=12, kills=4, voters=3_000, seed=7, quiet=True)

    checked = crashes.checked
    assert crashes.ledgers.incarnations > 4  # killed workstations came back
    assert checked.acknowledged > 100
    assert checked.missing == []
    assert checked.repeated == []
    assert checked.mismatched == []
    assert checked.untried == []
    assert checked.journal_ok and checked.gap_free
    assert checked.doubles == [] and checked.stale == 0
