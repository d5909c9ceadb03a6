"""Credential events pushed to a platform that keeps its own credential store: queued in
the transaction of the change, POSTed after the commit, signed by the Standard Webhooks
scheme, retried with backoff. A stand-in platform on loopback receives them and checks
every signature with the ``standardwebhooks`` library."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from csu.domain import sealing
from csu.domain.credentials import normalise_typed
from csu.services import webhooks
from csu.services.credentials import revoke_credential
from csu.services.elections import get_definition
from csu.services.interventions import close_intervention
from csu.services.outbox import deliver_due as outbox_pass
from csu.services.platform_clients import add_platform_client, revoke_platform_client
from csu.services.retention import purge
from csu.services.substitution import decide_substitution
from csu.services.vote_codes import redeem_link, send_vote_code_link
from csu.store.tables import Material, PlatformClient, WebhookEvent
from tests.cli_support import assert_done, clean_environment, csu, said
from tests.conftest import ADMIN, AGENT, SUPERVISOR, TEST_KEY
from tests.services import test_substitution as substitution
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    bodies,
    desk_fixture,
    entries,
    handed_over,
    verified_call,
)
from tests.services.test_retention import AFTER_RETENTION
from tests.services.test_substitution import CCI, Cell, ask, give_credentials, mailed, variant
from tests.services.test_vote_codes import last_token, verified_teacher
from tests.webhook_standin import PlatformStandIn

cci_store = substitution.cell  # the CCI store of the S5 tests, as fixture "cci_store"
CHECKER = PasswordHasher()  # what a platform verifies with: parameters read from the hash


@dataclass
class Platform:
    standin: PlatformStandIn
    name: str = "neovote"


@pytest.fixture
def platform(desk: Desk) -> Iterator[Platform]:
    """A platform client with a webhook address, and its receiver on loopback."""
    standin = PlatformStandIn()
    with standin.running():
        created = add_platform_client(
            desk.deps, ADMIN, "neovote", ["minint-2022", "men-2022"], webhook_url=standin.url
        )
        standin.secret = created.webhook_secret
        yield Platform(standin)
        assert webhooks.wait_for_deliveries(30)


def issued(desk: Desk, kind: str = "security_key"):
    call_id = verified_call(desk, desk.caller)
    credential = handed_over(desk.deps, AGENT, call_id, desk.caller.material_id, kind)
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    assert webhooks.wait_for_deliveries(30)
    return credential


def events(desk: Desk) -> list[WebhookEvent]:
    with desk.deps.reading() as session:
        return list(session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars())


# ------------------------------------------------------------------- issued


def test_an_issued_key_reaches_the_platform_signed_with_its_secret(
    desk: Desk, platform: Platform
) -> None:
    key = issued(desk)
    [received] = platform.standin.wait_for(1)
    assert received.status == 200  # the library verified webhook-id, -timestamp, -signature
    assert received.webhook_id.startswith("msg_")
    assert received.payload is not None
    assert received.payload["type"] == "credential.issued"
    data = received.payload["data"]
    assert (data["election"], data["identifier"], data["kind"], data["event"]) == (
        "minint-2022", desk.caller.identifier, "security_key", "issued",
    )
    assert CHECKER.verify(data["credential_hash"], key.value)
    assert data["credential_hash"].startswith("$argon2id$")


def test_the_payload_never_holds_the_credential(desk: Desk, platform: Platform) -> None:
    key = issued(desk)
    platform.standin.wait_for(1)
    sent = platform.standin.bodies()
    assert key.value not in sent
    assert key.display not in sent


def test_a_password_goes_as_the_argon2id_hash_the_cell_keeps(
    desk: Desk, platform: Platform
) -> None:
    password = issued(desk, "password")
    [received] = platform.standin.wait_for(1)
    assert received.payload is not None
    phc = received.payload["data"]["credential_hash"]
    assert CHECKER.verify(phc, password.value)
    [event] = events(desk)
    assert (event.state, event.attempts, event.reference) == ("sent", 1, "HTTP 200")


def test_a_reissued_key_is_sent_again_and_the_platform_can_tell_the_new_one(
    desk: Desk, platform: Platform
) -> None:
    first, second = issued(desk), issued(desk)
    received = platform.standin.wait_for(2)
    hashes = [r.payload["data"]["credential_hash"] for r in received if r.payload]
    assert CHECKER.verify(hashes[1], second.value)
    assert not _verifies(hashes[1], first.value)
    assert len({r.webhook_id for r in received}) == 2


def test_a_vote_code_redeemed_by_link_reaches_the_platform(
    desk: Desk, platform: Platform
) -> None:
    call_id = verified_teacher(desk)
    send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "sms",
                        "06 12 34 56 78")
    code = redeem_link(desk.deps, last_token(desk))
    assert webhooks.wait_for_deliveries(30)
    [received] = platform.standin.wait_for(1)
    assert received.payload is not None
    data = received.payload["data"]
    assert (data["election"], data["identifier"], data["kind"]) == (
        "men-2022", desk.teacher.identifier, "vote_code",
    )
    assert CHECKER.verify(data["credential_hash"], code.value)


# ------------------------------------------------------------------ revoked


def test_an_invalidated_key_is_revoked_at_the_platform(desk: Desk, platform: Platform) -> None:
    issued(desk)
    call_id = verified_call(desk, desk.caller)
    revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key",
                      "carte agent volée")
    assert webhooks.wait_for_deliveries(30)
    received = platform.standin.wait_for(2)
    assert received[1].payload is not None
    assert received[1].payload["type"] == "credential.revoked"
    data = received[1].payload["data"]
    assert (data["identifier"], data["kind"], data["event"], data["cause"]) == (
        desk.caller.identifier, "security_key", "revoked", "invalidated",
    )
    assert "volée" not in platform.standin.bodies()  # the agent's words stay in the cell


def test_substitution_revokes_the_original_and_issues_the_new_material(
    cci_store: Cell,
) -> None:
    variant(cci_store, with_credentials=True)
    give_credentials(cci_store, cci_store.voter)
    standin = PlatformStandIn()
    with standin.running():
        created = add_platform_client(cci_store.deps, ADMIN, "cci-vote", [CCI],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        asked = ask(cci_store)
        decide_substitution(cci_store.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
        assert webhooks.wait_for_deliveries(30)
        received = standin.wait_for_events(*(
            (event, kind) for event in ("credential.revoked", "credential.issued")
            for kind in ("security_key", "password")
        ))  # fmt: skip
    assert all(r.status == 200 for r in received)
    payloads = [r.payload for r in received if r.payload]
    given = mailed(cci_store)
    old, new = cci_store.voter.identifiers[0], given["Identifiant de vote"]
    revoked = {p["data"]["kind"]: p["data"] for p in payloads
               if p["type"] == "credential.revoked"}
    assert {kind: (d["identifier"], d["cause"]) for kind, d in revoked.items()} == {
        "security_key": (old, "substituted"), "password": (old, "substituted"),
    }
    issued_now = {p["data"]["kind"]: p["data"] for p in payloads
                  if p["type"] == "credential.issued"}
    assert {d["identifier"] for d in issued_now.values()} == {new}
    assert {d["replaces"] for d in issued_now.values()} == {old}
    for kind, label in (("password", "Mot de passe"), ("security_key", "Clé de sécurité")):
        typed = given[label].replace("-", "")  # as a voter logs in: without the dashes
        assert CHECKER.verify(issued_now[kind]["credential_hash"], typed)


# ------------------------------------------------------------ transactions


def test_an_event_is_queued_in_the_transaction_of_the_change(desk: Desk,
                                                              platform: Platform) -> None:
    with pytest.raises(RuntimeError), desk.deps.writing() as session:
        material = session.get(Material, desk.caller.material_id)
        assert material is not None
        queued = webhooks.credential_revoked(
            session, desk.deps, AGENT.actor, material=material, kind="password",
            credential_id=None, cause="invalidated", now=desk.clock(),
        )
        assert len(queued) == 1
        raise RuntimeError("the change fails after the event was queued")
    assert webhooks.wait_for_deliveries(30)
    assert events(desk) == []
    assert entries(desk.deps, "webhook_queue") == []
    assert platform.standin.received == []


def test_without_a_webhook_address_no_event_is_queued(desk: Desk) -> None:
    add_platform_client(desk.deps, ADMIN, "sans-webhooks", ["minint-2022"])
    issued(desk)
    assert events(desk) == []
    assert entries(desk.deps, "webhook_queue") == []


def test_a_client_of_another_election_gets_no_event(desk: Desk) -> None:
    standin = PlatformStandIn()
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "educ-vote", ["men-2022"],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        issued(desk)  # minint-2022
    assert events(desk) == []
    assert standin.received == []


# ---------------------------------------------------------------- retries


def test_a_receiver_answering_500_then_200_gets_the_event_accepted_once(desk: Desk) -> None:
    standin = PlatformStandIn(statuses=[500])
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        key = issued(desk)
        [event] = events(desk)
        assert (event.state, event.attempts) == ("pending", 1)
        assert event.last_error == (
            "le récepteur de webhooks 127.0.0.1:"
            f"{standin.server.server_address[1]} refuse l'événement "
            "(HTTP 500, erreur interne)"
        )
        assert outbox_pass(desk.deps) == {}  # not due yet: 30 s later
        desk.clock.advance(seconds=30)
        outbox_pass(desk.deps)  # the terminals' pass delivers webhooks too
        first, second = standin.wait_for(2)
    assert (first.status, second.status) == (500, 200)
    assert first.webhook_id == second.webhook_id  # the same event, for deduplication
    [accepted] = standin.accepted
    assert CHECKER.verify(accepted["data"]["credential_hash"], key.value)
    [event] = events(desk)
    assert (event.state, event.attempts, event.payload_sealed) == ("sent", 2, None)
    assert [e["outcome"] for e in entries(desk.deps) if e["action"].startswith("webhook_")] == [
        "ok", "pending", "ok",
    ]


def test_a_receiver_down_fails_after_the_last_attempt_and_is_resent_on_request(
    desk: Desk,
) -> None:
    standin = PlatformStandIn(statuses=[503] * webhooks.MAX_ATTEMPTS)
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        issued(desk)
        pauses = []
        while events(desk)[0].state == "pending":
            wait = events(desk)[0].next_attempt_at - desk.clock()
            pauses.append(int(wait.total_seconds()))
            desk.clock.advance(seconds=wait.total_seconds())
            webhooks.deliver_due(desk.deps)
        [event] = events(desk)
        assert (event.state, event.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
        assert pauses == [30, 60, 120, 240, 480, 960, 1920]
        assert event.payload_sealed is not None  # kept sealed, for a resend
        assert webhooks.resend_webhook(desk.deps, SUPERVISOR, event.id or 0) == "sent"
        received = standin.wait_for(webhooks.MAX_ATTEMPTS + 1)
    assert len({r.webhook_id for r in received}) == 1
    assert len(standin.accepted) == 1


def test_events_of_a_revoked_client_are_abandoned(desk: Desk) -> None:
    standin = PlatformStandIn(statuses=[500])
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        issued(desk)
        revoke_platform_client(desk.deps, ADMIN, "neovote")
        desk.clock.advance(minutes=1)
        assert webhooks.deliver_due(desk.deps) == {events(desk)[0].id: "abandoned"}
        assert len(standin.received) == 1
    [event] = events(desk)
    assert (event.state, event.payload_sealed) == ("abandoned", None)


# ------------------------------------------------------------- what is kept


def test_the_signing_secret_is_stored_sealed_never_in_clear(desk: Desk) -> None:
    created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                  webhook_url="https://vote.example.fr/csu-hooks")
    secret = created.webhook_secret
    assert secret is not None and secret.startswith("whsec_")
    assert secret not in repr(created)
    with desk.deps.reading() as session:
        row = session.execute(select(PlatformClient)).scalar_one()
    assert row.webhook_secret_sealed is not None
    assert secret not in row.webhook_secret_sealed
    assert sealing.unseal(TEST_KEY, webhooks.SECRET_SEAL_PURPOSE,
                          row.webhook_secret_sealed) == secret


def test_the_journal_names_the_material_by_number_never_the_identifier(
    desk: Desk, platform: Platform
) -> None:
    issued(desk)
    platform.standin.wait_for(1)
    queued, sent = entries(desk.deps, "webhook_queue"), entries(desk.deps, "webhook_sent")
    assert len(queued) == len(sent) == 1
    for entry in (*queued, *sent):
        assert entry["details"]["material"] == desk.caller.material_id
        assert entry["details"]["client"] == "neovote"
        assert entry["details"]["event"] == "credential.issued"
    assert desk.caller.identifier not in bodies(desk.deps)


def test_an_undelivered_payload_is_sealed_and_names_nothing_in_clear(desk: Desk) -> None:
    add_platform_client(desk.deps, ADMIN, "injoignable", ["minint-2022"],
                        webhook_url="http://127.0.0.1:9/csu-hooks")  # nobody listens
    key = issued(desk)
    [event] = events(desk)
    assert event.state == "pending"
    assert event.payload_sealed is not None
    for clear in (desk.caller.identifier, key.value, "$argon2id$"):
        assert clear not in event.payload_sealed
    payload = sealing.unseal(TEST_KEY, webhooks.SEAL_PURPOSE, event.payload_sealed)
    assert desk.caller.identifier in payload


def test_a_purge_erases_the_payloads_not_delivered(desk: Desk) -> None:
    add_platform_client(desk.deps, ADMIN, "injoignable", ["minint-2022"],
                        webhook_url="http://127.0.0.1:9/csu-hooks")  # nobody listens
    issued(desk)
    desk.clock.now = AFTER_RETENTION
    purge(desk.deps, ADMIN, election="minint-2022")
    [event] = events(desk)
    assert (event.state, event.payload_sealed, event.last_error) == ("abandoned", None, None)
    assert webhooks.deliver_due(desk.deps) == {}


def test_the_hash_sent_for_a_key_is_of_its_stored_form(desk: Desk, platform: Platform) -> None:
    """A platform checks what the voter types once normalised: dashes dropped, upper case."""
    key = issued(desk)
    [received] = platform.standin.wait_for(1)
    assert received.payload is not None
    with desk.deps.reading() as session:
        fmt = get_definition(session, "minint-2022").credentials["security_key"]
    typed = key.display.lower()  # "k7mp-x2qd-…" as a voter may type it
    assert CHECKER.verify(received.payload["data"]["credential_hash"],
                          normalise_typed(fmt, typed))


def _verifies(phc: str, value: str) -> bool:
    try:
        return CHECKER.verify(phc, value)
    except Exception:
        return False


# ------------------------------------------------------------------ commands


def test_platform_add_prints_the_signing_secret_once_before_the_key(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = command_line(desk, monkeypatch)
    result = csu("platform", "add", "neovote", "--election", "minint-2022",
                 "--webhook-url", "https://vote.example.fr/csu-hooks", "--db", database)
    assert_done(result)
    lines = result.output.rstrip("\n").splitlines()
    [secret_line] = [line for line in lines if line.startswith("whsec_")]
    assert lines[-1].startswith("csu_")  # the key stays alone on the last line
    assert "Secret de signature des webhooks" in said(result)
    with desk.deps.reading() as session:
        row = session.execute(select(PlatformClient)).scalar_one()
    assert row.webhook_secret_sealed is not None
    assert sealing.unseal(TEST_KEY, webhooks.SECRET_SEAL_PURPOSE,
                          row.webhook_secret_sealed) == secret_line


def test_platform_webhooks_lists_the_events_and_resends_a_failed_one(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = PlatformStandIn(statuses=[503] * webhooks.MAX_ATTEMPTS)
    with standin.running():
        created = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"],
                                      webhook_url=standin.url)
        standin.secret = created.webhook_secret
        issued(desk)
        while events(desk)[0].state == "pending":
            desk.clock.advance(hours=1)
            webhooks.deliver_due(desk.deps)
        [event] = events(desk)
        database = command_line(desk, monkeypatch)
        listed = csu("platform", "webhooks", "neovote", "--failed", "--db", database)
        assert_done(listed)
        [row] = [[cell.strip() for cell in line.split("│")[1:-1]]
                 for line in listed.output.splitlines() if line.startswith("│")]
        number, client, what, material, _, state, attempts, error = row
        assert (number, client, what, material, state, attempts) == (
            str(event.id), "neovote", "credential.issued (security_key)",
            f"n° {desk.caller.material_id}", "échec", str(webhooks.MAX_ATTEMPTS),
        )
        assert error.startswith("le récepteur de webhooks 127.0.0.1:")
        assert desk.caller.identifier not in listed.output
        resent = csu("platform", "webhooks", "--resend", str(event.id), "--db", database)
        assert_done(resent)
        assert f"Webhook n° {event.id} renvoyé : remis." in said(resent)
    assert len(standin.accepted) == 1


def command_line(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``csu`` command on the desk's store; its database URL."""
    clean_environment(desk.tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", TEST_KEY.decode())
    return desk.deps.engine.url.render_as_string(hide_password=False)
