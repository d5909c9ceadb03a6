"""The services issue only what each election's file allows, by the route it names
(``[delivery]``), and refuse the rest in French saying what is possible instead: one
test per election and per kind. Seed 003's rules hold in men-2011: the password shows on
the voter's screen by a one-time link honoured until its deadline, and the voter's other
address cannot change once confirmed."""

import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from csu.services.context import Forbidden, ServiceError
from csu.services.credentials import issue_credential
from csu.services.identifier_delivery import send_identifier
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import (
    redeem_link,
    send_password_link,
    send_vote_code_link,
)
from csu.store.tables import LinkToken, OutboundMessage
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    MEN_2011_OPEN,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
    verified_call,
)

PERSONAL = "ines.perso@exemple.fr"
OTHER = "ines.autre@exemple.fr"
TOKEN = re.compile(r"jeton=([A-Za-z0-9_-]+)")
DEADLINE_EVE = MEN_2011_OPEN.replace(day=20, hour=21, minute=50)  # 23:50 in Paris, 20 Oct


def verified_teacher(desk: Desk) -> str:
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    return call.id


def verified_without_notice(desk: Desk) -> str:
    if desk.clock.now.year != 2011:  # a test may have set its own moment of the vote
        desk.clock.now = MEN_2011_OPEN
    call = open_call(desk, desk.without_notice)
    answers = desk.without_notice.without_notice_answers()
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    return call.id


def send_personal(desk: Desk, call_id: str, address: str) -> None:
    send_identifier(
        desk.deps, AGENT, call_id, desk.without_notice.material_id,
        to="personal", address=address, confirm=address,
    )  # fmt: skip


def password_link(desk: Desk, call_id: str, address: str = "") -> str:
    """Sends the men-2011 password link; its token, as the voter's mailbox shows it.
    Without ``address``, the identifier goes first to the professional address (seed
    003: the identifier, then the password; the service refuses the link before)."""
    if not address:
        send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id, to="pro")
    send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id, address)
    with desk.deps.reading() as session:
        purposes = session.execute(select(OutboundMessage.purpose)).scalars().all()
    assert "password_link" in purposes
    for path in reversed(desk.outbox.sent):
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(mail, EmailMessage)
        found = TOKEN.findall(str(mail.get_content()))
        if found:
            return found[-1]
    raise AssertionError("no link in the outbox")


def links(desk: Desk) -> list[LinkToken]:
    with desk.deps.reading() as session:
        return list(session.execute(select(LinkToken).order_by(LinkToken.id)).scalars())


# ------------------------------------------------------------------ minint-2022


def test_minint_security_key_is_shown_once_to_be_read(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert key.kind == "security_key" and key.display_seconds == 120


def test_minint_password_is_shown_once_to_be_read(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    password = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    assert password.kind == "password"


def test_minint_identifier_is_not_sent_the_matricule_is_on_the_portal(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    with pytest.raises(Forbidden) as refused:
        send_identifier(desk.deps, AGENT, call_id, desk.caller.material_id, to="pro")
    assert "arrêté nominatif" in str(refused.value)
    assert entries(desk.deps, "identifier_send") == []


def test_minint_has_no_vote_code_to_reissue(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    with pytest.raises(ServiceError):
        send_vote_code_link(
            desk.deps, AGENT, call_id, desk.caller.material_id, "sms", "06 12 34 56 78"
        )
    assert links(desk) == []


# --------------------------------------------------------------------- men-2022


def test_men_2022_vote_code_goes_only_by_link(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(Forbidden) as refused:
        issue_credential(desk.deps, AGENT, call_id, desk.teacher.material_id, "vote_code")
    assert str(refused.value).startswith(
        "Pour cette élection, le code de vote se réassortit uniquement par lien."
    )
    sent = send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "sms", "06 12 34 56 78"
    )
    assert sent.delivery == "envoyé"


def test_men_2022_password_is_never_issued_by_the_cell(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(Forbidden) as refused:
        issue_credential(desk.deps, AGENT, call_id, desk.teacher.material_id, "password")
    assert "Besoin du réassort de votre mot de passe Élections ?" in str(refused.value)
    assert entries(desk.deps, "credential_issue") == []


def test_men_2022_identifier_is_the_academic_webmail_address(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(Forbidden):
        send_identifier(desk.deps, AGENT, call_id, desk.teacher.material_id, to="pro")
    assert entries(desk.deps, "identifier_send") == []


# --------------------------------------------------------------------- men-2011


def test_men_2011_identifier_goes_by_email_to_the_professional_address(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    sent = send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id, to="pro")
    assert sent.identifier == desk.without_notice.identifier


def test_men_2011_password_is_never_read_out(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(Forbidden) as refused:
        issue_credential(desk.deps, AGENT, call_id, desk.without_notice.material_id, "password")
    assert str(refused.value).startswith(
        "Pour cette élection, le mot de passe se réassortit uniquement par lien."
    )


def test_men_2011_password_shows_on_the_voters_screen_and_opens_the_platform(
    desk: Desk,
) -> None:
    call_id = verified_without_notice(desk)
    token = password_link(desk, call_id)
    password = redeem_link(desk.deps, token, answers=desk.without_notice.without_notice_answers())
    voter = desk.without_notice
    assert check_login(
        desk.deps, voter.election, voter.identifier, voter.birth_date, password=password.value
    )
    assert password.value not in bodies(desk.deps)
    [issued] = entries(desk.deps, "credential_issue")
    assert (issued["operator"], issued["details"]["kind"]) == ("plateforme", "password")


def test_men_2011_the_link_is_single_use(desk: Desk) -> None:
    token = password_link(desk, verified_without_notice(desk))
    answers = desk.without_notice.without_notice_answers()  # seed 003: on the link's page
    redeem_link(desk.deps, token, answers=answers)
    with pytest.raises(ServiceError, match="Lien invalide"):
        redeem_link(desk.deps, token, answers=answers)


def test_men_2011_a_link_sent_late_on_20_october_ends_at_midnight(desk: Desk) -> None:
    desk.clock.now = DEADLINE_EVE
    token = password_link(desk, verified_without_notice(desk))
    [link] = links(desk)
    assert link.expires_at.replace(tzinfo=None) == (DEADLINE_EVE + timedelta(minutes=10)).replace(
        tzinfo=None
    )
    desk.clock.advance(minutes=11)
    # Past midnight the vote is closed too, which the refusal says.
    with pytest.raises(ServiceError, match="men-2011 est clos"):
        redeem_link(desk.deps, token)


def test_men_2011_no_link_is_sent_once_its_deadline_and_the_vote_are_over(desk: Desk) -> None:
    desk.clock.now = DEADLINE_EVE
    call_id = verified_without_notice(desk)
    desk.clock.advance(minutes=10)  # 21 October, 00:00 in Paris: the deadline
    with pytest.raises(ServiceError, match="clos"):
        send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id)
    assert links(desk) == []


def test_men_2011_the_other_address_cannot_be_changed_once_confirmed(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    send_personal(desk, call_id, PERSONAL)
    with pytest.raises(ServiceError, match="ne peut plus être changée"):
        send_personal(desk, call_id, OTHER)
    with pytest.raises(ServiceError, match="ne peut plus être changée"):
        send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id, to="pro")
    assert len(entries(desk.deps, "identifier_send")) == 1


def test_men_2011_the_confirmed_address_typed_again_gets_the_identifier_again(
    desk: Desk,
) -> None:
    call_id = verified_without_notice(desk)
    send_personal(desk, call_id, PERSONAL)
    send_personal(desk, call_id, PERSONAL.upper())
    assert len(entries(desk.deps, "identifier_send")) == 2


def test_men_2011_the_password_link_follows_the_confirmed_address(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    send_personal(desk, call_id, PERSONAL)
    with pytest.raises(ServiceError, match="tapez-la"):
        send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id)
    with pytest.raises(ServiceError, match="ne peut plus être changée"):
        send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id, OTHER)
    token = password_link(desk, call_id, PERSONAL)
    answers = desk.without_notice.without_notice_answers()
    assert redeem_link(desk.deps, token, answers=answers).kind == "password"


def test_men_2011_has_no_vote_code(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(ServiceError):
        send_vote_code_link(
            desk.deps, AGENT, call_id, desk.without_notice.material_id, "email", PERSONAL,
            confirm=PERSONAL
        )
    assert links(desk) == []
