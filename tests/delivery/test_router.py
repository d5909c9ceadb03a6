"""One transport per channel: the router hands each message to its channel's transport."""

from dataclasses import dataclass, field

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.router import ChannelRouter

EMAIL = Message("email", "jeanne.dupont@interieur.gouv.fr", "CSU", "Code", "123456")
SMS = Message("sms", "+33612345678", "CSU", "Code", "123456")


@dataclass
class Recorder:
    """A transport that keeps what it is given and answers with its name."""

    name: str
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> str:
        self.sent.append(message)
        return f"{self.name}-{len(self.sent)}"


class Refusing:
    def send(self, message: Message) -> str:
        raise DeliveryFailed("serveur de courriel 127.0.0.1:2525 injoignable (Connection refused)")


def test_an_email_goes_to_the_email_transport_only() -> None:
    email, sms = Recorder("smtp"), Recorder("http")
    ChannelRouter(email=email, sms=sms).send(EMAIL)
    assert (email.sent, sms.sent) == ([EMAIL], [])


def test_an_sms_goes_to_the_sms_transport_only() -> None:
    email, sms = Recorder("smtp"), Recorder("http")
    ChannelRouter(email=email, sms=sms).send(SMS)
    assert (email.sent, sms.sent) == ([], [SMS])


def test_the_reference_is_the_transport_s_own() -> None:
    router = ChannelRouter(email=Recorder("smtp"), sms=Recorder("http"))
    assert (router.send(EMAIL), router.send(SMS)) == ("smtp-1", "http-1")


def test_a_transport_s_failure_reaches_the_caller_unchanged() -> None:
    router = ChannelRouter(email=Refusing(), sms=Recorder("http"))
    with pytest.raises(DeliveryFailed, match="injoignable"):
        router.send(EMAIL)
