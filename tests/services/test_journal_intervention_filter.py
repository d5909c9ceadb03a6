"""The journal's « Intervention » filter takes the whole number (a uuid, 36 characters)
or its first characters, 8 at least: a newcomer typed the first group of the number and
silently got « aucune entrée »."""

import pytest

from csu.domain.errors import InvalidValue
from csu.services import journal_review
from csu.services.journal_review import ReviewFilter, search_journal
from tests.conftest import SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    open_call,
)


def interventions_found(desk: Desk, typed: str) -> set[str | None]:
    page = search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=typed))
    return {row.intervention for row in page.rows}


def test_the_first_characters_of_a_number_find_its_entries(desk: Desk) -> None:
    call = open_call(desk, desk.caller).id
    assert interventions_found(desk, call[:8]) == {call}
    assert interventions_found(desk, call[:13].upper()) == {call}  # as copied, in capitals


def test_a_beginning_several_numbers_share_finds_them_all_the_whole_number_one(
    desk: Desk,
) -> None:
    # Numbers begin with the moment they were made: two calls of the same minute.
    first = open_call(desk, desk.caller).id
    second = open_call(desk, desk.teacher, AGENT_2).id
    assert first[:8] == second[:8]
    assert interventions_found(desk, first[:8]) == {first, second}
    assert interventions_found(desk, first) == {first}


def test_fewer_than_8_characters_are_refused_saying_what_to_type(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Intervention : son n° complet, ou ses 8 "):
        search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention="01a24e5"))


def test_a_beginning_too_many_numbers_share_asks_for_more(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_review, "PREFIX_MATCHES", 1)
    first = open_call(desk, desk.caller).id
    open_call(desk, desk.teacher, AGENT_2)
    with pytest.raises(InvalidValue, match="plus de 1 interventions commencent par"):
        search_journal(desk.deps, SUPERVISOR, ReviewFilter(intervention=first[:8]))
    assert interventions_found(desk, first) == {first}
