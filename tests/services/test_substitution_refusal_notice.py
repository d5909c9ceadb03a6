"""What a refused substitution tells the voter: a supervisor's refusal came after the
call, and no message reached the voter (nothing in the outbox). Now a notice goes to
their channel of record, as the grant's does, saying the request was refused and that
their material still works, never the supervisor's reason; it is journalled as the
other notices are."""

import json
from email import policy
from email.parser import BytesParser

from sqlalchemy import select

from csu.services.substitution import decide_substitution
from csu.store.tables import OutboundMessage, Voter
from tests.conftest import SUPERVISOR
from tests.services import test_substitution
from tests.services.intervention_support import entries
from tests.services.test_substitution import ADDRESS, Cell, ask, mark_voted

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test

REASON = "Signature manuscrite absente de la demande scannée"


def refused(cell: Cell, reason: str = REASON) -> int:
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, False, reason)
    assert view.state == "refusée"
    return asked.id


def notices(cell: Cell) -> list[OutboundMessage]:
    with cell.deps.reading() as session:
        query = select(OutboundMessage).where(OutboundMessage.purpose == "notice")
        return list(session.execute(query).scalars())


def last_sent_text(cell: Cell) -> str:
    """The last message delivered, subject and body, as the voter reads it."""
    path = cell.outbox.sent[-1]
    if path.suffix == ".json":
        return str(json.loads(path.read_text(encoding="utf-8"))["text"])
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return f"{mail['Subject']}\n{mail.get_content()}"  # type: ignore[attr-defined]


def test_a_supervisors_refusal_sends_the_voter_a_notice(cell: Cell) -> None:
    refused(cell)
    [notice] = notices(cell)
    assert notice.state == "sent" and notice.channel in ("email", "sms")
    assert not notice.typed_recipient
    assert notice.recipient_masked != "v***@exemple.fr"  # not the request's address


def test_the_refusal_notice_says_refused_and_that_the_material_still_works(cell: Cell) -> None:
    refused(cell)
    text = " ".join(last_sent_text(cell).split())
    identifier = cell.voter.identifiers[0]
    assert "demande de matériel de vote de substitution (identifiant " in text
    assert f"identifiant {identifier}, qualité " in text
    assert "a été refusée ; votre matériel de vote actuel reste valable" in text
    assert "Pour en connaitre le motif" in text
    assert f"({cell.voter.material_id})" not in text  # never a row id


def test_the_refusal_notice_never_gives_the_supervisors_reason(cell: Cell) -> None:
    refused(cell)
    text = last_sent_text(cell)
    assert "Signature" not in text and "manuscrite" not in text
    assert ADDRESS not in text and "v***@exemple.fr" not in text


def test_the_refusal_notice_is_journalled_with_the_refusal(cell: Cell) -> None:
    request_id = refused(cell)
    [notice] = notices(cell)
    [refusal] = entries(cell.deps, "substitution_refuse")
    assert refusal["details"]["notice"] == notice.id
    steps = [e["action"] for e in entries(cell.deps, intervention=refusal["intervention"])]
    assert steps[-3:] == ["message_queue", "substitution_refuse", "message_sent"]
    assert refusal["details"]["request"] == request_id


def test_the_view_says_where_the_refusal_notice_went(cell: Cell) -> None:
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, False, REASON)
    [notice] = notices(cell)
    assert view.notice_to == notice.recipient_masked
    assert view.message_state == "envoyé"


def test_a_grant_the_rules_refuse_tells_the_voter_too(cell: Cell) -> None:
    asked = ask(cell)
    mark_voted(cell, cell.voter.identifiers[0])
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "refusée"
    [notice] = notices(cell)
    assert notice.state == "sent"
    assert "a été refusée" in last_sent_text(cell)


def test_a_voter_without_a_channel_of_record_is_refused_without_a_notice(cell: Cell) -> None:
    with cell.deps.writing() as session:
        voter = session.get(Voter, cell.voter.voter_id)
        assert voter is not None
        voter.email_pro, voter.phone_mobile = None, None
        session.add(voter)
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, False, REASON)
    assert view.state == "refusée" and view.notice_to is None
    assert notices(cell) == []
    [refusal] = entries(cell.deps, "substitution_refuse")
    assert refusal["details"]["notice"] is None
