"""The local outbox: one file per message, readable by a tester, private to its owner."""

import json
import stat
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.folder import SENDER_ADDRESS, FolderDelivery

SENDER = "CSU électeurs — Élections professionnelles 2022"
BODY = "Bonjour,\nvotre code de vérification est 123456. Il est valable 2 min 00 s.\n"


def email(recipient: str = "jeanne.dupont@interieur.gouv.fr") -> Message:
    return Message("email", recipient, SENDER, "Votre code de vérification", BODY)


def sms(recipient: str = "+33612345678") -> Message:
    return Message("sms", recipient, SENDER, "Votre code de vérification", BODY)


def parsed(path: Path) -> EmailMessage:
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(mail, EmailMessage)
    return mail


def test_an_email_becomes_an_eml_file_named_by_the_reference(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    name = FolderDelivery(outbox).send(email())
    assert name.endswith(".eml")
    assert [p.name for p in outbox.iterdir()] == [name]


def test_the_eml_file_parses_back_to_the_message(tmp_path: Path) -> None:
    name = FolderDelivery(tmp_path).send(email())
    mail = parsed(tmp_path / name)
    [sender] = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (SENDER, SENDER_ADDRESS)
    assert mail["To"] == "jeanne.dupont@interieur.gouv.fr"
    assert mail["Subject"] == "Votre code de vérification"
    assert mail.get_content() == BODY
    assert mail["Date"].datetime.tzinfo is not None


def test_a_sender_name_with_a_comma_stays_one_display_name(tmp_path: Path) -> None:
    name = "CCI Hauts-de-France, élections consulaires 2021"
    message = Message("email", "jeanne.dupont@exemple.fr", name, "Votre code", BODY)
    mail = parsed(tmp_path / FolderDelivery(tmp_path).send(message))
    assert [a.display_name for a in mail["From"].addresses] == [name]


def test_an_sms_becomes_a_json_file(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    name = FolderDelivery(tmp_path).send(sms())
    assert name.endswith(".json")
    record = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert (record["to"], record["from"], record["text"]) == ("+33612345678", SENDER, BODY)
    assert datetime.fromisoformat(record["at"]) >= before


def test_each_message_gets_its_own_file(tmp_path: Path) -> None:
    outbox = FolderDelivery(tmp_path)
    names = {outbox.send(sms()) for _ in range(5)} | {outbox.send(email()) for _ in range(5)}
    assert len(names) == 10 and len(list(tmp_path.iterdir())) == 10


@pytest.mark.parametrize("message", [email(), sms()], ids=["email", "sms"])
def test_files_are_readable_by_their_owner_only(tmp_path: Path, message: Message) -> None:
    name = FolderDelivery(tmp_path).send(message)
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_an_unwritable_folder_raises_delivery_failed_in_french(tmp_path: Path) -> None:
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier")
    outbox = blocker / "outbox"
    with pytest.raises(DeliveryFailed, match=r"^boîte d'envoi .* inaccessible") as failed:
        FolderDelivery(outbox).send(sms())
    assert str(outbox) in str(failed.value)
