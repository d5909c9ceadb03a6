"""Loading election files again over what is stored: all the files or none, and never a
change that cuts voters off or loses what they hold without the operator saying so
(closing an open vote now, capacities or scrutins in use, the form of credentials held).
SQLite and PostgreSQL."""

import json
import re

import pytest

from csu.domain.election import parse_election
from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.credentials import issue_credential
from csu.services.elections import (
    get_definition,
    parsed_definition,
    store_definition,
    store_definitions,
)
from csu.store.tables import Election
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    mark_voted,
    verified_call,
)

MININT = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
MEN = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")


def changed(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def load(desk: Desk, *files: tuple[str, str], close_now: bool = False) -> None:
    """Stores the files' definitions (text, file name), as ``csu election load``."""
    definitions = [(parse_election(text, name), name) for text, name in files]
    store_definitions(desk.deps, ADMIN, definitions, close_now=close_now)


def stored(desk: Desk, election: str = "minint-2022") -> str:
    with desk.deps.reading() as session:
        row = session.get(Election, election)
        assert row is not None
        return row.definition


# Desk's clock: 2 December 2022 at 11:30 in Paris, minint-2022 open until 8 December.
CLOSING = "closes_at = 2022-12-08T17:00:00"
CLOSED_YESTERDAY = changed(MININT, CLOSING, "closes_at = 2022-12-01T17:00:00")


def test_a_file_that_closes_an_open_vote_now_is_refused_saying_how_to_confirm(
    desk: Desk,
) -> None:
    before = stored(desk)
    with pytest.raises(ServiceError) as refusal:
        load(desk, (CLOSED_YESTERDAY, "minint-2022.toml"))
    said = str(refusal.value)
    assert said.startswith("minint-2022.toml : Ce fichier clôt le vote dès maintenant")
    assert "fermerait le 01/12/2022 17:00 au lieu du 08/12/2022 17:00" in said
    assert "--close-now" in said and "rien n'a été modifié" in said
    assert stored(desk) == before


def test_closing_an_open_vote_now_goes_through_once_confirmed(desk: Desk) -> None:
    load(desk, (CLOSED_YESTERDAY, "minint-2022.toml"), close_now=True)

    with desk.deps.reading() as session:
        assert get_definition(session, "minint-2022").closes_at.day == 1


def test_moving_the_closing_later_needs_no_confirmation(desk: Desk) -> None:
    load(desk, (changed(MININT, "closes_at = 2022-12-08T17:00:00",
                        "closes_at = 2022-12-09T17:00:00"), "minint-2022.toml"))  # fmt: skip

    with desk.deps.reading() as session:
        assert get_definition(session, "minint-2022").closes_at.day == 9


def test_a_file_that_makes_the_data_due_for_purge_now_is_refused(desk: Desk) -> None:
    desk.clock.now = desk.clock.now.replace(year=2023, month=1, day=20)  # closed, not purgeable
    shorter = re.sub(r"retention_days = \d+", "retention_days = 1", MININT)
    with pytest.raises(ServiceError, match="rend ses données à purger dès maintenant"):
        load(desk, (shorter, "minint-2022.toml"))


def test_two_files_of_one_election_are_refused_naming_both(desk: Desk) -> None:
    before = stored(desk)
    with pytest.raises(ServiceError) as refusal:
        load(desk, (MININT, "a.toml"), (MININT, "b.toml"))
    assert str(refusal.value) == (
        "a.toml et b.toml définissent tous deux l'élection minint-2022 : chargez-en un "
        "seul. Rien n'a été modifié."
    )
    assert stored(desk) == before


def test_a_refused_file_leaves_the_files_before_it_unstored_too(desk: Desk) -> None:
    before = stored(desk)
    retitled = changed(MININT, 'title = "', 'title = "NOUVEAU ')
    men_closed = changed(MEN, CLOSING, "closes_at = 2022-12-01T17:00:00")
    with pytest.raises(ServiceError, match=r"^men-2022\.toml : "):
        load(desk, (retitled, "minint-2022.toml"), (men_closed, "men-2022.toml"))
    assert stored(desk) == before


def test_dropping_a_capacity_that_materials_have_is_refused(desk: Desk) -> None:
    renamed = re.sub(r"capacities = \[[^\]]*\]", 'capacities = ["agent"]', MININT)
    in_use = r"des qualités déjà utilisées : « [^»]+ » \(\d+ matériel"
    with pytest.raises(ServiceError, match=in_use):
        load(desk, (renamed, "minint-2022.toml"))


def test_a_scrutin_that_would_no_longer_take_a_voted_material_is_refused(desk: Desk) -> None:
    mark_voted(desk, desk.teacher)  # men-2022's one scrutin: the election itself
    elsewhere = MEN + '\n[[scrutins]]\nid = "men-2022"\ntitle = "CSA"\nbureaus = ["AILLEURS"]\n'
    with pytest.raises(ServiceError, match="sortiraient de leur scrutin : « men-2022 »"):
        load(desk, (elsewhere, "men-2022.toml"))


def test_an_alphabet_changed_under_keys_voters_hold_is_refused(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    alphabet = re.search(r'\[credentials\.security_key\]\n(?:#.*\n)*alphabet = "([^"]+)"', MININT)
    assert alphabet is not None
    fewer = MININT.replace(alphabet.group(0), alphabet.group(0).replace(
        alphabet.group(1), alphabet.group(1)[:-1]))  # fmt: skip
    with pytest.raises(ServiceError, match=r"clé de sécurité \(1 active\)"):
        load(desk, (fewer, "minint-2022.toml"))


def test_a_password_voters_hold_is_counted_in_the_masculine(desk: Desk) -> None:
    # « mot de passe (1 actif) », never « (1 active(s)) »: the word agrees with the kind.
    call_id = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    alphabet = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
    fewer = MININT.replace(f'alphabet = "{alphabet}"', f'alphabet = "{alphabet[:-1]}"')
    assert fewer != MININT
    with pytest.raises(ServiceError, match=r"mot de passe \(1 actif\)"):
        load(desk, (fewer, "minint-2022.toml"))


def test_an_alphabet_no_voter_holds_a_credential_of_may_change(desk: Desk) -> None:
    alphabet = re.search(r'\[credentials\.security_key\]\n(?:#.*\n)*alphabet = "([^"]+)"', MININT)
    assert alphabet is not None
    fewer = MININT.replace(alphabet.group(0), alphabet.group(0).replace(
        alphabet.group(1), alphabet.group(1)[:-1]))  # fmt: skip
    store_definition(desk.deps, ADMIN, parse_election(fewer, "x.toml"), "x.toml")


def test_a_stored_definition_an_older_csu_let_through_is_replaced_by_a_sound_file(
    desk: Desk,
) -> None:
    """Stored before a rule was added (here, a code of one character), the election no
    longer reads: a file that keeps the rules replaces it."""
    with desk.deps.writing() as session:
        row = session.get(Election, "minint-2022")
        assert row is not None
        weak = json.loads(row.definition)
        weak["credentials"]["password"]["length"] = 1
        row.definition = json.dumps(weak, ensure_ascii=False)
        session.add(row)
    with pytest.raises(InvalidValue, match="password"):
        parsed_definition(json.dumps(weak, ensure_ascii=False))

    load(desk, (MININT, "minint-2022.toml"))

    with desk.deps.reading() as session:
        assert get_definition(session, "minint-2022").credentials["password"].length > 1
