"""Whom the voter calls (issue 14 §3): every message to a voter carries the support
numbers of their election (Interior: the CSU's and the platform's two), a CCI voter's
carries their CCIL; the caller's number is recorded as a presumption of a call from
the workstation (seed 002), never as a secret factor."""

import csv
import dataclasses
import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.delivery.folder import FolderDelivery
from csu.services.context import Deps, ServiceError
from csu.services.elections import get_definition, load_election
from csu.services.notices import notify_change
from csu.services.outbox import deliver
from csu.services.rolls import import_voters
from csu.services.support import voter_support
from csu.services.verification import verify_identity
from csu.store.tables import Intervention, Voter
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    call_with_key,
    desk_fixture,
    entries,
    open_call,
)

INTERIOR_NUMBERS = ("01 80 15 43 21", "0 800 808 900", "05 56 42 72 47")


def test_a_notice_by_email_gives_the_interior_numbers(desk: Desk) -> None:
    # An SMS gives one number only (tests/services/test_voter_messages.py).
    call_with_key(desk)
    text = str(desk.outbox.last_email().get_content())
    for number in INTERIOR_NUMBERS:
        assert number in text
    assert "CSU électeurs : 01 80 15 43 21 (tous les jours du 01/12/22" in text


def test_a_cci_voters_notice_gives_their_ccil(deps: Deps, tmp_path: Path) -> None:
    load_election(deps, ADMIN, (ELECTIONS / "cci-hdf-2021.toml").read_text(encoding="utf-8"),
                  "cci-hdf-2021.toml")  # fmt: skip
    row = {"matricule": "CCI00001", "nom": "Lefebvre", "prenom": "Anne",
           "date_naissance": "04/05/1975", "bureau": "CCI-HDF-ARTOIS",
           "identifiant": "9999000001", "qualite": "représentant",
           "email_pro": "anne.lefebvre@exemple.fr", "circonscription": "Artois"}  # fmt: skip
    path = tmp_path / "cci.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(row), delimiter=";")
        writer.writeheader()
        writer.writerow(row)
    assert import_voters(deps, ADMIN, path, "cci-hdf-2021").committed
    outbox = tmp_path / "outbox"
    deps = dataclasses.replace(deps, delivery=FolderDelivery(outbox))
    with deps.writing() as session:
        voter = session.execute(select(Voter)).scalar_one()
        notice = notify_change(
            session, deps, AGENT, voter, get_definition(session, "cci-hdf-2021"),
            what="votre matériel de vote a été remplacé", used=None, intervention_id=None,
            now=deps.clock(),
        )  # fmt: skip
        assert notice is not None
        notice_id = notice.id or 0
    deliver(deps, [notice_id])
    [path] = outbox.glob("*.eml")
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(mail, EmailMessage)
    assert "appelez sans tarder le 03 21 23 24 24" in str(mail.get_content())
    assert str(mail.get_content()).rstrip().endswith(
        "- CCIL Artois : 03 21 23 24 24, elections@artois.cci.fr "
        "(du lundi au vendredi de 8h30 à 12h00 et de 13h30 à 17h00)"
    )


def test_an_interior_voter_has_no_ccil_but_the_election_numbers(desk: Desk) -> None:
    support = voter_support(desk.deps, AGENT, desk.caller.voter_id)
    assert support.ccil is None and not support.unmatched
    assert [n.phone for n in support.numbers] == list(INTERIOR_NUMBERS)


# ------------------------------------------------------------ called from the workstation


def presumption(desk: Desk, call_id: str) -> bool | None:
    with desk.deps.reading() as session:
        row = session.get(Intervention, call_id)
        assert row is not None
        return row.caller_presumed_workstation


def test_a_call_from_the_registered_work_phone_is_presumed_from_the_workstation(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.caller, caller_number=desk.caller.row["telephone_pro"])
    assert call.caller_matches_work_phone is True and presumption(desk, call.id) is True
    [opened] = entries(desk.deps, "intervention_open")
    assert opened["details"]["caller_matches_work_phone"] is True


def test_a_call_from_another_number_is_recorded_as_not_from_the_workstation(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.caller, caller_number="01 44 55 66 77")
    assert presumption(desk, call.id) is False


def test_a_call_without_a_number_presumes_nothing(desk: Desk) -> None:
    assert presumption(desk, open_call(desk, desk.caller).id) is None


def test_the_workstation_is_no_secret_the_caller_still_proves_who_they_are(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.caller, caller_number=desk.caller.row["telephone_pro"])
    with pytest.raises(ServiceError, match=r"Réponses? manquantes?"):
        verify_identity(desk.deps, AGENT, call.id,
                        {"birth_date": desk.caller.row["date_naissance"]})  # fmt: skip
    stored = json.dumps(entries(desk.deps, "intervention_open"))
    assert desk.caller.row["telephone_pro"] not in stored
