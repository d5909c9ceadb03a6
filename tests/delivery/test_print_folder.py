"""Letters to voters' homes (channel ``post``): a PDF file in the print folder, the
owner's only, erased past its retention like the outbox's files."""

import base64
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csu.config import Settings
from csu.delivery import DeliveryFailed, Message
from csu.delivery.factory import PRINT_RETENTION, build_delivery
from csu.delivery.folder import FolderDelivery
from csu.delivery.router import ChannelRouter

PDF = b"%PDF-1.3\n% une lettre\n%%EOF\n"
ADDRESS = "Léa MARTIN\n18 rue de la Paix\n59000 Lille"
WRITTEN = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)


def letter(body: bytes = PDF) -> Message:
    return Message("post", ADDRESS, "CSU électeurs", "Fiche clé", base64.b64encode(body).decode())


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CSU_"):
            monkeypatch.delenv(name)


def test_a_letter_becomes_a_pdf_file_for_the_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "impression"
    name = FolderDelivery(folder, clock=lambda: WRITTEN).send(letter())
    assert name.endswith(".pdf") and (folder / name).read_bytes() == PDF
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_a_body_that_is_no_pdf_is_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(DeliveryFailed, match="ce n'est pas un PDF"):
        FolderDelivery(tmp_path).send(letter(b"<html>"))
    with pytest.raises(DeliveryFailed, match="PDF mal encodé"):
        FolderDelivery(tmp_path).send(Message("post", ADDRESS, "CSU", "Fiche", "pas du base64!"))


def test_letters_past_their_retention_are_erased(tmp_path: Path) -> None:
    clock = [WRITTEN]
    printer = FolderDelivery(tmp_path, retention=PRINT_RETENTION, clock=lambda: clock[0])
    printer.send(letter())
    clock[0] += PRINT_RETENTION - timedelta(minutes=1)
    assert printer.erase() == 0
    clock[0] += timedelta(minutes=2)
    assert printer.erase() == 1 and list(tmp_path.glob("*.pdf")) == []


def test_the_settings_put_letters_in_the_print_folder_beside_the_outbox(tmp_path: Path) -> None:
    delivery = build_delivery(Settings(data_dir=tmp_path))  # type: ignore[call-arg]
    name = delivery.send(letter())
    assert (tmp_path / "impression" / name).read_bytes() == PDF
    assert not (tmp_path / "outbox").exists()


def test_a_router_without_a_print_folder_refuses_letters(tmp_path: Path) -> None:
    outbox = FolderDelivery(tmp_path)
    with pytest.raises(DeliveryFailed, match="aucun dossier d'impression"):
        ChannelRouter(outbox, outbox).send(letter())
