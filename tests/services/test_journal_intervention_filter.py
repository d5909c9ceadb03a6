"""The journal's « Intervention » filter takes the whole number (a uuid, 36 characters)
or 8 of its characters or more, its first or its last: a newcomer typed the first group
of the number and silently got « aucune entrée ». A part several numbers share is
refused, saying how many, before the search is journalled."""

import io

import pytest

from csu.domain.errors import InvalidValue
from csu.services.audit import export_journal
from csu.services.journal_review import ReviewFilter, search_journal
from tests.conftest import SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    entries,
    open_call,
)


def interventions_found(desk: Desk, typed: str) -> set[str | None]:
    page = search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=typed))
    return {row.intervention for row in page.rows}


def test_the_first_characters_of_a_number_find_its_entries(desk: Desk) -> None:
    call = open_call(desk, desk.caller).id
    assert interventions_found(desk, call[:8]) == {call}
    assert interventions_found(desk, call[:13].upper()) == {call}  # as copied, in capitals


def test_the_search_is_journalled_with_the_whole_number(desk: Desk) -> None:
    call = open_call(desk, desk.caller).id
    search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=call[:8]))
    [searched] = entries(desk.deps, "journal_search")
    assert searched["details"]["intervention"] == call


def test_a_beginning_two_numbers_share_is_refused_and_their_ends_tell_them_apart(
    desk: Desk,
) -> None:
    # Numbers begin with the moment they were opened: two calls of the same minute.
    first = open_call(desk, desk.caller).id
    second = open_call(desk, desk.teacher, AGENT_2).id
    assert first[:8] == second[:8]
    with pytest.raises(InvalidValue, match=r"^Intervention : 2 interventions ont un n° "):
        search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=first[:8]))
    assert entries(desk.deps, "journal_search") == []  # refused before it was journalled
    assert interventions_found(desk, first[-12:]) == {first}
    assert interventions_found(desk, second[-8:]) == {second}


def test_a_wildcard_typed_stands_for_itself(desk: Desk) -> None:
    first = open_call(desk, desk.caller).id
    open_call(desk, desk.teacher, AGENT_2)
    assert interventions_found(desk, first[:7] + "_") == set()  # not « any character »
    assert interventions_found(desk, "%" + first[-7:]) == set()


def test_an_export_refuses_it_before_writing_a_line(desk: Desk) -> None:
    first = open_call(desk, desk.caller).id
    open_call(desk, desk.teacher, AGENT_2)
    out = io.StringIO()
    with pytest.raises(InvalidValue):
        export_journal(desk.deps, SUPERVISOR, out, fmt="csv",
                       where=ReviewFilter(intervention=first[:8]))  # fmt: skip
    assert out.getvalue() == ""


def test_fewer_than_8_characters_are_refused_saying_what_to_type(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Intervention : son n° complet, ou ses 8 "):
        search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention="01a24e5"))


@pytest.mark.parametrize(
    ("typed", "told"),
    [("0000000\u200b", "caractère interdit"), ("İ" * 36, "36 caractères au plus")],
)
def test_an_invisible_or_lengthening_character_is_refused_before_anything_is_journalled(
    desk: Desk, typed: str, told: str
) -> None:
    """A zero-width space counted among the 8; « İ » lowered past the column's width."""
    with pytest.raises(InvalidValue, match=f"^Intervention : {told}"):
        search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=typed))
    assert entries(desk.deps, "journal_search") == []
