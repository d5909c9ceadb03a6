"""End to end, through the real API server: a platform that keeps its own credential
store learns by signed webhooks what the cell issues, and its login checks through
``/logins/check`` follow: the new credential logs in, the one it replaced no longer
does, an original the platform mailed included. The stand-in platform receives the
webhooks on loopback and verifies them with the ``standardwebhooks`` library."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import SQLModel

from csu.services import webhooks
from csu.services.interventions import close_intervention
from csu.services.originals import import_originals
from csu.services.platform_clients import add_platform_client
from csu.store.tables import WebhookEvent
from tests.api.conftest import Api, issued_login, login_path
from tests.api.test_tokens import redeem, sent_link
from tests.cli_support import assert_done, clean_environment, csu
from tests.conftest import ADMIN, AGENT, TEST_KEY
from tests.services.intervention_support import Desk, handed_over, verified_call
from tests.webhook_standin import PlatformStandIn

CHECKER = PasswordHasher()
ORIGINALS = PasswordHasher(time_cost=1, memory_cost=7 * 1024, parallelism=1)
HOOKS = "neovote-hooks"  # the platform's client that receives webhooks


@dataclass
class Platform:
    """The API served, and the platform's webhook receiver."""

    api: Api
    standin: PlatformStandIn
    secret: str

    @property
    def desk(self) -> Desk:
        return self.api.desk

    def check(self, secrets: dict[str, str]) -> bool:
        body = {"identifier": self.desk.caller.identifier, "secrets": secrets}
        response = self.api.post(login_path(), body)
        assert response.status_code == 200, response.text
        return bool(response.json()["valid"])

    def received(self, count: int) -> list[dict]:
        """The first ``count`` payloads, once all are in, each verified and accepted."""
        assert webhooks.wait_for_deliveries(30)
        arrived = self.standin.wait_for(count)
        assert len(arrived) == count
        assert all(r.status == 200 and r.payload for r in arrived)
        return [r.payload for r in arrived if r.payload]


def platform_with(api: Api, statuses: list[int]) -> Iterator[Platform]:
    standin = PlatformStandIn(statuses)
    with standin.running():
        created = add_platform_client(api.desk.deps, ADMIN, HOOKS, ["minint-2022", "men-2022"],
                                      webhook_url=standin.url)
        assert created.webhook_secret is not None
        standin.secret = created.webhook_secret
        yield Platform(api, standin, created.webhook_secret)
        assert webhooks.wait_for_deliveries(30)


@pytest.fixture
def platform(api: Api) -> Iterator[Platform]:
    yield from platform_with(api, [])


@pytest.fixture
def flaky_platform(api: Api) -> Iterator[Platform]:
    """A receiver that answers 500 to the first webhook."""
    yield from platform_with(api, [500])


def reissued_key(desk: Desk) -> str:
    call_id = verified_call(desk, desk.caller)
    key = handed_over(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    return key.display


def plain(display: str) -> str:
    """A credential as stored, and as the platform hashes what the voter types."""
    return display.replace("-", "")


def test_a_key_the_cell_issues_logs_in_and_the_one_it_replaced_no_longer_does(
    platform: Platform,
) -> None:
    first = issued_login(platform.desk, platform.desk.caller)
    sent = {p["data"]["kind"]: p["data"] for p in platform.received(2)}
    for kind in ("security_key", "password"):
        assert sent[kind]["identifier"] == platform.desk.caller.identifier
        assert CHECKER.verify(sent[kind]["credential_hash"], plain(first[kind]))
    assert platform.check(first)

    second = reissued_key(platform.desk)
    [*_, pushed] = platform.received(3)
    assert CHECKER.verify(pushed["data"]["credential_hash"], plain(second))
    assert not platform.check(first)
    assert platform.check({**first, "security_key": second})


def test_an_original_imported_then_replaced_no_longer_logs_in(platform: Platform) -> None:
    desk = platform.desk
    key, password = "K7MPX2QD9RFAH3TW", "k7Mpx2QD9rfa"
    export = desk.tmp_path / "originaux.csv"
    export.write_text(
        "identifiant;type;hash;prefixe_hash\n"
        f"{desk.caller.identifier};cle_securite;{ORIGINALS.hash(key)};"
        f"{ORIGINALS.hash(key[:6])}\n"
        f"{desk.caller.identifier};mot_de_passe;{ORIGINALS.hash(password)};\n",
        encoding="utf-8",
    )
    assert import_originals(desk.deps, ADMIN, export, "minint-2022").committed
    original = {"security_key": "K7MP-X2QD-9RFA-H3TW", "password": password}
    assert platform.check(original)

    new = reissued_key(desk)
    [pushed] = platform.received(1)  # the platform learns the new key
    assert CHECKER.verify(pushed["data"]["credential_hash"], plain(new))
    assert not platform.check(original)
    assert platform.check({**original, "security_key": new})


def test_a_vote_code_redeemed_through_the_api_is_pushed_to_the_platform(
    platform: Platform,
) -> None:
    response = redeem(platform.api, sent_link(platform.api))
    assert response.status_code == 200, response.text
    [pushed] = platform.received(1)
    assert pushed["type"] == "credential.issued"
    data = pushed["data"]
    assert (data["election"], data["identifier"], data["kind"]) == (
        "men-2022", platform.desk.teacher.identifier, "vote_code",
    )
    assert CHECKER.verify(data["credential_hash"], plain(response.json()["vote_code"]))


def test_a_receiver_answering_500_then_200_gets_the_event_once_accepted(
    flaky_platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = flaky_platform
    response = redeem(platform.api, sent_link(platform.api))
    code = plain(response.json()["vote_code"])
    assert webhooks.wait_for_deliveries(30)
    [refused] = platform.standin.wait_for(1)
    assert refused.status == 500
    # `csu outbox deliver` (what every open terminal does every 30 s), on the real clock:
    # the retry is due.
    clean_environment(platform.desk.tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", TEST_KEY.decode())
    database = platform.desk.deps.engine.url.render_as_string(hide_password=False)
    assert_done(csu("outbox", "deliver", "--db", database))
    first, second = platform.standin.wait_for(2)
    assert (first.status, second.status) == (500, 200)
    assert first.webhook_id == second.webhook_id
    [accepted] = platform.standin.accepted
    assert CHECKER.verify(accepted["data"]["credential_hash"], code)


def test_nothing_in_clear_in_any_table(platform: Platform) -> None:
    desk = platform.desk
    # A second client whose receiver is down: its events stay queued, sealed.
    add_platform_client(desk.deps, ADMIN, "injoignable", ["minint-2022"],
                        webhook_url="http://127.0.0.1:9/csu-hooks")
    first = issued_login(desk, desk.caller)
    second = reissued_key(desk)
    # By kind, not by place: two deliveries may arrive in either order.
    key_hashes = [
        p["data"]["credential_hash"]
        for p in platform.received(3)
        if p["data"]["kind"] == "security_key"
    ]
    assert len(key_hashes) == 2
    with desk.deps.reading() as session:
        pending = session.execute(
            select(WebhookEvent).where(WebhookEvent.state == "pending")
        ).scalars().all()
    assert len(pending) == 3
    stored = every_stored_text(desk)
    secrets = [*first.values(), *map(plain, first.values()), second, plain(second),
               platform.secret, platform.secret.removeprefix("whsec_"), platform.api.key]
    for secret in secrets:
        assert secret not in stored
    # The light argon2id hash of a security key exists only sealed, and only until sent.
    for sent in key_hashes:
        assert sent not in stored


def every_stored_text(desk: Desk) -> str:
    """Every value of every row of every table, as one text."""
    parts: list[str] = []
    with desk.deps.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("utf-8", "replace"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)
