"""A one-time link whose material is substituted, or whose voter has voted, before its
message goes out would only answer 410: the message still waiting is given up when
claimed (abandoned, with a French reason, journalled) and refused for resend. SMS
through a real HTTP gateway on 127.0.0.1, on SQLite and PostgreSQL (the desk)."""

from datetime import timedelta

import pytest

from csu.services.context import ServiceError
from csu.services.elections import get_definition
from csu.services.emargement import record_votes
from csu.services.outbox import deliver_due, resend
from csu.store.tables import Material
from tests.conftest import SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_outbox import (  # noqa: F401  (fixtures: "gateway", "no_proxy")
    Gateway,
    gateway_down,
    gateway_fixture,
    no_proxy,
    stored,
)
from tests.services.test_replaced_messages import (
    link_by,
    retried_until_failed,
    through,
    verified_teacher,
)

MATERIAL_REPLACED = "matériel remplacé avant l'envoi : lien non envoyé"
MATERIAL_INVALIDATED = "matériel invalidé avant l'envoi : lien non envoyé"
ALREADY_VOTED = "l'électeur a déjà voté : lien non envoyé"


def set_status(desk: Desk, status: str) -> None:
    """The teacher's material as csu.services.substitution leaves the original
    (« substituted »), or invalidated; men-2022 has no substitution of its own."""
    with desk.deps.writing() as session:
        material = session.get(Material, desk.teacher.material_id)
        assert material is not None
        material.status = status
        session.add(material)


def teacher_votes(desk: Desk) -> None:
    """The platform's émargement says the teacher voted (a votes file, as ``csu import
    votes`` reads it): men-2022 reissues nothing once its one scrutin is voted."""
    with desk.deps.writing() as session:
        definition = get_definition(session, "men-2022")
        moment = desk.clock.now - timedelta(seconds=5)
        added, faults = record_votes(
            session, definition, [(2, desk.teacher.identifier, None, moment)],
            desk.clock.now, "test",
        )  # fmt: skip
    assert (added, faults) == (1, [])


def waiting_link(desk: Desk, gateway: Gateway) -> int:
    """A vote-code link by SMS whose first attempt met a gateway error (500): pending."""
    gateway.statuses = [500, 200]
    call_id = verified_teacher(desk)
    message_id = link_by(desk, gateway.delivery(), call_id, "sms")
    assert stored(desk, message_id).state == "pending"
    return message_id


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda desk: set_status(desk, "substituted"), MATERIAL_REPLACED),
        (lambda desk: set_status(desk, "invalidated"), MATERIAL_INVALIDATED),
        (teacher_votes, ALREADY_VOTED),
    ],
    ids=["substituted", "invalidated", "voted"],
)
def test_a_link_whose_material_can_no_longer_serve_is_abandoned_at_its_retry(
    desk: Desk, gateway: Gateway, change: object, reason: str
) -> None:
    message_id = waiting_link(desk, gateway)
    change(desk)  # type: ignore[operator]
    desk.clock.advance(seconds=31)  # the retry is due; the gateway would now accept it
    assert deliver_due(through(desk, gateway.delivery())).get(message_id) == "abandoned"
    assert len(gateway.requests) == 1  # the first attempt only: no dead link sent
    row = stored(desk, message_id)
    assert (row.state, row.last_error) == ("abandoned", reason)
    assert (row.recipient_sealed, row.body_sealed) == (None, None)
    [entry] = [e for e in entries(desk.deps, "message_abandon")
               if e["details"]["message"] == message_id]  # fmt: skip
    assert entry["details"]["error"] == reason


def test_a_failed_link_of_a_substituted_material_cannot_be_resent(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    message_id = link_by(desk, gateway_down(), call_id, "sms")
    retried_until_failed(desk, message_id)
    set_status(desk, "substituted")
    with pytest.raises(ServiceError, match="Message non renvoyé : matériel remplacé avant"):
        resend(through(desk, gateway_down()), SUPERVISOR, message_id)
    assert stored(desk, message_id).state == "failed"


def test_a_failed_link_of_a_voter_who_has_voted_cannot_be_resent(
    desk: Desk, gateway: Gateway
) -> None:
    call_id = verified_teacher(desk)
    message_id = link_by(desk, gateway_down(), call_id, "sms")
    retried_until_failed(desk, message_id)
    teacher_votes(desk)
    with pytest.raises(ServiceError, match="Message non renvoyé : l'électeur a déjà voté"):
        resend(through(desk, gateway.delivery()), SUPERVISOR, message_id)
    assert gateway.requests == []


def test_a_link_still_usable_goes_out_at_its_retry(desk: Desk, gateway: Gateway) -> None:
    message_id = waiting_link(desk, gateway)
    desk.clock.advance(seconds=31)
    assert deliver_due(through(desk, gateway.delivery())).get(message_id) == "sent"
