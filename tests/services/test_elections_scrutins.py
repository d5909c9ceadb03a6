"""Loading an election file again: a scrutin that émargements or materials refer to
cannot be dropped (the file is refused, naming it, and nothing changes); any other
change of the scrutins goes through. SQLite and PostgreSQL."""

import re

import pytest
from sqlalchemy import func, select

from csu.domain.scrutins import ballots
from csu.services.context import ServiceError
from csu.services.elections import get_definition, load_election
from csu.store.tables import Election, JournalEntry
from tests.conftest import ADMIN
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    mark_voted,
)

# An extra ballot of minint-2022 that no roll row names (every material takes it).
EXTRA = '[[scrutins]]\nid = "cse"\ntitle = "Comité spécial"\n\n'


def shipped(election: str) -> str:
    return (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")


def without(text: str, *scrutins: str) -> str:
    """The election file with these ``[[scrutins]]`` blocks taken out."""
    for scrutin in scrutins:
        block = re.compile(rf'\[\[scrutins\]\]\nid = "{scrutin}"\n(?:[^\[\n].*\n|\n)*')
        text, found = block.subn("", text)
        assert found == 1, scrutin
    return text


def with_extra(text: str) -> str:
    return text.replace("[[scrutins]]", EXTRA + "[[scrutins]]", 1)


def scrutins_of(desk: Desk, election: str) -> list[str]:
    with desk.deps.reading() as session:
        return [scrutin.id for scrutin in ballots(get_definition(session, election))]


def stored_state(desk: Desk, election: str) -> tuple[str, int]:
    """The stored definition and the journal's length."""
    with desk.deps.reading() as session:
        row = session.get(Election, election)
        assert row is not None
        size = session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        return row.definition, int(size)


def load(desk: Desk, text: str, election: str = "minint-2022") -> None:
    load_election(desk.deps, ADMIN, text, f"{election}.toml")


def test_dropping_a_scrutin_that_materials_name_is_refused_and_changes_nothing(
    desk: Desk,
) -> None:
    before = stored_state(desk, "minint-2022")
    with pytest.raises(ServiceError) as refusal:
        load(desk, without(shipped("minint-2022"), "ccp"))
    message = str(refusal.value)
    assert "Le fichier retire de l'élection minint-2022 des scrutins déjà utilisés" in message
    assert re.search(r"« ccp » \(\d+ matériels qui le nomment\)", message)
    assert "Chargement refusé, rien n'a été modifié" in message
    assert stored_state(desk, "minint-2022") == before
    assert scrutins_of(desk, "minint-2022") == ["csa", "cap", "ccp"]


def test_dropping_a_voted_scrutin_is_refused_naming_its_emargements(desk: Desk) -> None:
    # men-2022 has one implicit scrutin, « men-2022 »: a file listing scrutins drops it.
    mark_voted(desk, desk.teacher)
    before = stored_state(desk, "men-2022")
    listed = shipped("men-2022") + '\n[[scrutins]]\nid = "csa-men"\ntitle = "CSA"\n'
    with pytest.raises(ServiceError, match=r"« men-2022 » \(1 émargement\)"):
        load(desk, listed, "men-2022")
    assert stored_state(desk, "men-2022") == before


def test_every_scrutin_still_used_is_named(desk: Desk) -> None:
    mark_voted(desk, desk.caller)
    with pytest.raises(ServiceError) as refusal:
        load(desk, without(shipped("minint-2022"), "csa", "ccp"))
    message = str(refusal.value)
    assert re.search(r"« csa » \(1 émargement, 21 matériels qui le nomment\)", message)
    assert re.search(r"« ccp » \(\d+ matériels qui le nomment\)", message)


def test_a_scrutin_nothing_refers_to_may_be_dropped(desk: Desk) -> None:
    load(desk, with_extra(shipped("minint-2022")))
    assert scrutins_of(desk, "minint-2022") == ["cse", "csa", "cap", "ccp"]
    load(desk, shipped("minint-2022"))
    assert scrutins_of(desk, "minint-2022") == ["csa", "cap", "ccp"]


def test_renaming_a_scrutin_used_by_votes_is_accepted(desk: Desk) -> None:
    mark_voted(desk, desk.caller)
    renamed = shipped("minint-2022").replace(
        "Comité social d'administration ministériel", "CSA ministériel"
    )
    load(desk, renamed)
    with desk.deps.reading() as session:
        [csa, *_] = get_definition(session, "minint-2022").scrutins
    assert (csa.id, csa.title) == ("csa", "CSA ministériel")
