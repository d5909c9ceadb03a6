"""The entry's window gives a material by its number and as the voter file names it."""

from datetime import datetime

from rich.console import Console

from csu.domain.clock import PARIS
from csu.screens.journal_entry import detail_renderable
from csu.services.journal_review import EntryDetail


def drawn(detail: EntryDetail) -> str:
    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(detail_renderable(detail))
    return console.export_text()


def an_issue(material: str | None) -> EntryDetail:
    return EntryDetail(
        seq=12, at=datetime(2022, 12, 1, 10, 0, tzinfo=PARIS), operator="agent",
        operator_name=None, role="agent", workstation="poste-1", election="minint-2022",
        election_title=None, subject=None, matricule=None, voter_name=None,
        intervention=None, action="credential_issue", outcome="ok",
        details={"kind": "security_key", "material": 128}, material=material,
    )  # fmt: skip


def test_the_material_is_named_beside_its_number() -> None:
    text = drawn(an_issue("MI******44 (titulaire)"))
    assert "matériel   n° 128 — MI******44 (titulaire)" in text


def test_a_material_the_store_no_longer_keeps_shows_by_its_number() -> None:
    lines = [line.strip() for line in drawn(an_issue(None)).splitlines()]
    assert "matériel   n° 128" in lines


def test_a_substitution_refusal_names_each_material_and_the_button_pressed() -> None:
    # « matériels 2002 » and « approbation demandée : non » on a refusal.
    detail = EntryDetail(
        seq=40, at=datetime(2022, 12, 5, 11, 30, tzinfo=PARIS), operator="superviseur",
        operator_name=None, role="superviseur", workstation="poste-1", election="cci-hdf-2021",
        election_title=None, subject=None, matricule=None, voter_name=None,
        intervention=None, action="substitution_refuse", outcome="refusée",
        details={"request": 3, "materials": [2002], "approval_asked": False,
                 "reason": "pièces illisibles", "note": "pièces illisibles"},
        materials={2002: "MI******44 (titulaire)"},
    )  # fmt: skip
    text = " ".join(drawn(detail).split())
    assert "matériels n° 2002 — MI******44 (titulaire)" in text
    assert "choix du superviseur « Refuser »" in text
    assert "approbation demandée" not in text
