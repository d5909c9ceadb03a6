"""What the agent reads once a link or an identifier is handed to the outbox: sent, to
be retried until when, or refused for good (then never retried: no promise of it)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from csu.screens.identifier_delivery import sent_text as identifier_text
from csu.screens.vote_codes import sent_text as link_text
from csu.services.identifier_delivery import IdentifierSent
from csu.services.outbox import STATE_LABELS
from csu.services.vote_codes import LinkSent

UNTIL = datetime(2022, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))


def link(state: str) -> LinkSent:
    return LinkSent("sms", "+33 6 ** ** ** 78", UNTIL, STATE_LABELS[state])


def test_a_link_waiting_is_retried_until_it_expires() -> None:
    assert "retenté automatiquement jusqu'à 12:00, fin de validité du lien" in link_text(
        link("pending")
    )


def test_a_link_refused_for_good_promises_no_retry() -> None:
    said = link_text(link("failed"))
    assert "non envoyé" in said and "retenté" not in said


def test_an_identifier_refused_for_good_promises_no_retry() -> None:
    said = identifier_text(IdentifierSent("j***@exemple.fr", "ID123", STATE_LABELS["failed"]))
    assert "non envoyé" in said and "retenté" not in said


def test_a_link_given_up_promises_no_retry() -> None:
    said = link_text(link("abandoned"))
    assert said.startswith("Lien pour +33 6 ** ** ** 78 non envoyé (abandonné)")
    assert "retenté" not in said


def test_an_identifier_given_up_promises_no_retry() -> None:
    said = identifier_text(IdentifierSent("j***@exemple.fr", "ID123", STATE_LABELS["abandoned"]))
    assert "non envoyé à j***@exemple.fr (abandonné)" in said and "retenté" not in said
