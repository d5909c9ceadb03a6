"""The review's « N° » filter: one entry or a range of them (« 1200-1250 »), typed in the
journal review (F2) or given to the services and the export; bad input refused with a
French sentence before anything is read or journalled; read through the primary key on
SQLite and PostgreSQL."""

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from textual.widgets import Input

from csu.app import CsuApp
from csu.domain.errors import InvalidValue
from csu.screens.journal import JournalScreen
from csu.services.audit import export_journal
from csu.services.context import Deps
from csu.services.journal_review import (
    MAX_SEQ,
    ReviewFilter,
    conditions,
    count_entries,
    next_page,
    parse_numbers,
    search_journal,
)
from csu.store.tables import JournalEntry
from tests.conftest import SUPERVISOR, TEST_KEY
from tests.screens.conftest import SIZE, press, settle
from tests.screens.test_journal_screen import apply, open_journal, searches, seqs_shown, status
from tests.store.test_journal import append_entries

# --- typing it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [
        ("1200", (1200, 1200)),
        ("1200-1250", (1200, 1250)),
        (" 1 200 – 1 250 ", (1200, 1250)),  # thousands spaced, a dash
        ("n° 42", (42, 42)),  # as F8 and the entry's window name it
        ("7-7", (7, 7)),
        (str(MAX_SEQ), (MAX_SEQ, MAX_SEQ)),
    ],
)
def test_a_number_or_a_range_is_read(typed: str, numbers: tuple[int, int]) -> None:
    assert parse_numbers(typed) == numbers


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("12a", "N° : « 12a » n'est pas un numéro d'entrée : tapez un numéro (1200) ou une "
                "plage (1200-1250)"),
        ("abc", "N° : « abc » n'est pas un numéro d'entrée"),
        ("١٢", "N° : « ١٢ » n'est pas un numéro d'entrée"),  # digits of another script
        ("-5", "N° : « -5 » : un numéro d'entrée est positif, le journal commence au n° 1"),
        ("0", "N° : le journal commence au n° 1"),
        ("1250-1200", "N° : plage à l'envers : 1250 vient après 1200 ; tapez 1200-1250"),
        ("1200-", "N° : plage « 1200- » incomplète"),
        ("1-2-3", "N° : « 1-2-3 » n'est pas un numéro d'entrée"),
        ("12\x00", "N° : caractère interdit en position 3 (caractère nul, U+0000)"),
        ("1\u202e2", "N° : caractère interdit en position 2 (marque de direction"),
        ("\x1b[31m", "N° : caractère interdit en position 1"),
        ("\udcff", "N° : caractère interdit en position 1 (caractère invalide, hors UTF-8"),
        ("2147483648", "N° : « 2147483648 » dépasse le plus grand numéro d'entrée possible "
                       "(2\u202f147\u202f483\u202f647)"),
        ("9" * 5000, "N° : « 99999999999999999999999… » dépasse le plus grand numéro"),
        ("1-" + "0" * 5000 + "7", None),  # leading zeros, however many: 1-7
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_french(typed: str, said: str | None) -> None:
    if said is None:
        assert parse_numbers(typed) == (1, 7)
        return
    with pytest.raises(InvalidValue) as refused:
        parse_numbers(typed)
    assert str(refused.value).startswith(said)


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_in_french(typed: str) -> None:
    try:
        first, last = parse_numbers(typed)
    except InvalidValue as refused:
        assert str(refused).startswith("N° : ")
    else:
        assert 1 <= first <= last <= MAX_SEQ


@pytest.mark.parametrize("numbers", [(0, 3), (5, 2), (1, MAX_SEQ + 1)])
def test_a_filter_given_by_code_is_checked_too(deps: Deps, numbers: tuple[int, int]) -> None:
    with pytest.raises(InvalidValue, match=r"^N° : "):
        search_journal(deps, SUPERVISOR, ReviewFilter(numbers=numbers))


# --- the services, on SQLite and PostgreSQL ----------------------------------------------


@pytest.fixture
def twenty(deps: Deps) -> Deps:
    """Twenty entries: n° 1 to 20."""
    append_entries(deps.engine, 20)
    return deps


def page(deps: Deps, **where: Any) -> list[int]:
    return [row.seq for row in search_journal(deps, SUPERVISOR, ReviewFilter(**where)).rows]


def test_one_number_shows_that_entry(twenty: Deps) -> None:
    assert page(twenty, numbers=(7, 7)) == [7]
    assert count_entries(twenty, SUPERVISOR, ReviewFilter(numbers=(7, 7))) == 1


def test_a_range_shows_its_entries_newest_first_and_counts_them(twenty: Deps) -> None:
    assert page(twenty, numbers=(5, 9)) == [9, 8, 7, 6, 5]
    assert count_entries(twenty, SUPERVISOR, ReviewFilter(numbers=(5, 9))) == 5


def test_a_range_past_the_end_holds_the_entries_up_to_it(twenty: Deps) -> None:
    where = ReviewFilter(numbers=(18, 1_000_000))
    # 18 to 20, and the search's own entry, journalled before it reads: n° 21.
    assert page(twenty, numbers=(18, 1_000_000)) == [21, 20, 19, 18]
    assert count_entries(twenty, SUPERVISOR, where) == 4
    assert page(twenty, numbers=(5_000, 6_000)) == []
    assert count_entries(twenty, SUPERVISOR, ReviewFilter(numbers=(5_000, 6_000))) == 0


def test_the_range_combines_with_the_other_filters(twenty: Deps) -> None:
    where = ReviewFilter(numbers=(3, 30), action="journal_search")
    assert page(twenty, numbers=(3, 30), action="journal_search") == [21]  # its own
    assert count_entries(twenty, SUPERVISOR, where) == 1


def test_the_next_pages_of_a_range_follow(twenty: Deps) -> None:
    where = ReviewFilter(numbers=(2, 11))
    first = search_journal(twenty, SUPERVISOR, where, limit=4)
    assert [row.seq for row in first.rows] == [11, 10, 9, 8] and first.more
    assert first.last_seq is not None
    second = next_page(twenty, SUPERVISOR, where, first.search, first.last_seq, limit=4)
    assert [row.seq for row in second.rows] == [7, 6, 5, 4]


def test_the_search_is_journalled_with_its_range(twenty: Deps) -> None:
    search_journal(twenty, SUPERVISOR, ReviewFilter(numbers=(5, 9)))
    search_journal(twenty, SUPERVISOR, ReviewFilter(operator="agent"))
    with_range, without = (json.loads(body)["details"] for body in bodies(twenty, 21, 22))
    assert (with_range["seq_from"], with_range["seq_to"]) == (5, 9)
    assert "seq_from" not in without  # the other searches are journalled as before


def bodies(deps: Deps, *seqs: int) -> list[bytes]:
    with deps.reading() as session:
        found = select(JournalEntry.body)  # type: ignore[call-overload]
        found = found.where(JournalEntry.seq.in_(seqs)).order_by(JournalEntry.seq)  # type: ignore[attr-defined]
        return list(session.execute(found).scalars())


def test_the_export_takes_the_range(twenty: Deps) -> None:
    out = io.StringIO()
    where = ReviewFilter(numbers=(4, 6))
    assert export_journal(twenty, SUPERVISOR, out, fmt="csv", where=where) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert [row["n°"] for row in rows] == ["4", "5", "6"]
    [export] = [json.loads(body) for body in bodies(twenty, 21)]
    assert (export["action"], export["details"]["seq_from"]) == ("journal_export", 4)


def test_the_range_is_read_through_the_primary_key(twenty: Deps) -> None:
    """No scan of the journal: a range of the primary key, alone or with another filter's
    (column, seq) index."""
    engine = twenty.engine
    for where in (ReviewFilter(numbers=(5, 9)), ReviewFilter(numbers=(5, 9), operator="agent")):
        with twenty.reading() as session:
            found = conditions(session, TEST_KEY, where.normalised())
            query = select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
            query = query.where(*found)
            query = query.order_by(JournalEntry.seq.desc()).limit(101)  # type: ignore[attr-defined]
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            if engine.dialect.name == "sqlite":
                explained = session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
                plan = " ".join(row[-1] for row in explained)
                assert "SCAN" not in plan and "SEARCH journal_entry USING" in plan, plan
                assert "PRIMARY KEY" in plan or "ix_journal_entry_operator_seq" in plan, plan
            else:  # whatever the table's size: an index that serves it, or none
                session.execute(text("SET LOCAL enable_seqscan = off"))
                plan = " ".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
                assert "Seq Scan" not in plan and "seq >= 5" in plan, plan


# --- the review screen ----------------------------------------------------------------


def numbers_field(app: CsuApp) -> Input:
    return app.screen.query_one("#journal-numbers", Input)


class TestReviewScreen:
    async def test_a_number_typed_shows_that_entry(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, numbers="3")
            assert seqs_shown(app) == [3]
            assert "1 entrée — entrée n° 3 —" in status(app)

    async def test_a_range_typed_shows_its_entries_and_is_journalled(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, numbers="4 - 8")
            assert seqs_shown(app) == [8, 7, 6, 5, 4]
            assert "5 entrées — entrées n° 4 à 8 —" in status(app)
            last = searches(demo_deps)[-1]
            assert (last["details"]["seq_from"], last["details"]["seq_to"]) == (4, 8)

    @pytest.mark.parametrize(
        ("typed", "said"),
        [
            ("12a", "N° : « 12a » n'est pas un numéro d'entrée"),
            ("-5", "N° : « -5 » : un numéro d'entrée est positif"),
            ("90-10", "N° : plage à l'envers : 90 vient après 10 ; tapez 10-90"),
            ("1\x1b[2J", "N° : caractère interdit en position 2"),
            ("99999999999", "N° : « 99999999999 » dépasse le plus grand numéro d'entrée"),
        ],
    )
    async def test_bad_input_is_refused_and_nothing_is_searched(
        self, app: CsuApp, demo_deps: Deps, typed: str, said: str
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            before, journalled = seqs_shown(app), len(searches(demo_deps))
            await apply(pilot, numbers=typed)
            assert said in status(app) and "corrigez le filtre" in status(app)
            # The rows below are the last search's, said so: they read as filtered.
            assert "il n'est pas appliqué. Ci-dessous, toujours : " in status(app)
            assert seqs_shown(app) == before
            assert len(searches(demo_deps)) == journalled

    async def test_the_field_says_a_mistake_as_it_is_typed(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await pilot.click("#journal-numbers")
            await press(pilot, "1", "2", "a")
            assert not numbers_field(app).is_valid
            await press(pilot, "backspace", "-", "2", "0")
            assert numbers_field(app).value == "12-20" and numbers_field(app).is_valid

    async def test_ctrl_r_clears_it_and_a_filter_given_by_another_screen_fills_it(
        self, app: CsuApp
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            app.push_screen(JournalScreen(where=ReviewFilter(numbers=(2, 6))))
            await settle(pilot)
            assert numbers_field(app).value == "2-6"
            assert seqs_shown(app) == [6, 5, 4, 3, 2]
            await press(pilot, "ctrl+r")
            assert numbers_field(app).value == ""
            assert "tout le journal" in status(app)

    @pytest.mark.parametrize("size", [(80, 24), SIZE, (160, 40)], ids=["80", "120", "160"])
    async def test_the_field_is_whole_on_screen(self, app: CsuApp, size: tuple[int, int]) -> None:
        async with app.run_test(size=size) as pilot:
            await open_journal(pilot)
            region = numbers_field(app).region
            assert region.x >= 0 and region.right <= size[0]
            assert region.width >= 12 and region.bottom <= size[1]
