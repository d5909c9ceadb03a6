"""Roll import on PostgreSQL: rows COPYed straight into empty tables, or upserted into
filled ones, give what the reference path (SQLite's row-by-row upserts) gives; all or
nothing in one transaction."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services import rolls
from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.rolls import import_voters
from csu.store.tables import Credential, Material, Voter
from tests.conftest import ADMIN, NOW

pytestmark = pytest.mark.postgres

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
CCI = "cci-hdf-2021"  # voters with several capacities: one row (one material) each


def load(deps: Deps) -> Deps:
    text = (ELECTIONS / f"{CCI}.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, f"{CCI}.toml")
    return deps


def roll(path: Path, rows: list[dict[str, str]]) -> Path:
    write_roll_csv(rows, path)
    return path


def stored(deps: Deps) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Voters by matricule and materials by identifier, as comparable values (without
    the ids, which differ between stores; a material names its voter's matricule)."""
    with deps.reading() as session:
        people = {v.matricule: v.model_dump(exclude={"id"}) for v in session.exec(select(Voter))}
        things = {
            m.identifier: m.model_dump(exclude={"id", "voter_id"}) | {"matricule": matricule}
            for m, matricule in session.exec(select(Material, Voter.matricule).join(Voter))
        }
    return people, things


def index_definitions(deps: Deps) -> set[tuple[str, str]]:
    """The indexes and constraints of the two tables (some are set aside while importing)."""
    with deps.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('voter', 'material') "
            "UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('voter'::regclass, 'material'::regclass)"
        )
        return {(name, definition) for name, definition in rows}


def both(sqlite_deps: Deps, postgres_deps: Deps, path: Path, **options: Any) -> None:
    """Import ``path`` into both stores, in chunks of 4 rows; the same outcome."""
    outcomes = [
        import_voters(deps, ADMIN, path, CCI, workers=1, **options)
        for deps in (sqlite_deps, postgres_deps)
    ]
    assert len({(r.committed, r.rows, r.written, r.voters) for r in outcomes}) == 1


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rolls, "CHUNK_ROWS", 4)


@pytest.fixture
def rows() -> list[dict[str, str]]:
    found = list(generate_roll(CCI, 40, seed=3))
    # Some voters have two rows, and one at least has them in two chunks of 4 rows.
    twice = [i for i in range(1, len(found)) if found[i]["matricule"] == found[i - 1]["matricule"]]
    assert any(i % 4 == 0 for i in twice)
    return found


def test_a_first_import_into_empty_tables_gives_the_reference_result(
    sqlite_deps: Deps, postgres_deps: Deps, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    load(sqlite_deps), load(postgres_deps)
    before = index_definitions(postgres_deps)
    both(sqlite_deps, postgres_deps, roll(tmp_path / "roll.csv", rows))
    assert stored(postgres_deps) == stored(sqlite_deps)
    people, things = stored(postgres_deps)
    assert (len(people), len(things)) == (40, len(rows))
    assert index_definitions(postgres_deps) == before
    # The ids the import drew are taken from the sequence: a voter added later gets another.
    added = people[rows[0]["matricule"]] | {"matricule": "ZZ0001", "pseudonym": "p-zz0001"}
    with postgres_deps.writing() as session:
        session.add(Voter(**added))
    with postgres_deps.reading() as session:
        assert len(set(session.exec(select(Voter.id)))) == 41


def test_a_voter_on_rows_in_two_chunks_keeps_its_last_row_and_both_materials(
    sqlite_deps: Deps, postgres_deps: Deps, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    load(sqlite_deps), load(postgres_deps)
    first, *others = rows[:7]
    again = first | {
        "identifiant": "9999000011",
        "qualite": "représentant" if first["qualite"] != "représentant" else "à titre personnel",
        "nom": first["nom"].upper(),  # the same person, spelt otherwise: the last row's
        "telephone_mobile": "",  # absent from the later row: the earlier one's is kept
    }
    path = roll(tmp_path / "roll.csv", [first, *others, again])  # rows 1 and 8: chunks 1 and 2
    both(sqlite_deps, postgres_deps, path)
    people, things = stored(postgres_deps)
    assert (people, things) == stored(sqlite_deps)
    voter = people[first["matricule"]]
    assert voter["last_name"] == first["nom"].upper()
    assert voter["phone_mobile"] is not None
    owned = [m["capacity"] for m in things.values() if m["matricule"] == first["matricule"]]
    assert sorted(owned) == sorted([first["qualite"], again["qualite"]])


def test_a_reimport_into_filled_tables_gives_the_reference_result(
    sqlite_deps: Deps, postgres_deps: Deps, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    load(sqlite_deps), load(postgres_deps)
    both(sqlite_deps, postgres_deps, roll(tmp_path / "a.csv", rows[:20]))
    before = index_definitions(postgres_deps)
    changed = [row | {"nom": f"{row['nom']}-Bis", "telephone_mobile": ""} for row in rows[10:]]
    bureaus = sorted({row["bureau"] for row in rows})
    changed[1] |= {"bureau": next(b for b in bureaus if b != changed[1]["bureau"])}
    # Its matricule corrected (the same person, spelt as the others): its material follows.
    changed[2] |= {"matricule": "ZZ0001", "nom": rows[12]["nom"]}
    both(sqlite_deps, postgres_deps, roll(tmp_path / "b.csv", changed))
    people, things = stored(postgres_deps)
    assert (people, things) == stored(sqlite_deps)
    assert things[changed[1]["identifiant"]]["bureau_code"] == changed[1]["bureau"]
    assert things[changed[2]["identifiant"]]["matricule"] == "ZZ0001"
    assert index_definitions(postgres_deps) == before


def test_a_reimport_updates_a_voter_and_keeps_its_other_columns(
    postgres_deps: Deps, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    deps = load(postgres_deps)
    single = [row for row in rows if row["qualite"] == "à titre personnel"][:6]
    assert import_voters(deps, ADMIN, roll(tmp_path / "a.csv", single), CCI).committed
    target = single[4]  # in the second chunk
    locked = NOW + timedelta(hours=1)
    with deps.writing() as session:
        voter = session.exec(select(Voter).where(Voter.matricule == target["matricule"])).one()
        voter.locked_until = locked
        material = session.exec(
            select(Material).where(Material.identifier == target["identifiant"])
        ).one()
        session.add(voter)
        session.add(
            Credential(
                material_id=material.id or 0,
                kind="password",
                scheme="argon2id",
                hash="x",
                issued_at=NOW,
                issued_by="agent",
            )
        )
        voter_id, material_id, phone = voter.id, material.id, voter.phone_mobile
    assert phone
    other_bureau = next(r["bureau"] for r in rows if r["bureau"] != target["bureau"])
    renamed = target | {"nom": "Autre-Nom", "telephone_mobile": "", "bureau": other_bureau}
    again = [renamed if row is target else row for row in single]
    report = import_voters(deps, ADMIN, roll(tmp_path / "b.csv", again), CCI)
    assert (report.committed, report.voters) == (True, 6)
    with deps.reading() as session:
        voter = session.exec(select(Voter).where(Voter.matricule == target["matricule"])).one()
        material = session.exec(
            select(Material).where(Material.identifier == target["identifiant"])
        ).one()
        credentials = session.exec(select(Credential)).all()
        count = len(session.exec(select(Material)).all())
    assert (voter.id, voter.last_name, voter.phone_mobile) == (voter_id, "Autre-Nom", phone)
    assert voter.locked_until == locked
    assert (material.id, material.bureau_code, material.voter_id) == (
        material_id,
        other_bureau,
        voter_id,
    )
    assert [c.material_id for c in credentials] == [material_id]
    assert count == 6


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_skip_invalid_writes_the_good_rows_of_every_chunk(
    sqlite_deps: Deps,
    postgres_deps: Deps,
    rows: list[dict[str, str]],
    tmp_path: Path,
    filled: bool,
) -> None:
    load(sqlite_deps), load(postgres_deps)
    if filled:
        both(sqlite_deps, postgres_deps, roll(tmp_path / "a.csv", rows[30:]))
    bad = {2, 7, 11}  # in the first, second and third chunks
    mixed = [row | {"date_naissance": "31/02/1970"} if i in bad else row
             for i, row in enumerate(rows[:20])]  # fmt: skip
    path = roll(tmp_path / "b.csv", mixed)
    report = import_voters(postgres_deps, ADMIN, path, CCI, skip_invalid=True, workers=1)
    assert report.committed and report.rejected == 3
    assert import_voters(sqlite_deps, ADMIN, path, CCI, skip_invalid=True).committed
    assert stored(postgres_deps) == stored(sqlite_deps)
    _, things = stored(postgres_deps)
    assert not {rows[i]["identifiant"] for i in bad} & set(things)
    assert {row["identifiant"] for i, row in enumerate(rows[:20]) if i not in bad} <= set(things)


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_a_refused_import_leaves_the_tables_as_they_were(
    postgres_deps: Deps, rows: list[dict[str, str]], tmp_path: Path, filled: bool
) -> None:
    deps = load(postgres_deps)
    if filled:
        assert import_voters(deps, ADMIN, roll(tmp_path / "a.csv", rows[30:]), CCI).committed
    before, indexes = stored(deps), index_definitions(deps)
    # Chunks of good rows are written before the bad last row is met.
    faulty = [*rows[:20], rows[20] | {"date_naissance": "31/02/1970"}]
    report = import_voters(deps, ADMIN, roll(tmp_path / "b.csv", faulty), CCI, workers=1)
    assert not report.committed and report.written == 0
    assert stored(deps) == before
    assert index_definitions(deps) == indexes
    # And the same rows, corrected, go in afterwards.
    report = import_voters(deps, ADMIN, roll(tmp_path / "c.csv", rows[:21]), CCI, workers=1)
    assert report.committed
    assert set(stored(deps)[1]) == set(before[1]) | {row["identifiant"] for row in rows[:21]}
