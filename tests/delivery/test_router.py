"""One transport per channel: the router hands each message to its channel's transport."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.folder import FolderDelivery
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


def test_erasing_copies_reaches_a_folder_shared_by_both_channels_once(tmp_path: Path) -> None:
    folder = FolderDelivery(tmp_path)
    router = ChannelRouter(email=folder, sms=folder)
    names = [router.send(EMAIL), router.send(SMS)]
    assert router.erase(names) == 2
    assert list(tmp_path.iterdir()) == []


def test_erasing_copies_reaches_a_folder_no_channel_uses_any_more(tmp_path: Path) -> None:
    old = FolderDelivery(tmp_path)
    name = old.send(SMS)  # before the cell configured its transports
    router = ChannelRouter(email=Recorder("smtp"), sms=Recorder("http"), leftovers=old)
    assert router.erase([name]) == 1
    assert list(tmp_path.iterdir()) == []


def test_transports_that_keep_no_copy_have_nothing_to_erase() -> None:
    router = ChannelRouter(email=Recorder("smtp"), sms=Recorder("http"))
    assert router.erase(["smtp-1"]) == 0
