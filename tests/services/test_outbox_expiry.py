"""A message whose content expires (a one-time code: 120 s) is never delivered past its
expiry: an automatic retry gives it up with a French reason, journalled as a failure,
and an operator's resend is refused with what to do instead. Through a real HTTP
gateway on 127.0.0.1 (tests.services.test_outbox)."""

from datetime import timedelta

import pytest

from csu.domain.masking import mask_phone
from csu.services.context import ServiceError
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import Outgoing, deliver, deliver_due, enqueue, resend, time_left_said
from csu.store.tables import Voter
from tests.conftest import AGENT, NOW, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_outbox import (  # noqa: F401  (fixtures: "gateway", "no_proxy")
    BODY,
    NUMBER,
    SENDER,
    SUBJECT,
    Gateway,
    claimed,
    fail_until_failed,
    gateway_fixture,
    no_proxy,
    stored,
    using,
)

CODE_EXPIRED = "code expiré avant l'envoi : envoyez-en un nouveau"
OTP_VALIDITY = timedelta(seconds=120)  # minint-2022 otp_validity_seconds


def send_code(desk: Desk, gateway: Gateway) -> int:
    """A code by SMS to the caller through the gateway; the id of its message."""
    call = open_call(desk, desk.caller)
    send_one_time_code(using(desk, gateway.delivery()), AGENT, call.id, "otp_mobile")
    [entry] = entries(desk.deps, "message_queue")
    return int(entry["details"]["message"])


def queue_expiring(desk: Desk, validity: timedelta | None) -> int:
    """A code message (outbox level) that expires ``validity`` from now (None: never)."""
    expires = None if validity is None else desk.clock() + validity
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        outgoing = Outgoing("otp", "sms", NUMBER, mask_phone(NUMBER), SUBJECT, BODY, SENDER,
                            expires_at=expires)  # fmt: skip
        row = enqueue(
            session, desk.deps, AGENT, voter, outgoing,
            election_id=desk.caller.election, intervention_id=None, now=desk.clock(),
        )  # fmt: skip
        return row.id or 0


def test_a_code_message_expires_with_its_code(desk: Desk, gateway: Gateway) -> None:
    message_id = send_code(desk, gateway)
    assert stored(desk, message_id).expires_at == NOW + OTP_VALIDITY


def test_a_code_still_failing_when_it_expires_is_given_up_not_delivered(
    desk: Desk, gateway: Gateway
) -> None:
    """Retries at +30 s and +90 s fail; the next one (+210 s) would come after the code
    expired (+120 s): the message is given up at the first pass after the expiry, and
    the gateway, now answering, never gets the dead code."""
    gateway.statuses = [500, 500, 500, 200]
    message_id = send_code(desk, gateway)
    desk.clock.advance(seconds=30)
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "pending"}
    desk.clock.advance(seconds=60)
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "pending"}
    desk.clock.advance(seconds=31)  # +121 s: expired, its next attempt not yet due
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "failed"}
    desk.clock.advance(minutes=10)
    assert deliver_due(using(desk, gateway.delivery())) == {}
    assert len(gateway.requests) == 3  # the three failed attempts, nothing after
    row = stored(desk, message_id)
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, CODE_EXPIRED)


def test_a_code_given_up_keeps_neither_its_recipient_nor_its_body(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500]
    message_id = send_code(desk, gateway)
    desk.clock.advance(seconds=121)
    deliver_due(using(desk, gateway.delivery()))
    row = stored(desk, message_id)
    assert (row.recipient_sealed, row.body_sealed) == (None, None)


def test_a_code_given_up_is_journalled_as_a_failure_with_its_reason(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500]
    message_id = send_code(desk, gateway)
    desk.clock.advance(seconds=121)
    deliver_due(using(desk, gateway.delivery()))
    last = entries(desk.deps, "message_failed")[-1]
    assert (last["outcome"], last["details"]["message"]) == ("failed", message_id)
    assert last["details"]["error"] == CODE_EXPIRED


def test_a_claim_left_by_a_dead_workstation_is_given_up_once_the_code_expired(
    desk: Desk, gateway: Gateway
) -> None:
    message_id = queue_expiring(desk, OTP_VALIDITY)
    claimed(desk, message_id, timedelta(0))
    desk.clock.advance(minutes=3)  # the claim is stale, the code expired
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "failed"}
    assert gateway.requests == []


def test_delivering_a_code_message_after_its_expiry_sends_nothing(
    desk: Desk, gateway: Gateway
) -> None:
    """The message written, the commit done, the workstation slow to send: too late."""
    message_id = queue_expiring(desk, OTP_VALIDITY)
    desk.clock.advance(seconds=120)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "failed"}
    assert gateway.requests == []


def test_resending_an_expired_code_is_refused_saying_to_send_a_new_one(
    desk: Desk, gateway: Gateway
) -> None:
    message_id = queue_expiring(desk, timedelta(hours=1))
    fail_until_failed(desk, message_id)
    desk.clock.now = NOW + timedelta(hours=1, seconds=1)
    with pytest.raises(ServiceError, match="Envoyez un nouveau code") as refused:
        resend(using(desk, gateway.delivery()), SUPERVISOR, message_id)
    assert str(refused.value).startswith("Ce code a expiré le 02/12 à 12:30:00")  # Paris
    assert gateway.requests == []
    assert stored(desk, message_id).state == "failed"
    assert entries(desk.deps, "message_resend") == []


def test_resending_a_failed_code_still_valid_delivers_it(desk: Desk, gateway: Gateway) -> None:
    message_id = queue_expiring(desk, timedelta(hours=1))
    fail_until_failed(desk, message_id)
    assert resend(using(desk, gateway.delivery()), SUPERVISOR, message_id) == "sent"
    assert len(gateway.requests) == 1


def test_a_message_without_expiry_is_still_delivered_hours_later(
    desk: Desk, gateway: Gateway
) -> None:
    message_id = queue_expiring(desk, None)
    desk.clock.advance(hours=5)
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "sent"}


def test_a_code_sent_late_says_the_time_it_has_left(desk: Desk, gateway: Gateway) -> None:
    """Down at +0 s and +30 s, the gateway takes the retry at +90 s: the SMS says the
    30 seconds the code has left, not the 2 minutes it was written with."""
    gateway.statuses = [500, 500, 200]
    message_id = send_code(desk, gateway)
    assert "valable 2 minutes" in gateway.requests[0]["text"]
    desk.clock.advance(seconds=30)
    deliver_due(using(desk, gateway.delivery()))
    desk.clock.advance(seconds=60)
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "sent"}
    sent = gateway.requests[-1]["text"]
    assert "Il est valable 30 secondes et ne sert qu'une fois" in sent
    assert "2 minutes" not in sent


def test_a_code_sent_at_once_says_its_whole_validity(desk: Desk, gateway: Gateway) -> None:
    send_code(desk, gateway)
    [request] = gateway.requests
    assert "Il est valable 2 minutes et ne sert qu'une fois" in request["text"]


def test_a_link_sent_late_says_the_time_it_has_left() -> None:
    body = "CSU : ouvrez ce lien (valable 14 min 30 s, une seule fois) : https://x/l"
    created = NOW
    expires = NOW + timedelta(minutes=14, seconds=30, microseconds=400)
    late = time_left_said(body, "vote_code_link", created, expires, NOW + timedelta(minutes=5))
    assert late == "CSU : ouvrez ce lien (valable 9 min 30 s, une seule fois) : https://x/l"


def test_a_message_that_carries_no_code_is_sent_as_written() -> None:
    body = "CSU : le 02/12 à 12:00, votre code a été remplacé. Valable 2 minutes."
    late = time_left_said(body, "notice", NOW, NOW + OTP_VALIDITY, NOW + timedelta(seconds=90))
    assert late == body
