"""A one-time link or code replaced by a newer one never reaches the voter afterwards:
its message still waiting (pending, or failed and resendable) is abandoned when the
new one is sent, and a link message past the link's validity is refused for resend.
SMS through a real HTTP gateway on 127.0.0.1, e-mail into the desk's outbox folder."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from csu.delivery import DeliveryFailed, PermanentFailure
from csu.delivery.router import ChannelRouter
from csu.services.context import ServiceError
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import deliver_due, resend
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from csu.store.tables import OutboundMessage
from tests.conftest import AGENT, NOW, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_outbox import (  # noqa: F401  (fixtures: "gateway", "no_proxy")
    Gateway,
    gateway_down,
    gateway_fixture,
    no_proxy,
    stored,
    using,
)

TYPED_MOBILE = "06 12 34 56 78"
PERSONAL = "ines.perso@exemple.fr"
LINK_REPLACED = "lien remplacé par un plus récent : non envoyé"
CODE_REPLACED = "code remplacé par un plus récent : non envoyé"


def through(desk: Desk, sms: Any) -> Any:
    """The desk's services, SMS through ``sms``, e-mail into the outbox folder."""
    return using(desk, ChannelRouter(email=desk.outbox, sms=sms))


def verified_teacher(desk: Desk) -> str:
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    return call.id


def link_by(desk: Desk, sms: Any, call_id: str, channel: str) -> int:
    """A vote-code link to the teacher; the id of the message that carries it."""
    recipient = TYPED_MOBILE if channel == "sms" else PERSONAL
    send_vote_code_link(through(desk, sms), AGENT, call_id, desk.teacher.material_id,
                        channel, recipient, confirm=recipient)  # fmt: skip
    return link_messages(desk)[-1].id or 0


def retried_until_failed(desk: Desk, message_id: int) -> None:
    """Each retry when due finds the gateway down, until the message is ``failed``."""
    deps = through(desk, gateway_down())
    while (row := stored(desk, message_id)).state == "pending":
        desk.clock.now = max(desk.clock.now, row.next_attempt_at)
        deliver_due(deps)
    assert row.state == "failed"


def link_messages(desk: Desk) -> list[OutboundMessage]:
    with desk.deps.reading() as session:
        return list(
            session.execute(
                select(OutboundMessage)
                .where(OutboundMessage.purpose == "vote_code_link")
                .order_by(OutboundMessage.id)  # type: ignore[arg-type]
            ).scalars()
        )


# ----------------------------------------------------------------------------- links


def test_a_link_voided_by_a_newer_one_is_abandoned_not_delivered(
    desk: Desk, gateway: Gateway
) -> None:
    """The SMS link waits for a retry (gateway 500); 20 s later a link by e-mail voids
    it; the gateway recovers: the retry due sends nothing."""
    gateway.statuses = [500, 200]
    call_id = verified_teacher(desk)
    first = link_by(desk, gateway.delivery(), call_id, "sms")
    desk.clock.advance(seconds=20)
    link_by(desk, gateway.delivery(), call_id, "email")
    desk.clock.advance(seconds=15)
    assert first not in deliver_due(through(desk, gateway.delivery()))
    assert len(gateway.requests) == 1  # the first attempt only
    row = stored(desk, first)
    assert (row.state, row.last_error) == ("abandoned", LINK_REPLACED)


def test_a_voided_link_keeps_neither_its_recipient_nor_its_body(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500]
    call_id = verified_teacher(desk)
    first = link_by(desk, gateway.delivery(), call_id, "sms")
    link_by(desk, gateway.delivery(), call_id, "email")
    row = stored(desk, first)
    assert (row.recipient_sealed, row.body_sealed) == (None, None)


def test_a_failed_link_message_voided_by_a_newer_link_cannot_be_resent(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    first = link_by(desk, gateway_down(), call_id, "sms")
    retried_until_failed(desk, first)
    link_by(desk, gateway_down(), call_id, "email")
    assert stored(desk, first).state == "abandoned"
    with pytest.raises(ServiceError, match="Seul un message en échec"):
        resend(through(desk, gateway_down()), SUPERVISOR, first)


def test_abandoning_a_voided_link_is_journalled_with_its_reason(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500]
    call_id = verified_teacher(desk)
    first = link_by(desk, gateway.delivery(), call_id, "sms")
    link_by(desk, gateway.delivery(), call_id, "email")
    [entry] = entries(desk.deps, "message_abandon")
    assert (entry["operator"], entry["details"]["message"]) == ("agent", first)
    assert entry["details"]["error"] == LINK_REPLACED


def test_the_newer_link_itself_is_delivered(desk: Desk, gateway: Gateway) -> None:
    gateway.statuses = [500]
    call_id = verified_teacher(desk)
    link_by(desk, gateway.delivery(), call_id, "sms")
    second = link_by(desk, gateway.delivery(), call_id, "email")
    assert stored(desk, second).state == "sent"


def test_a_link_message_expires_with_its_link(desk: Desk, gateway: Gateway) -> None:
    call_id = verified_teacher(desk)
    message_id = link_by(desk, gateway.delivery(), call_id, "sms")
    assert stored(desk, message_id).expires_at == NOW + timedelta(minutes=30)


def test_resending_a_link_past_its_validity_is_refused_saying_to_send_a_new_one(
    desk: Desk, gateway: Gateway
) -> None:
    """Five attempts fail within 8 minutes; the agent resends 40 minutes later, after
    the link's 30 minutes: refused, nothing posted."""
    call_id = verified_teacher(desk)
    message_id = link_by(desk, gateway_down(), call_id, "sms")
    retried_until_failed(desk, message_id)
    desk.clock.now = NOW + timedelta(minutes=40)
    with pytest.raises(ServiceError, match=r"Ce lien a expiré .* Envoyez un nouveau lien"):
        resend(through(desk, gateway.delivery()), SUPERVISOR, message_id)
    assert gateway.requests == []


# ----------------------------------------------------------------------------- codes


def test_a_new_code_abandons_the_message_of_the_previous_code_still_waiting(
    desk: Desk, gateway: Gateway
) -> None:
    """Only the newest code verifies: the old one, delivered by a retry, would be read
    back and counted as a failure."""
    gateway.statuses = [500, 200]
    call = open_call(desk, desk.caller)
    send_one_time_code(using(desk, gateway.delivery()), AGENT, call.id, "otp_mobile")
    [first] = [e["details"]["message"] for e in entries(desk.deps, "message_queue")]
    desk.clock.advance(seconds=10)
    send_one_time_code(using(desk, gateway.delivery()), AGENT, call.id, "otp_mobile")
    desk.clock.advance(seconds=30)
    deliver_due(using(desk, gateway.delivery()))
    assert len(gateway.requests) == 2  # the first code's attempt, then the new code
    row = stored(desk, first)
    assert (row.state, row.last_error) == ("abandoned", CODE_REPLACED)


# ------------------------------------------------- replaced while being sent (a slow gateway)


class SlowGateway:
    """An SMS transport whose first sending hangs until the agent has sent a newer code
    or link (``meanwhile``), then times out; every later sending goes through."""

    def __init__(self) -> None:
        self.meanwhile: Any = None
        self.sent: list[Any] = []
        self.calls = 0

    def send(self, message: Any) -> str:
        self.calls += 1
        if self.calls == 1:
            self.meanwhile()
            raise DeliveryFailed("passerelle SMS injoignable (pas de réponse en 3 s)")
        self.sent.append(message)
        return f"gw-{self.calls}"


def test_a_code_replaced_while_its_message_was_being_sent_is_never_sent_after(
    desk: Desk,
) -> None:
    slow = SlowGateway()
    call = open_call(desk, desk.caller)
    slow.meanwhile = lambda: send_one_time_code(
        using(desk, slow), AGENT, call.id, "otp_mobile"
    )
    send_one_time_code(using(desk, slow), AGENT, call.id, "otp_mobile")
    first = min(e["details"]["message"] for e in entries(desk.deps, "message_queue"))
    desk.clock.advance(seconds=31)  # the first one's retry is due
    deliver_due(using(desk, slow))
    assert slow.calls == 2  # the first attempt, then the new code: no third
    row = stored(desk, first)
    assert (row.state, row.last_error) == ("abandoned", CODE_REPLACED)


def test_a_link_voided_while_its_message_was_being_sent_is_never_sent_after(
    desk: Desk,
) -> None:
    slow = SlowGateway()
    call_id = verified_teacher(desk)
    slow.meanwhile = lambda: link_by(desk, slow, call_id, "email")
    link_by(desk, slow, call_id, "sms")
    first = link_messages(desk)[0].id or 0
    desk.clock.advance(seconds=31)
    deliver_due(through(desk, slow))
    assert slow.calls == 1  # the e-mail went to the folder; the SMS link never again
    row = stored(desk, first)
    assert (row.state, row.last_error) == ("abandoned", LINK_REPLACED)
    with pytest.raises(ServiceError):
        resend(through(desk, slow), SUPERVISOR, first)


def test_a_link_voided_while_its_refused_message_was_in_flight_cannot_be_resent(
    desk: Desk,
) -> None:
    """The gateway refuses the first SMS for good (400) after the agent sent a newer
    link: the failed message may not be resent, its link no longer works."""
    slow = SlowGateway()
    call_id = verified_teacher(desk)

    def refuse(_: Any) -> str:
        link_by(desk, slow, call_id, "email")
        raise PermanentFailure("la passerelle SMS refuse le message (HTTP 400)")

    slow.send = refuse  # type: ignore[method-assign]
    link_by(desk, slow, call_id, "sms")
    first = link_messages(desk)[0].id or 0
    assert stored(desk, first).state == "failed"
    with pytest.raises(ServiceError, match="Message non renvoyé : lien remplacé"):
        resend(through(desk, slow), SUPERVISOR, first)
