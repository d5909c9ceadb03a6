"""An election's definition is read from its row once per session: a service that asks
for it three or four times (a key issue) sends one select. SQLite and PostgreSQL."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

from sqlalchemy import Dialect, event

from csu.services.elections import get_definition
from csu.store.prepared import Prepared
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_elections_scrutins import load, shipped

ELECTION = "minint-2022"


@contextmanager
def election_reads(desk: Desk) -> Iterator[list[str]]:
    """The statements that read the election table while the block runs: through
    SQLAlchemy, or on the driver's cursor (csu.store.prepared)."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM election" in statement:
            seen.append(statement)

    send = Prepared.send

    def sent(prepared: Prepared, cursor: Any, dialect: Dialect, values: Any) -> None:
        note(None, cursor, prepared._for(dialect).sql)
        send(prepared, cursor, dialect, values)

    event.listen(desk.deps.engine, "before_cursor_execute", note)
    try:
        with patch.object(Prepared, "send", sent):
            yield seen
    finally:
        event.remove(desk.deps.engine, "before_cursor_execute", note)


def test_a_session_reads_a_definition_once(desk: Desk) -> None:
    with election_reads(desk) as seen, desk.deps.reading() as session:
        first = get_definition(session, ELECTION)
        again = get_definition(session, ELECTION)
    assert again is first
    assert len(seen) == 1


def test_reading_for_share_always_reads_the_row(desk: Desk) -> None:
    with election_reads(desk) as seen, desk.deps.writing() as session:
        get_definition(session, ELECTION)
        get_definition(session, ELECTION, for_share=True)
    assert len(seen) == 2


def test_a_new_session_sees_a_reloaded_definition(desk: Desk) -> None:
    with desk.deps.reading() as session:
        before = get_definition(session, ELECTION)
    load(desk, shipped(ELECTION).replace(before.title, "Élections renommées", 1))
    with desk.deps.reading() as session:
        assert get_definition(session, ELECTION).title == "Élections renommées"
