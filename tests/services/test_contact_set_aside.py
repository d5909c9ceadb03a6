"""A supervisor sets aside a contact of the roll no longer the voter's (a mobile given to
someone else): the field is erased, and what was on its way to it stops in the same
transaction: codes sent there expire, links sent there are voided, messages not yet out
are abandoned. Journalled with the value masked, never in clear."""

import pytest
from sqlalchemy import select

from csu.domain import masking
from csu.domain.identifiers import parse_mobile
from csu.domain.labels import detail_value
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import deliver_due
from csu.services.verification import verify_identity
from csu.services.vote_codes import INVALID_LINK, redeem_link
from csu.services.voter_contacts import set_contact_aside
from csu.store.tables import OneTimeCode, Voter
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_election_routes import password_link, verified_without_notice
from tests.services.test_outbox import (
    gateway_down,
    stored,
    using,
)

REASON = "numéro attribué à une autre personne, signalé par l'électeur"
SET_ASIDE = "coordonnée écartée par un superviseur : non envoyé"


def voter(desk: Desk, voter_id: int) -> Voter:
    with desk.deps.reading() as session:
        found = session.get(Voter, voter_id)
        assert found is not None
        return found


def test_a_mobile_set_aside_leaves_the_voter_without_one(desk: Desk) -> None:
    mobile = parse_mobile(desk.caller.row["telephone_mobile"]).e164
    done = set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile", REASON)
    assert done.masked == masking.mask_phone(mobile)
    assert voter(desk, desk.caller.voter_id).phone_mobile is None
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="Aucun téléphone portable"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")


def test_the_entry_names_the_field_and_the_value_masked_never_in_clear(desk: Desk) -> None:
    mobile = parse_mobile(desk.caller.row["telephone_mobile"]).e164
    set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile", REASON)
    [entry] = entries(desk.deps, "contact_set_aside")
    assert entry["operator"] == SUPERVISOR.login
    assert entry["details"]["field"] == "phone_mobile"
    assert entry["details"]["was"] == masking.mask_phone(mobile)
    assert entry["details"]["reason"] == REASON
    assert detail_value("field", "phone_mobile") == "téléphone portable"
    assert mobile[1:] not in bodies(desk.deps)


def test_a_code_sent_to_the_mobile_set_aside_no_longer_verifies(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    code = desk.outbox.last_code()
    done = set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile", REASON)
    assert done.codes == 1
    answers = {"birth_date": desk.caller.row["date_naissance"], "otp_mobile": code}
    assert not verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_a_code_message_still_waiting_for_the_mobile_is_abandoned(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    sent = send_one_time_code(using(desk, gateway_down()), AGENT, call.id, "otp_mobile")
    assert sent.delivery == "en attente"
    done = set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile", REASON)
    [abandoned] = entries(desk.deps, "message_abandon")
    row = stored(desk, abandoned["details"]["message"])
    assert (done.messages, row.state, row.last_error) == (1, "abandoned", SET_ASIDE)
    assert row.recipient_sealed is None and row.body_sealed is None


def test_an_address_set_aside_voids_the_password_link_sent_to_it(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    token = password_link(desk, call_id)  # to the professional address on record
    voter_id = desk.without_notice.voter_id
    done = set_contact_aside(desk.deps, SUPERVISOR, voter_id, "email_pro", REASON)
    assert done.links == 1
    with pytest.raises(ServiceError, match=INVALID_LINK[:20]):
        redeem_link(desk.deps, token, answers=desk.without_notice.without_notice_answers())


def test_the_mobile_set_aside_leaves_the_codes_sent_by_email(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "email_pro", REASON)
    with desk.deps.reading() as session:
        [code] = session.execute(select(OneTimeCode)).scalars().all()
    assert code.expires_at.replace(tzinfo=None) > desk.clock.now.replace(tzinfo=None)


def test_an_agent_cannot_set_a_contact_aside(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        set_contact_aside(desk.deps, AGENT, desk.caller.voter_id, "phone_mobile", REASON)
    assert voter(desk, desk.caller.voter_id).phone_mobile is not None
    [refused] = entries(desk.deps, "role_refused")
    assert refused["details"]["service"] == "set_contact_aside"


def test_a_contact_set_aside_needs_a_reason(desk: Desk) -> None:
    with pytest.raises(ServiceError, match="Motif trop court"):
        set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile", "  ")
    assert voter(desk, desk.caller.voter_id).phone_mobile is not None


def test_a_contact_not_on_record_cannot_be_set_aside(desk: Desk) -> None:
    with pytest.raises(NotFound, match="Aucun téléphone portable enregistré"):
        set_contact_aside(desk.deps, SUPERVISOR, desk.unreachable.voter_id, "phone_mobile", REASON)
    assert entries(desk.deps, "contact_set_aside") == []


def test_only_a_contact_field_can_be_set_aside(desk: Desk) -> None:
    with pytest.raises(ServiceError, match="champs possibles : courriel professionnel"):
        set_contact_aside(desk.deps, SUPERVISOR, desk.caller.voter_id, "nir10_hash", REASON)


def test_a_message_queued_just_after_its_contact_was_set_aside_is_not_sent(desk: Desk) -> None:
    """A send that read the mobile just before it was set aside (PostgreSQL, two
    workstations) queued its message after: it is given up when its turn comes."""
    call = open_call(desk, desk.caller)
    sent = send_one_time_code(using(desk, gateway_down()), AGENT, call.id, "otp_mobile")
    assert sent.delivery == "en attente"
    with desk.deps.writing() as session:  # the set-aside, committed in between
        row = session.get(Voter, desk.caller.voter_id)
        assert row is not None
        row.phone_mobile = None
        session.add(row)
    desk.clock.advance(minutes=1)
    deliver_due(desk.deps)
    [abandoned] = entries(desk.deps, "message_abandon")
    row = stored(desk, abandoned["details"]["message"])
    assert (row.state, row.last_error) == ("abandoned", SET_ASIDE)
    assert desk.outbox.sent == []
