"""What a granted substitution tells the voter: the material e-mail names the voter's own
CCIL (issue M5), the notice names the replaced material by its identifier and capacity,
never a row id (issue M6), and the request's address keeps to ASCII before the @ (L5)."""

import json
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.services.substitution import decide_substitution
from csu.store.tables import OutboundMessage, SubstitutionRequest, Voter
from tests.conftest import SUPERVISOR
from tests.services import test_substitution
from tests.services.test_substitution import Cell, ask, material_email

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test

LITTORAL = "Littoral Hauts-de-France"
LITTORAL_PHONE = "03 21 46 00 00"
GRAND_LILLE_PHONE = "06 45 72 37 22"  # the election's support_phone


def in_littoral(cell: Cell) -> None:
    """The voter's roll row names the Littoral constituency, not Grand Lille's."""
    with cell.deps.writing() as session:
        voter = session.get(Voter, cell.voter.voter_id)
        assert voter is not None
        voter.circonscription = LITTORAL
        session.add(voter)


def granted(cell: Cell) -> None:
    asked = ask(cell)
    cell.clock.advance(minutes=20)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "accordée"


def notice_text(cell: Cell) -> str:
    """The notice of the change, by SMS or e-mail, as the voter reads it."""
    with cell.deps.reading() as session:
        [notice] = session.execute(
            select(OutboundMessage).where(OutboundMessage.purpose == "notice")
        ).scalars().all()
        assert notice.state == "sent"
    path = cell.outbox.sent[-1]
    if path.suffix == ".json":
        return str(json.loads(path.read_text(encoding="utf-8"))["text"])
    return str(BytesParser(policy=policy.default).parsebytes(path.read_bytes()).get_content())


def test_the_material_email_names_the_voters_own_ccil(cell: Cell) -> None:
    in_littoral(cell)
    granted(cell)
    text = str(material_email(cell).get_content())
    assert f"Si vous n'avez rien demandé, appelez le {LITTORAL_PHONE}." in text
    assert GRAND_LILLE_PHONE not in text


def test_the_notice_names_the_replaced_material_by_its_identifier(cell: Cell) -> None:
    granted(cell)
    text = notice_text(cell)
    identifier = cell.voter.identifiers[0]
    assert f"a remplacé le vôtre (identifiant {identifier}, qualité " in text
    assert f"({cell.voter.material_id})" not in text


def test_a_request_address_with_an_accent_before_the_at_is_refused(cell: Cell) -> None:
    with pytest.raises(InvalidValue, match="avant le @"):
        ask(cell, email="laurence.ménard@exemple.fr")
    with cell.deps.reading() as session:
        assert session.execute(select(SubstitutionRequest)).first() is None
