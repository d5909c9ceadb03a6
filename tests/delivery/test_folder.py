"""The local outbox: one file per message, readable by a tester, private to its owner."""

import json
import stat
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.folder import SENDER_ADDRESS, FolderDelivery
from tests.fakes import Clock

SENDER = "CSU électeurs — Élections professionnelles 2022"
BODY = "Bonjour,\nvotre code de vérification est 123456. Il est valable 2 min 00 s.\n"


def email(recipient: str = "jeanne.dupont@interieur.gouv.fr") -> Message:
    return Message("email", recipient, SENDER, "Votre code de vérification", BODY)


def sms(recipient: str = "+33612345678") -> Message:
    return Message("sms", recipient, SENDER, "Votre code de vérification", BODY)




def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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


def test_names_sort_as_the_messages_were_sent_within_one_second(tmp_path: Path) -> None:
    clock = Clock(datetime(2022, 12, 2, 10, 30, tzinfo=UTC))
    outbox = FolderDelivery(tmp_path, clock=clock)
    sent = []
    for number in range(20):
        clock.advance(microseconds=1 + number * 37)  # all within one second
        sent.append(outbox.send(sms(f"+336123456{number:02d}")))
    assert sorted(sent) == sent


def test_messages_sent_at_the_same_instant_each_get_their_own_file(tmp_path: Path) -> None:
    instant = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)
    outbox = FolderDelivery(tmp_path, clock=lambda: instant)  # a clock held still
    names = {outbox.send(sms()) for _ in range(300)}
    assert len(names) == 300 and len(list(tmp_path.iterdir())) == 300


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


# Privacy of the folder


def test_the_folder_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    FolderDelivery(outbox).send(sms())
    assert mode(outbox) == 0o700


def test_an_existing_folder_open_to_others_is_tightened_on_the_next_message(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o755)
    outbox.chmod(0o755)
    FolderDelivery(outbox).send(email())
    assert mode(outbox) == 0o700


def test_an_existing_folder_open_to_others_is_tightened_by_the_sweep(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    outbox.chmod(0o775)
    assert FolderDelivery(outbox).erase() == 0
    assert mode(outbox) == 0o700


# Erasure: by reference, and past the retention


def test_erase_removes_the_files_its_references_name_only(tmp_path: Path) -> None:
    outbox = FolderDelivery(tmp_path)
    gone, kept = outbox.send(sms()), outbox.send(email())
    assert outbox.erase([gone, "HTTP 200", "SM3f2a9c0b1d"]) == 1
    assert [p.name for p in tmp_path.iterdir()] == [kept]


def test_a_file_older_than_the_retention_is_erased(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    outbox = FolderDelivery(tmp_path, retention=timedelta(hours=24), clock=clock)
    outbox.send(sms())
    clock.advance(hours=24, seconds=1)
    assert outbox.erase() == 1
    assert list(tmp_path.iterdir()) == []


def test_a_file_within_the_retention_stays(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    outbox = FolderDelivery(tmp_path, retention=timedelta(hours=24), clock=clock)
    name = outbox.send(email())
    clock.advance(hours=23, minutes=59)
    assert outbox.erase() == 0
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_only_files_the_outbox_named_are_erased(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    outbox = FolderDelivery(tmp_path, retention=timedelta(hours=1), clock=clock)
    notes = tmp_path / "notes.txt"
    notes.write_text("à garder")
    lookalike = tmp_path / "20000101T000000-abcdefgh.json"  # not hexadecimal: not ours
    lookalike.write_text("{}")
    outbox.send(sms())
    clock.advance(hours=2)
    assert outbox.erase(["notes.txt", "../notes.txt"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([notes.name, lookalike.name])


def test_a_dry_run_counts_the_files_without_erasing_them(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    outbox = FolderDelivery(tmp_path, retention=timedelta(hours=1), clock=clock)
    named = outbox.send(sms())
    outbox.send(email())
    clock.advance(hours=2)
    outbox.send(sms())  # young, and not named: stays either way
    assert outbox.erase([named], dry_run=True) == 2
    assert len(list(tmp_path.iterdir())) == 3
    assert outbox.erase([named]) == 2
    assert len(list(tmp_path.iterdir())) == 1


def test_erasing_before_any_message_finds_nothing(tmp_path: Path) -> None:
    assert FolderDelivery(tmp_path / "jamais-créé").erase(["x.json"]) == 0
