"""The supervisor's review of the journal: pages newest first, filters, counts, the
detail of an entry, an intervention's timeline; every search journalled."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.hashing import pseudonym
from csu.services.context import Deps, Forbidden, NotFound, OperatorContext, ServiceError
from csu.services.journal_review import (
    ReviewFilter,
    count_entries,
    entry_detail,
    filter_choices,
    intervention_timeline,
    next_page,
    parse_moment,
    search_journal,
)
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import JournalEntry, Voter
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR
from tests.services.intervention_support import entries

PRESIDENT = OperatorContext(login="pres", role="president", workstation="poste-9", bureau="B75")
ALICE = Actor(operator="alice", role="agent", workstation="poste-1")
BRUNO = Actor(operator="bruno", role="agent", workstation="poste-2")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 11, day, hour, minute, tzinfo=UTC)


def add_voter(deps: Deps, matricule: str, last: str = "Dupont", first: str = "Jeanne") -> str:
    alias = pseudonym(deps.key, matricule)
    with deps.writing() as session:
        session.add(
            Voter(matricule=matricule, pseudonym=alias, last_name=last, first_name=first,
                  search_name=f"{last} {first}".lower(), search_name_rev=f"{first} {last}".lower(),
                  updated_at=NOW)
        )  # fmt: skip
    return alias


def record(
    deps: Deps,
    moment: datetime,
    *,
    actor: Actor = ALICE,
    matricule: str | None = None,
    action: str = "consultation",
    outcome: str = "ok",
    election: str | None = "minint-2022",
    intervention: str | None = None,
    **details: Any,
) -> int:
    with deps.writing() as session:
        return journal.append(
            session,
            actor=actor,
            action=action,
            outcome=outcome,
            at=moment,
            election=election,
            subject=pseudonym(deps.key, matricule) if matricule else None,
            intervention=intervention,
            details=details,
        ).seq


def found(deps: Deps, who: OperatorContext = SUPERVISOR, **where: Any) -> list[int]:
    """The seqs of a search's first page."""
    return [row.seq for row in search_journal(deps, who, ReviewFilter(**where)).rows]


def last_entry(deps: Deps) -> dict[str, Any]:
    with deps.reading() as session:
        seq = journal.head(session)[0]
        entry = session.get(JournalEntry, seq)
        assert entry is not None
        return journal.entry_fields(entry)


@pytest.fixture
def busy(deps: Deps) -> Deps:
    """Two agents, two voters, three days; an intervention on the 28th; one refusal."""
    add_voter(deps, "AB1234")
    add_voter(deps, "CD5678", "Martin", "Paul")
    for day in (27, 28, 29):
        record(deps, at(day, 9), actor=ALICE, matricule="AB1234")  # 1, 5, 9
        record(deps, at(day, 10), actor=ALICE, matricule="CD5678")  # 2, 6, 10
        record(deps, at(day, 11), actor=BRUNO, matricule="AB1234", election="men-2022")  # 3, 7, 11
        record(deps, at(day, 12), actor=BRUNO, action="recherche", election=None)  # 4, 8, 12
    record(deps, at(28, 14), actor=BRUNO, matricule="CD5678", action="verification",
           outcome="non vérifié", intervention="intervention-1",
           factors_tried=["birth_date", "iban"], factors_failed=["iban"])  # 13  # fmt: skip
    return deps


# --- pages --------------------------------------------------------------------------


def test_a_search_lists_entries_newest_first_after_its_own_entry(busy: Deps) -> None:
    page = search_journal(busy, SUPERVISOR, ReviewFilter())
    assert page.search == 14  # the search is journalled before it reads
    assert [row.seq for row in page.rows] == list(range(14, 0, -1))
    assert not page.more


def test_a_row_shows_the_voter_s_matricule_and_the_action_s_code(busy: Deps) -> None:
    row = search_journal(busy, SUPERVISOR, ReviewFilter(seqs=(13,))).rows[0]
    assert (row.operator, row.workstation, row.matricule) == ("bruno", "poste-2", "CD5678")
    assert (row.action, row.outcome) == ("verification", "non vérifié")
    assert row.at == datetime(2022, 11, 28, 15, 0, tzinfo=row.at.tzinfo)  # Paris time


def test_the_next_page_continues_below_the_last_entry_shown(busy: Deps) -> None:
    where = ReviewFilter(operator="alice")
    first = search_journal(busy, SUPERVISOR, where, limit=4)
    assert [row.seq for row in first.rows] == [10, 9, 6, 5] and first.more
    second = next_page(busy, SUPERVISOR, where, first.search, first.rows[-1].seq, limit=4)
    assert [row.seq for row in second.rows] == [2, 1] and not second.more


def test_scrolling_to_the_next_page_is_not_a_new_search(busy: Deps) -> None:
    where = ReviewFilter(operator="alice")
    first = search_journal(busy, SUPERVISOR, where, limit=2)
    next_page(busy, SUPERVISOR, where, first.search, first.rows[-1].seq, limit=2)
    assert last_entry(busy)["seq"] == first.search


def test_a_next_page_must_belong_to_a_search_of_that_operator_and_filter(busy: Deps) -> None:
    first = search_journal(busy, SUPERVISOR, ReviewFilter(operator="alice"), limit=2)
    for who, where, search in (
        (ADMIN, ReviewFilter(operator="alice"), first.search),  # another operator's search
        (SUPERVISOR, ReviewFilter(operator="bruno"), first.search),  # another filter
        (SUPERVISOR, ReviewFilter(operator="alice"), 13),  # not a search
    ):
        with pytest.raises(ServiceError, match="relancez la recherche"):
            next_page(busy, who, where, search, 9)


# --- filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"since": at(28, 10), "until": at(29, 9)}, [8, 7, 6, 13]),
        ({"operator": "bruno"}, [13, 12, 11, 8, 7, 4, 3]),
        ({"operator": " Bruno "}, [13, 12, 11, 8, 7, 4, 3]),
        # The search for a voter is about that voter: it finds itself (14).
        ({"matricule": "cd5678"}, [14, 13, 10, 6, 2]),
        # Typed as read out over the phone, in groups: as the look-up reads it.
        ({"matricule": "cd 56 78"}, [14, 13, 10, 6, 2]),
        ({"action": "recherche"}, [12, 8, 4]),
        ({"outcome": "non vérifié"}, [13]),
        ({"election": "men-2022"}, [11, 7, 3]),
        ({"intervention": "intervention-1"}, [13]),
        ({"seqs": (2, 13, 5)}, [13, 5, 2]),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_each_filter_keeps_its_entries(
    busy: Deps, where: dict[str, Any], expected: list[int]
) -> None:
    assert sorted(found(busy, **where), reverse=True) == sorted(expected, reverse=True)
    assert count_entries(busy, SUPERVISOR, ReviewFilter(**where)) == len(expected)


def test_filters_combine(busy: Deps) -> None:
    where: dict[str, Any] = {
        "operator": "alice",
        "matricule": "AB1234",
        "since": at(28, 0),
        "until": at(30, 0),
    }
    assert found(busy, **where) == [9, 5]
    assert count_entries(busy, SUPERVISOR, ReviewFilter(**where)) == 2
    assert found(busy, operator="bruno", election="men-2022", action="recherche") == []


def test_the_whole_journal_is_counted(busy: Deps) -> None:
    assert count_entries(busy, SUPERVISOR, ReviewFilter()) == 13


def test_a_period_finds_entries_dated_out_of_order(deps: Deps) -> None:
    """An entry may be dated before earlier-numbered ones (another workstation's clock,
    a long action): a period still finds exactly the entries dated within it."""
    record(deps, at(28, 9))  # 1
    record(deps, datetime(2026, 11, 22, 9, 0, tzinfo=UTC))  # 2: a clock far ahead
    record(deps, at(28, 8, 59))  # 3: dated before 1
    record(deps, at(20, 9))  # 4: a week back
    where: dict[str, Any] = {"since": at(28, 0), "until": at(29, 0)}
    assert found(deps, **where) == [3, 1]
    assert found(deps, since=at(20, 0), until=at(21, 0), action="consultation") == [4]
    assert count_entries(deps, SUPERVISOR, ReviewFilter(**where)) == 2


def test_a_period_wider_than_the_journal_keeps_every_entry(busy: Deps) -> None:
    where = ReviewFilter(since=at(1, 0), until=datetime(2030, 1, 1, tzinfo=UTC))
    assert count_entries(busy, SUPERVISOR, where) == 13
    assert found(busy, since=at(1, 0), until=datetime(2030, 1, 1, tzinfo=UTC))[1:] == list(
        range(13, 0, -1)
    )


def test_a_bad_matricule_is_refused_with_a_french_message(busy: Deps) -> None:
    with pytest.raises(InvalidValue, match="Matricule : caractère interdit en position 3"):
        search_journal(busy, SUPERVISOR, ReviewFilter(matricule="AB\x1b[31m12"))


def test_a_matricule_of_another_election_s_pattern_is_searched(busy: Deps) -> None:
    # The default pattern (4 to 12 letters and digits) refused « E-1234 », which an
    # election's own pattern may allow: its voters' entries could not be filtered.
    assert found(busy, matricule="E-1234") == [14]  # the search itself, about that voter


# --- journalled searches ------------------------------------------------------------


def test_a_search_is_journalled_with_its_filter_and_the_voter_by_pseudonym(busy: Deps) -> None:
    search_journal(busy, SUPERVISOR, ReviewFilter(operator="alice", matricule="AB1234",
                                                  since=at(28, 0)))  # fmt: skip
    entry = last_entry(busy)
    assert (entry["action"], entry["operator"], entry["subject"]) == (
        "journal_search",
        "sup",
        pseudonym(busy.key, "AB1234"),
    )
    assert entry["details"] == {
        "since": "2022-11-28T00:00:00.000000Z",
        "until": None,
        "operator": "alice",
        "matricule": True,
        "action": None,
        "outcome": None,
        "election": None,
        "intervention": None,
        "seqs": None,
    }
    assert "AB1234" not in json.dumps(entry)


def test_who_looked_at_a_voter_s_journal_is_found_by_that_voter(busy: Deps) -> None:
    search_journal(busy, SUPERVISOR, ReviewFilter(matricule="AB1234"))  # 14
    search_journal(busy, ADMIN, ReviewFilter(action="journal_search"))  # 15
    # 16, the search just made, is about that voter too.
    assert found(busy, action="journal_search", matricule="AB1234") == [16, 14]


# --- roles --------------------------------------------------------------------------


@pytest.mark.parametrize("who", [AGENT, PRESIDENT], ids=lambda who: who.role)
def test_agents_and_presidents_may_not_review_the_journal(busy: Deps, who: OperatorContext) -> None:
    for attempt in (
        lambda: search_journal(busy, who, ReviewFilter()),
        lambda: count_entries(busy, who, ReviewFilter()),
        lambda: entry_detail(busy, who, 13),
        lambda: intervention_timeline(busy, who, "intervention-1"),
        lambda: filter_choices(busy, who),
    ):
        with pytest.raises(Forbidden, match="superviseur"):
            attempt()
    # Nothing read: only the five refusals are journalled, each naming its service.
    refusals = [entry for entry in entries(busy) if entry["seq"] > 13]
    assert [(e["action"], e["outcome"], e["operator"]) for e in refusals] == [
        ("role_refused", "refusé", who.login)
    ] * 5
    assert [e["details"]["service"] for e in refusals] == [
        "search_journal", "count_entries", "entry_detail", "intervention_timeline",
        "filter_choices",
    ]  # fmt: skip


def test_administrators_review_the_journal(busy: Deps) -> None:
    assert found(busy, ADMIN, seqs=(1,)) == [1]


# --- the detail of an entry ---------------------------------------------------------


def test_the_detail_names_the_voter_and_is_journalled(busy: Deps) -> None:
    detail = entry_detail(busy, SUPERVISOR, 13)
    assert (detail.matricule, detail.voter_name) == ("CD5678", "MARTIN Paul")
    assert (detail.operator, detail.role, detail.workstation) == ("bruno", "agent", "poste-2")
    assert detail.action == "verification"
    entry = last_entry(busy)
    assert (entry["action"], entry["subject"], entry["details"]) == (
        "journal_entry_view",
        pseudonym(busy.key, "CD5678"),
        {"seq": 13},
    )


def test_an_entry_without_a_voter_is_read_without_a_journal_entry(busy: Deps) -> None:
    detail = entry_detail(busy, SUPERVISOR, 12)
    assert detail.subject is None and detail.matricule is None
    assert last_entry(busy)["seq"] == 13


def test_the_detail_carries_the_recorded_details_by_their_keys(deps: Deps) -> None:
    record(deps, at(28, 9), action="credential_issue", kind="security_key", material="ID42",
           channel="phone")  # fmt: skip
    assert entry_detail(deps, SUPERVISOR, 1).details == {
        "channel": "phone",
        "kind": "security_key",
        "material": "ID42",
    }


def test_a_gone_voter_is_shown_by_pseudonym_only(deps: Deps) -> None:
    record(deps, at(28, 9), matricule="ZZ9999")  # no such voter on record
    detail = entry_detail(deps, SUPERVISOR, 1)
    assert detail.subject == pseudonym(deps.key, "ZZ9999")
    assert (detail.matricule, detail.voter_name) == (None, None)


def test_an_unknown_entry_is_not_found(busy: Deps) -> None:
    with pytest.raises(NotFound, match="n° 99"):
        entry_detail(busy, SUPERVISOR, 99)


@pytest.mark.postgres  # on SQLite the index columns are derived from the body
def test_the_review_shows_the_hashed_body_not_edited_columns(postgres_deps: Deps) -> None:
    deps = postgres_deps
    record(deps, at(28, 9), note="vraie")
    with deps.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE journal_entry DISABLE TRIGGER USER")
        conn.exec_driver_sql("UPDATE journal_entry SET workstation = 'ailleurs' WHERE seq = 1")
    [row] = search_journal(deps, SUPERVISOR, ReviewFilter(seqs=(1,))).rows
    assert row.workstation == "poste-1"


# --- an intervention ----------------------------------------------------------------


def test_an_intervention_reads_as_its_steps_and_the_reading_is_journalled(deps: Deps) -> None:
    add_voter(deps, "AB1234")
    for minute, action, outcome in ((0, "intervention_open", "ok"),
                                    (2, "verification", "vérifié"),
                                    (5, "intervention_close", "résolu")):  # fmt: skip
        record(deps, at(28, 9, minute), matricule="AB1234", action=action, outcome=outcome,
               intervention="intervention-9")  # fmt: skip
    record(deps, at(28, 9, 3), matricule="AB1234")  # another intervention's
    timeline = intervention_timeline(deps, SUPERVISOR, "intervention-9")
    assert [(s.seq, s.action, s.outcome) for s in timeline.steps] == [
        (1, "intervention_open", "ok"),
        (2, "verification", "vérifié"),
        (3, "intervention_close", "résolu"),
    ]
    assert (timeline.matricule, timeline.voter_name) == ("AB1234", "DUPONT Jeanne")
    entry = last_entry(deps)
    assert (entry["action"], entry["subject"], entry["intervention"], entry["details"]) == (
        "journal_intervention_view",
        pseudonym(deps.key, "AB1234"),
        None,  # the reading is not a step of the intervention
        {"intervention": "intervention-9"},
    )


def test_an_unknown_intervention_is_not_found(busy: Deps) -> None:
    with pytest.raises(NotFound, match="Intervention introuvable"):
        intervention_timeline(busy, SUPERVISOR, "nulle-part")


# --- what the filters offer, and periods typed --------------------------------------


def test_the_filters_offer_the_actions_and_outcomes_found_in_the_journal(busy: Deps) -> None:
    choices = filter_choices(busy, SUPERVISOR)
    assert "verification" in choices.actions
    assert {"ok", "non vérifié"} <= set(choices.outcomes)
    assert {"alice", "bruno"} <= {login for login, _ in choices.operators}


def test_a_day_typed_as_an_end_includes_that_day() -> None:
    assert parse_moment("02/12/2022", "Au", end_of_day=True) - parse_moment(
        "02/12/2022", "Du"
    ) == timedelta(days=1)
    assert parse_moment("02/12/2022 14:30", "Au", end_of_day=True).hour == 14


def test_an_unreadable_date_is_refused_in_french() -> None:
    with pytest.raises(InvalidValue, match="Du : « 31/02 » illisible"):
        parse_moment("31/02", "Du")
