"""What an agent reads once a link or an identifier is handed to the outbox: « envoyé »
said once, and a message waiting said so in plain words, not « mis en file (en
attente) »."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from csu.domain.labels import ACTION_LABELS
from csu.screens import identifier_delivery, vote_codes
from csu.services.identifier_delivery import IdentifierSent
from csu.services.outbox import STATE_LABELS
from csu.services.vote_codes import LinkSent

UNTIL = datetime(2022, 12, 2, 22, 34, tzinfo=ZoneInfo("Europe/Paris"))
MOBILE = "+33 6 ** ** ** 78"


def link(delivery: str) -> str:
    return vote_codes.sent_text(LinkSent("sms", MOBILE, UNTIL, delivery))


def identifier(delivery: str) -> str:
    sent = IdentifierSent(recipient="j***@exemple.fr", identifier="MI0001", delivery=delivery)
    return identifier_delivery.sent_text(sent)


def test_a_link_sent_says_envoye_once() -> None:
    assert link(STATE_LABELS["sent"]) == f"Lien envoyé à {MOBILE}, valable jusqu'à 22:34."


def test_a_link_waiting_says_it_waits() -> None:
    assert link(STATE_LABELS["pending"]).startswith(
        f"Lien pour {MOBILE} en attente d'envoi, valable jusqu'à 22:34 : l'envoi sera retenté"
    )


def test_an_identifier_sent_says_envoye_once() -> None:
    assert identifier(STATE_LABELS["sent"]) == "Identifiant MI0001 envoyé à j***@exemple.fr."


def test_an_identifier_waiting_says_it_waits() -> None:
    assert identifier(STATE_LABELS["pending"]).startswith(
        "Identifiant MI0001 pour j***@exemple.fr en attente d'envoi : l'envoi sera retenté"
    )


@pytest.mark.parametrize("said", [link, identifier], ids=["link", "identifier"])
def test_no_sentence_says_a_state_twice(said: object) -> None:
    for state in STATE_LABELS.values():
        text = said(state)  # type: ignore[operator]
        assert "(envoyé)" not in text and "(en attente)" not in text


def test_the_timeline_names_a_queued_message_in_plain_words() -> None:
    assert ACTION_LABELS["message_queue"] == "message à envoyer"


def password_link(delivery: str) -> str:
    sent = LinkSent("email", "j***@exemple.fr", UNTIL, delivery)
    return identifier_delivery.password_link_text(sent)


def test_a_password_link_sent_says_until_when_and_where_it_shows() -> None:
    assert password_link(STATE_LABELS["sent"]) == (
        "Lien du mot de passe envoyé à j***@exemple.fr, valable jusqu'au 02/12 à 22:34 : le "
        "mot de passe s'affichera sur l'écran de l'électeur, jamais lu par la cellule."
    )


def test_a_password_link_refused_for_good_says_so_without_a_validity() -> None:
    """It read « Lien du mot de passe pour j***@exemple.fr échec, valable jusqu'au … »."""
    said = password_link(STATE_LABELS["failed"])
    assert said.startswith("Lien du mot de passe pour j***@exemple.fr non envoyé (échec) : ")
    assert "valable" not in said


def test_a_password_link_given_up_says_so_without_a_validity() -> None:
    said = password_link(STATE_LABELS["abandoned"])
    assert said.startswith("Lien du mot de passe pour j***@exemple.fr non envoyé (abandonné) : ")
    assert "valable" not in said and "retenté" not in said
