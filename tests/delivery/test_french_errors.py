"""What agents read when a transport fails is French: never the system's English words
(« Connection refused », « Name or service not known »), OpenSSL's reason codes, nor
an exception's class name. Real servers on 127.0.0.1 (aiosmtpd, an HTTP gateway, a
TCP listener that answers nonsense)."""

import errno
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.folder import FolderDelivery
from csu.delivery.reasons import os_reason
from csu.delivery.sms_http import SmsHttpDelivery
from csu.delivery.smtp import SmtpDelivery
from csu.delivery.webhook import WebhookSender
from csu.services.outbox import deliver
from tests.delivery.test_smtp import (  # noqa: F401  (fixtures: "server", "certificate"...)
    SENDER_ADDRESS,
    Server,
    certificate,
    email,
    server_fixture,
    starttls_server_fixture,
)
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_outbox import (  # noqa: F401  (fixture: "no_proxy")
    Raising,
    no_proxy,
    queue,
    stored,
    using,
)

RESOLVER = {
    "nom d'hôte inconnu",
    "nom d'hôte sans adresse",
    "serveur de noms momentanément injoignable",
    "échec du serveur de noms",
    "nom d'hôte introuvable",
}
TLS = {
    "le serveur ne parle pas TLS sur ce port",
    "version de TLS refusée",
    "négociation TLS refusée",
    "connexion coupée pendant la négociation TLS",
    "négociation TLS impossible",
}


def sms() -> Message:
    return Message("sms", "+33612345678", "CSU", "Code", "Votre code est 123456.")


def failure_of(send: object, message: Message) -> str:
    with pytest.raises(DeliveryFailed) as failure:
        send(message)  # type: ignore[operator]
    return str(failure.value)


def reason(text: str, before: str) -> str:
    """The words in brackets after ``before``."""
    assert text.startswith(before + " ("), text
    assert text.endswith(")"), text
    return text[len(before) + 2 : -1]


@pytest.fixture
def nonsense() -> Iterator[int]:
    """A TCP port that answers any request with a line that is no protocol's."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:  # speaks first (an SMTP client waits for it), then listens
                connection.sendall(b"bonjour tout le monde\r\n\r\n")
                connection.recv(65536)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


# ------------------------------------------------------------------ network words


def test_an_unknown_gateway_host_is_said_in_french() -> None:
    delivery = SmsHttpDelivery("http://passerelle-absente.invalid/sms", "t0k3n", timeout=5)
    text = failure_of(delivery.send, sms())
    assert reason(text, "passerelle SMS passerelle-absente.invalid injoignable") in RESOLVER


def test_an_unknown_smtp_host_is_said_in_french() -> None:
    delivery = SmtpDelivery("relais-absent.invalid", 25, security="none",
                            sender_address=SENDER_ADDRESS, timeout=5)  # fmt: skip
    text = failure_of(delivery.send, email())
    assert reason(text, "serveur de courriel relais-absent.invalid:25 injoignable") in RESOLVER


def test_a_gateway_answering_nonsense_is_named_without_a_class_name(nonsense: int) -> None:
    delivery = SmsHttpDelivery(f"http://127.0.0.1:{nonsense}/sms", "t0k3n", timeout=5)
    text = failure_of(delivery.send, sms())
    assert text == f"réponse illisible de la passerelle SMS 127.0.0.1:{nonsense}"


def test_a_webhook_address_with_a_space_stored_before_it_was_refused_is_named() -> None:
    """Not « réponse illisible du récepteur »: http.client refuses the request itself."""
    with pytest.raises(DeliveryFailed) as caught:
        WebhookSender(timeout=5).send("https://hooks.exemple.fr/ b", "whsec_" + "A" * 32,
                                        "msg_1", "{}")  # fmt: skip
    assert str(caught.value) == (
        "adresse des webhooks invalide : caractère interdit dans une adresse en position 26 "
        "(espace, U+0020) : encodez-le (%20)"
    )


def test_a_relay_answering_nonsense_is_named_without_a_class_name(nonsense: int) -> None:
    delivery = SmtpDelivery("127.0.0.1", nonsense, security="none",
                            sender_address=SENDER_ADDRESS, timeout=5)  # fmt: skip
    text = failure_of(delivery.send, email())
    assert text == f"réponse illisible du serveur de courriel 127.0.0.1:{nonsense}"


def test_os_errors_without_french_words_of_their_own_give_their_number() -> None:
    assert os_reason(OSError(errno.EHOSTUNREACH, "No route to host")) == "hôte inaccessible"
    assert os_reason(OSError(errno.ENOTSUP, "Operation not supported")) == (
        f"erreur système n° {errno.ENOTSUP}"
    )
    assert os_reason(OSError("no errno at all")) == "erreur système"


# ---------------------------------------------------------------------- TLS words


def test_implicit_tls_to_a_plain_relay_is_said_in_french(server: Server) -> None:
    delivery = server.delivery(security="ssl")
    text = failure_of(delivery.send, email())
    before = f"connexion chiffrée au serveur de courriel 127.0.0.1:{server.port} impossible"
    assert reason(text, before) in TLS


def test_a_self_signed_certificate_is_said_in_french(starttls_server: Server) -> None:
    text = failure_of(starttls_server.delivery(security="starttls").send, email())
    assert text == (
        f"certificat du serveur de courriel 127.0.0.1:{starttls_server.port} refusé "
        "(certificat auto-signé)"
    )


def test_https_to_a_plain_http_gateway_is_said_in_french(nonsense: int) -> None:
    context = ssl.create_default_context()
    delivery = SmsHttpDelivery(f"https://127.0.0.1:{nonsense}/sms", "t0k3n", timeout=5,
                               ssl_context=context)  # fmt: skip
    text = failure_of(delivery.send, sms())
    before = f"connexion chiffrée à la passerelle SMS 127.0.0.1:{nonsense} impossible"
    assert reason(text, before) in TLS


# --------------------------------------------------------------- folder and outbox


def test_an_outbox_folder_that_cannot_be_made_is_said_in_french(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("pas un dossier")
    folder = FolderDelivery(tmp_path / "fichier" / "outbox")
    text = failure_of(folder.send, sms())
    assert text.endswith("inaccessible (un chemin n'est pas un dossier)")


def test_a_crashing_transport_is_recorded_without_its_class_name(desk: Desk) -> None:
    message_id = queue(desk)
    deliver(using(desk, Raising(KeyError("bug"))), [message_id])
    assert stored(desk, message_id).last_error == "erreur inattendue du transport"
