"""An entry's window names the material its details give by its store number: « n° 128 »
told a supervisor nothing, the voter file names it by its masked identifier and its
capacity."""

from sqlmodel import select

from csu.domain.hashing import pseudonym
from csu.domain.labels import detail_value
from csu.domain.masking import mask_identifier
from csu.services.journal_review import entry_detail
from csu.store import journal
from csu.store.tables import JournalEntry, Material
from tests.conftest import NOW, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    call_with_key,
    desk_fixture,
    entries,
)


def seq_of(desk: Desk, action: str) -> int:
    entries(desk.deps)  # every queued entry chained (PostgreSQL)
    with desk.deps.reading() as session:
        rows = session.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars()
        return next(r.seq for r in rows if journal.entry_fields(r)["action"] == action)


def test_a_key_issues_entry_names_its_material_as_the_voter_file_does(desk: Desk) -> None:
    call_with_key(desk)
    detail = entry_detail(desk.deps, SUPERVISOR, seq_of(desk, "credential_issue"))
    with desk.deps.reading() as session:
        material = session.get(Material, desk.caller.material_id)
        assert material is not None
        named = f"{mask_identifier(material.identifier)} ({material.capacity})"
    assert detail.details["material"] == desk.caller.material_id
    assert detail.material == named


def test_a_material_of_another_voter_is_not_named(desk: Desk) -> None:
    call_with_key(desk)
    with desk.deps.writing() as session:
        journal.append(
            session, actor=SUPERVISOR.actor, action="credential_issue", outcome="ok", at=NOW,
            subject=pseudonym(desk.deps.key, desk.caller.matricule),
            details={"material": desk.neighbour.material_id},
        )  # fmt: skip
    last = entries(desk.deps)[-1]["seq"]
    assert entry_detail(desk.deps, SUPERVISOR, last).material is None


def test_a_material_number_reads_as_a_number() -> None:
    assert detail_value("material", 128) == "n° 128"
    assert detail_value("material_id", 7) == "n° 7"
    assert detail_value("material", "ID42") == "ID42"  # not a store number: as recorded
