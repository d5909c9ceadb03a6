"""The journal entry of a refused substitution names its materials as the rest of the desk
does (« matériels 2002 » told a supervisor nothing) and what the supervisor pressed
(« approbation demandée : non » read as if approval was never asked for)."""

from sqlmodel import select

from csu.domain.labels import detail_value, labelled
from csu.domain.masking import mask_identifier
from csu.services.journal_review import entry_detail
from csu.services.substitution import decide_substitution
from csu.store import journal
from csu.store.tables import JournalEntry, Material
from tests.conftest import SUPERVISOR
from tests.services import test_substitution
from tests.services.intervention_support import entries
from tests.services.test_substitution import Cell, ask

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test


def refusal_seq(cell: Cell) -> int:
    entries(cell.deps)  # every queued entry chained (PostgreSQL)
    with cell.deps.reading() as session:
        rows = session.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars()
        return next(
            r.seq for r in rows if journal.entry_fields(r)["action"] == "substitution_refuse"
        )


def test_a_refusals_entry_names_its_materials_as_the_voter_file_does(cell: Cell) -> None:
    asked = ask(cell, cell.twice, materials=cell.twice.material_ids)
    decide_substitution(cell.deps, SUPERVISOR, asked.id, False, "pièces illisibles")
    detail = entry_detail(cell.deps, SUPERVISOR, refusal_seq(cell))
    with cell.deps.reading() as session:
        named = {}
        for number in cell.twice.material_ids:
            row = session.get(Material, number)
            assert row is not None
            named[number] = f"{mask_identifier(row.identifier)} ({row.capacity})"
    assert detail.materials == named
    said = dict(labelled(detail.details, detail.materials))["matériels"]
    assert said == ", ".join(f"n° {n} — {named[n]}" for n in cell.twice.material_ids)


def test_a_refusal_says_the_supervisor_pressed_refuser() -> None:
    assert ("choix du superviseur", "« Refuser »") in labelled({"approval_asked": False})


def test_a_grant_refused_by_the_rules_says_accorder_was_pressed() -> None:
    said = dict(labelled({"approval_asked": True}))["choix du superviseur"]
    assert said == "« Accorder », refusé par les règles"


def test_a_list_of_materials_reads_as_numbers_and_a_count_as_a_count() -> None:
    assert detail_value("materials", [2002, 2003]) == "n° 2002, n° 2003"
    assert detail_value("materials", 3) == "3"  # a consultation's count of materials
