"""The Interior security key by post (issue 14 §3, seed 002): a new key that exists only
inside a letter to the voter's home, a PDF queued through the outbox to the print
folder, journalled without the key."""

import csv
import dataclasses
import re
import stat
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from csu.delivery.folder import FolderDelivery
from csu.delivery.router import ChannelRouter
from csu.services.context import Deps, ServiceError
from csu.services.letters import letter_preview, send_key_by_post
from csu.services.platform import check_login
from csu.services.rolls import import_voters
from csu.store.tables import Credential
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
    verified_call,
)

ADDRESS = "Appartement 12\n18 rue de la Paix\n59000 Lille"
MASKED = "A********** 1*, 1* r** d* l* P***, 59*** L****"
KEY = re.compile(r"\b([2-9A-Z]{4})-([2-9A-Z]{4})-([2-9A-Z]{4})-([2-9A-Z]{4})\b")


def with_address(desk: Desk, caller: Caller, address: str = ADDRESS) -> None:
    """The roll, imported again with the caller's home address."""
    row = caller.row | {"adresse_postale": address}
    path = desk.tmp_path / "adresse.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(row), delimiter=";")
        writer.writeheader()
        writer.writerow(row)
    assert import_voters(desk.deps, ADMIN, path, caller.election).committed


def printing(desk: Desk) -> tuple[Deps, Path]:
    """The desk's deps with a print folder for letters (e-mail and SMS: the outbox)."""
    folder = desk.tmp_path / "impression"
    router = ChannelRouter(desk.outbox, desk.outbox, post=FolderDelivery(folder))
    return dataclasses.replace(desk.deps, delivery=router), folder


def letter_text(folder: Path) -> str:
    [pdf] = folder.glob("*.pdf")
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def sent_key(desk: Desk) -> tuple[Deps, Path, str]:
    """A key sent by post to the caller; the key as the letter gives it."""
    with_address(desk, desk.caller)
    deps, folder = printing(desk)
    call = verified_call(desk, desk.caller)
    queued = send_key_by_post(deps, AGENT, call, desk.caller.material_id)
    assert queued.state == "sent"
    found = KEY.search(letter_text(folder))
    assert found is not None
    return deps, folder, "".join(found.groups())


def test_the_new_key_is_in_a_letter_in_the_print_folder_and_works(desk: Desk) -> None:
    deps, folder, key = sent_key(desk)
    caller = desk.caller
    assert check_login(deps, caller.election, caller.identifier, caller.birth_date,
                       security_key=key)  # fmt: skip
    text = letter_text(folder)
    assert "18 rue de la Paix" in text and "59000 Lille" in text and caller.matricule in text


def test_the_print_folder_and_its_letters_are_the_owners_only(desk: Desk) -> None:
    _, folder, _ = sent_key(desk)
    [pdf] = folder.glob("*.pdf")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600


def test_the_letter_gives_the_support_numbers_of_the_election(desk: Desk) -> None:
    _, folder, _ = sent_key(desk)
    text = letter_text(folder)
    for number in ("01 80 15 43 21", "0 800 808 900", "05 56 42 72 47"):
        assert number in text


def test_the_journal_has_the_masked_address_and_never_the_key(desk: Desk) -> None:
    deps, _, key = sent_key(desk)
    [issued] = entries(deps, "credential_issue")
    assert (issued["details"]["channel"], issued["details"]["recipient"]) == ("post", MASKED)
    journal = bodies(deps)
    assert key not in journal and key[:4] + "-" + key[4:8] not in journal
    assert "rue de la Paix" not in journal


def test_the_key_is_kept_only_as_a_hash(desk: Desk) -> None:
    deps, _, key = sent_key(desk)
    with deps.reading() as session:
        rows = session.execute(select(Credential)).scalars().all()
    assert rows and all(key not in (row.hash, row.prefix_hash) for row in rows)


def test_the_voter_is_told_by_another_channel_that_a_letter_is_coming(desk: Desk) -> None:
    sent_key(desk)
    notice = desk.outbox.last_email() if desk.outbox.sent else None
    assert notice is not None
    assert "par courrier à votre domicile" in str(notice.get_content())


def test_the_preview_shows_the_address_masked(desk: Desk) -> None:
    with_address(desk, desk.caller)
    call = open_call(desk, desk.caller)
    preview = letter_preview(desk.deps, AGENT, call.id, desk.caller.material_id)
    assert preview.allowed and preview.address == MASKED


def test_without_an_address_on_the_roll_no_letter_and_no_new_key(desk: Desk) -> None:
    deps, folder = printing(desk)
    call = verified_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="Aucune adresse postale"):
        send_key_by_post(deps, AGENT, call, desk.caller.material_id)
    assert entries(deps, "credential_issue") == [] and not folder.exists()


def test_without_a_verified_identity_no_letter(desk: Desk) -> None:
    with_address(desk, desk.caller)
    deps, folder = printing(desk)
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError):
        send_key_by_post(deps, AGENT, call.id, desk.caller.material_id)
    assert not folder.exists()
