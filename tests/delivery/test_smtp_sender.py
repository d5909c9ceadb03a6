"""With the SMTP transport, a sender address no voter's provider would accept (the
default ``csu-electeurs@localhost``, a domain without a dot, a local one) stops the
start with a French message naming CSU_SMTP_FROM, rather than sending every code and
link to spam; the Message-ID is of the sender's domain."""

import os
from pathlib import Path

import pytest

from csu.config import ConfigError, Settings
from csu.delivery.factory import build_delivery
from csu.delivery.router import ChannelRouter
from csu.delivery.smtp import SmtpDelivery
from tests.delivery.test_smtp import (  # noqa: F401  (fixture: "server")
    RECIPIENT,
    Server,
    email,
    server_fixture,
)

SMTP = {"email_transport": "smtp", "smtp_host": "smtp.interieur.example"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets counts, not the CSU_ variables of the machine."""
    for name in list(os.environ):
        if name.startswith("CSU_"):
            monkeypatch.delenv(name)


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_the_default_sender_is_refused_with_smtp_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        build_delivery(settings(tmp_path, **SMTP))
    text = str(refused.value)
    assert text.startswith("CSU_SMTP_FROM : « csu-electeurs@localhost » ne peut pas envoyer")
    assert "définissez CSU_SMTP_FROM" in text


@pytest.mark.parametrize(
    "sender",
    [
        "csu@localhost",
        "csu@LOCALHOST",
        "csu@poste.localhost",
        "csu@localhost.localdomain",
        "csu@cellule",
        "csu@cellule.local",
        "csu@elections.",
        "csu@127.0.0.1",
        "csu@[127.0.0.1]",
        "csu@cellule.invalid",
        "csu@elections.test",
    ],
)
def test_a_sender_domain_no_relay_would_accept_is_refused(tmp_path: Path, sender: str) -> None:
    with pytest.raises(ConfigError, match=r"^CSU_SMTP_FROM : "):
        build_delivery(settings(tmp_path, **SMTP, smtp_from=sender))


def test_a_public_sender_domain_is_accepted(tmp_path: Path) -> None:
    built = build_delivery(settings(tmp_path, **SMTP, smtp_from="csu@elections.gouv.fr"))
    assert isinstance(built, ChannelRouter) and isinstance(built.email, SmtpDelivery)
    assert built.email.sender_address == "csu@elections.gouv.fr"


def test_the_default_sender_still_suits_the_outbox_folder(tmp_path: Path) -> None:
    built = build_delivery(settings(tmp_path))
    assert isinstance(built, ChannelRouter) and not isinstance(built.email, SmtpDelivery)


def test_the_message_id_is_of_the_senders_domain(server: Server) -> None:
    server.delivery().send(email())
    [received] = server.mailbox.received
    assert received.recipients == [RECIPIENT]
    assert str(received.mail["Message-ID"]).endswith("@elections.example>")
