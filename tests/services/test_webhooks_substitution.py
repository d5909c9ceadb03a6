"""A granted substitution reaches the voting platform (seed 000: « ce nouveau matériel
de vote invalide le matériel initial et se substitue à celui-ci »), for every election:
``material.substituted`` names the original identifier, which no longer works, the
identifier that replaces it, its capacity and scrutins. cci-hdf-2021 defines no
credential the cell issues, so before this event its platform learnt nothing.

The event is queued in the grant's transaction, to every platform client of the
election with a webhook address, and received by a stand-in platform on loopback that
checks each signature with the ``standardwebhooks`` library. Elections with
credentials keep their per-credential events; the minint-2022 events are unchanged.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from csu.domain import sealing
from csu.services import substitution as service
from csu.services import webhooks
from csu.services.platform_clients import add_platform_client
from csu.services.substitution import decide_substitution
from csu.store.tables import WebhookEvent
from tests.conftest import ADMIN, SUPERVISOR, TEST_KEY
from tests.services import test_substitution as s5
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_substitution import (
    CCI,
    Cell,
    ask,
    give_credentials,
    mailed,
    material,
    replacement,
    variant,
)
from tests.services.test_webhooks import issued
from tests.webhook_standin import PlatformStandIn

cci = s5.cell  # the S5 tests' store (cci-hdf-2021 as shipped: no credentials)


@pytest.fixture
def jevote(cci: Cell) -> Iterator[PlatformStandIn]:
    """The CCI platform (www.jevote.cci.fr) as a client with a webhook address."""
    standin = PlatformStandIn()
    with standin.running():
        created = add_platform_client(cci.deps, ADMIN, "jevote", [CCI], webhook_url=standin.url)
        standin.secret = created.webhook_secret
        yield standin
        assert webhooks.wait_for_deliveries(30)


def granted(cell: Cell) -> tuple[str, str]:
    """A request approved by a supervisor: the original identifier and the new one (as
    the e-mail to the voter gives it)."""
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "accordée"
    assert webhooks.wait_for_deliveries(30)
    return cell.voter.identifiers[0], mailed(cell)["Identifiant de vote"]


def queued(cell: Cell) -> list[WebhookEvent]:
    with cell.deps.reading() as session:
        return list(session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars())


def of_type(payloads: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [p for p in payloads if p["type"] == kind]


# --------------------------------------------------------------------- the CCI


def test_a_granted_cci_substitution_reaches_the_platform(
    cci: Cell, jevote: PlatformStandIn
) -> None:
    old, new = granted(cci)
    [received] = jevote.wait_for(1)
    assert received.status == 200  # signature, id and timestamp verified by the library
    assert received.payload == {
        "type": "material.substituted",
        "timestamp": received.payload["timestamp"] if received.payload else None,
        "data": {
            "election": CCI,
            "event": "substituted",
            "identifier": old,
            "replaced_by": new,
            "capacity": "à titre personnel",
            "scrutins": [CCI],  # no [[scrutins]]: the election's one implicit scrutin
        },
    }
    assert new == replacement(cci, cci.voter.material_id).identifier
    assert material(cci, cci.voter.material_id).status == "substituted"


def test_the_event_is_queued_with_the_grant_and_names_no_identifier_in_the_journal(
    cci: Cell, jevote: PlatformStandIn
) -> None:
    old, new = granted(cci)
    jevote.wait_for(1)
    [event] = queued(cci)
    assert (event.event_type, event.kind, event.material_id, event.credential_id) == (
        "material.substituted", "identifier", cci.voter.material_id, None,
    )  # fmt: skip
    assert (event.state, event.payload_sealed) == ("sent", None)  # erased once delivered
    [grant] = entries(cci.deps, "substitution_grant")
    [queue] = entries(cci.deps, "webhook_queue")
    assert queue["seq"] < grant["seq"] and queue["ts"] == grant["ts"]  # one transaction
    assert queue["details"] == {
        "webhook": event.id, "client": "jevote", "event": "material.substituted",
        "kind": "identifier", "material": cci.voter.material_id, "credential": None,
    }  # fmt: skip
    written = str(entries(cci.deps))
    assert old not in written and new not in written


def test_an_undelivered_event_is_kept_sealed(cci: Cell) -> None:
    add_platform_client(cci.deps, ADMIN, "jevote", [CCI],
                        webhook_url="http://127.0.0.1:9/csu-hooks")  # fmt: skip
    old, new = granted(cci)
    [event] = queued(cci)
    assert event.state == "pending" and event.payload_sealed is not None
    assert old not in event.payload_sealed and new not in event.payload_sealed
    body = sealing.unseal(TEST_KEY, webhooks.SEAL_PURPOSE, event.payload_sealed)
    assert f'"identifier":"{old}"' in body and f'"replaced_by":"{new}"' in body


def test_a_grant_at_once_queues_it_in_the_request_s_transaction(
    cci: Cell, jevote: PlatformStandIn
) -> None:
    variant(cci, requires_approval=False)
    view = ask(cci)
    assert view.state == "accordée"
    assert webhooks.wait_for_deliveries(30)
    [received] = jevote.wait_for(1)
    assert received.payload is not None
    assert received.payload["data"]["replaced_by"] == view.materials[0].new_identifier


def test_every_material_of_the_request_has_its_event(cci: Cell, jevote: PlatformStandIn) -> None:
    twice = cci.twice
    asked = ask(cci, twice, materials=twice.material_ids)
    view = decide_substitution(cci.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert webhooks.wait_for_deliveries(30)
    received = jevote.wait_for(2)
    # Both sent right after the commit: the savepoint that draws the second identifier
    # did not send the first event before its row was committed.
    assert [e.state for e in queued(cci)] == ["sent", "sent"]
    data = sorted((r.payload["data"] for r in received if r.payload), key=lambda d: d["capacity"])
    assert [(d["identifier"], d["replaced_by"], d["capacity"]) for d in data] == sorted(
        ((m.old_identifier, m.new_identifier, m.capacity) for m in view.materials),
        key=lambda t: t[2],
    )


def test_every_subscribed_platform_is_told_and_no_other(cci: Cell) -> None:
    first, second, other = PlatformStandIn(), PlatformStandIn(), PlatformStandIn()
    with first.running(), second.running(), other.running():
        for name, standin, elections in (("jevote", first, [CCI]), ("miroir", second, [CCI]),
                                         ("neovote", other, ["minint-2022"])):  # fmt: skip
            created = add_platform_client(cci.deps, ADMIN, name, elections,
                                          webhook_url=standin.url)  # fmt: skip
            standin.secret = created.webhook_secret
        add_platform_client(cci.deps, ADMIN, "sans-webhooks", [CCI])
        old, new = granted(cci)
        for standin in (first, second):
            [received] = standin.wait_for(1)
            assert received.payload is not None
            assert (received.payload["data"]["identifier"],
                    received.payload["data"]["replaced_by"]) == (old, new)  # fmt: skip
    assert other.received == []
    assert len(queued(cci)) == 2
    assert first.received[0].webhook_id != second.received[0].webhook_id


def test_a_refused_request_tells_the_platform_nothing(cci: Cell, jevote: PlatformStandIn) -> None:
    asked = ask(cci)
    decide_substitution(cci.deps, SUPERVISOR, asked.id, False, "pièce d'identité illisible")
    assert ask(cci, cci.other, AGENT_2, identity_match=False).state == "refusée"
    assert webhooks.wait_for_deliveries(30)
    assert queued(cci) == [] and jevote.received == []


def test_a_grant_rolled_back_leaves_no_event(
    cci: Cell, jevote: PlatformStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = ask(cci)

    def fails(*_: object, **__: object) -> None:
        raise RuntimeError("the notice to the voter cannot be queued")

    monkeypatch.setattr(service, "notify_change", fails)  # after the event was queued
    with pytest.raises(RuntimeError):
        decide_substitution(cci.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert webhooks.wait_for_deliveries(30)
    assert queued(cci) == [] and entries(cci.deps, "webhook_queue") == []
    assert jevote.received == []
    assert material(cci, cci.voter.material_id).status == "active"


# ------------------------------------------- an election with credentials, minint


def test_with_credentials_the_material_event_comes_first_then_each_credential(
    cci: Cell, jevote: PlatformStandIn
) -> None:
    variant(cci, with_credentials=True)
    give_credentials(cci, cci.voter)
    old, new = granted(cci)
    received = jevote.wait_for(5)
    payloads = [r.payload for r in received if r.payload]
    assert Counter(p["type"] for p in payloads) == {
        "material.substituted": 1, "credential.revoked": 2, "credential.issued": 2,
    }  # fmt: skip
    assert queued(cci)[0].event_type == "material.substituted"
    [moved] = of_type(payloads, "material.substituted")
    assert (moved["data"]["identifier"], moved["data"]["replaced_by"]) == (old, new)
    assert "credential_hash" not in moved["data"]  # hashes only in the credential events
    given = mailed(cci)
    sent = jevote.bodies()
    for label in ("Mot de passe", "Clé de sécurité"):
        assert given[label] not in sent and given[label].replace("-", "") not in sent


def test_minint_events_are_unchanged(desk: Desk) -> None:
    standin = PlatformStandIn()
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                      webhook_url=standin.url)  # fmt: skip
        standin.secret = created.webhook_secret
        issued(desk)
        [received] = standin.wait_for(1)
    assert received.payload is not None
    assert received.payload["type"] == "credential.issued"
    with desk.deps.reading() as session:
        types = session.execute(select(WebhookEvent.event_type)).scalars().all()
    assert types == ["credential.issued"]
