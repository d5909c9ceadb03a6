"""Émargement per scrutin: the platform's feed (batches, idempotent, all or nothing),
the vote file, the roll's scrutins, and the rules they drive: a reissue while a
scrutin of the material is still open, no substitution once any is voted.

On the prepared desk (SQLite and PostgreSQL): minint-2022 names three scrutins (csa
for every agent, cap or ccp from the roll), men-2022 none (one implicit scrutin)."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.domain.election import parse_election
from csu.domain.scrutins import NONE_VOTED
from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.audit import verify_journal
from csu.services.context import OperatorContext, ServiceError
from csu.services.credentials import issue_credential
from csu.services.elections import get_definition, load_election, store_definition
from csu.services.emargement import (
    BadEvents,
    EmargementEvent,
    IngestResult,
    ingest_emargements,
)
from csu.services.interventions import close_intervention, open_intervention
from csu.services.platform import check_platform_login
from csu.services.platform_clients import Platform
from csu.services.rolls import import_voters, import_votes
from csu.services.substitution import request_substitution
from csu.services.verification import verify_identity
from csu.services.voters import open_voter
from csu.store.tables import Emargement, Material
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    MININT_BUREAUS,
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    handed_over,
    mark_voted,
    verified_call,
)
from tests.services.test_substitution import mark_verified

NEOVOTE = Platform(id=1, name="neovote", elections=frozenset({"minint-2022", "men-2022"}))
CCI = "cci-hdf-2021"
VOTED = "2022-12-02T09:15:00Z"  # 10:15 in Paris, before the desk's clock (10:30 UTC)


def scrutins_of(caller: Caller) -> list[str]:
    """The caller's scrutins, as the roll gave them (minint-2022: csa and cap or ccp)."""
    return caller.row["scrutins"].split("|")


def other_status(caller: Caller) -> str:
    """The one of cap and ccp the caller does not vote in."""
    return "ccp" if "cap" in scrutins_of(caller) else "cap"


def event(caller: Caller, scrutin: str, at: str = VOTED, event_id: str = "") -> EmargementEvent:
    return EmargementEvent(event_id or f"nv-{caller.identifier}-{scrutin}", caller.identifier,
                           scrutin, at)  # fmt: skip


def ingest(desk: Desk, *events: EmargementEvent, election: str = "minint-2022") -> IngestResult:
    return ingest_emargements(desk.deps, NEOVOTE, election, list(events))


def stored(desk: Desk) -> list[tuple[int, str, str, str | None]]:
    with desk.deps.reading() as session:
        rows = session.execute(
            select(Emargement.material_id, Emargement.scrutin_id, Emargement.source,
                   Emargement.event_id).order_by(Emargement.id)  # type: ignore[arg-type]
        ).all()  # fmt: skip
    return [tuple(row) for row in rows]  # type: ignore[misc]


def material(desk: Desk, material_id: int) -> Material:
    with desk.deps.reading() as session:
        row = session.get(Material, material_id)
        assert row is not None
        return row


def reissue(desk: Desk, caller: Caller) -> str:
    call_id = verified_call(desk, caller)
    try:
        return handed_over(desk.deps, AGENT, call_id, caller.material_id, "password").display
    finally:
        close_intervention(desk.deps, AGENT, call_id, "résolu")


# ------------------------------------------------------------------ the feed


def test_a_batch_records_each_vote_with_its_scrutin_time_and_source(desk: Desk) -> None:
    first = scrutins_of(desk.caller)[0]
    result = ingest(desk, event(desk.caller, first), event(desk.neighbour, "csa"))
    assert result == IngestResult(accepted=2, duplicates=0)
    assert stored(desk) == [
        (desk.caller.material_id, first, "plateforme", f"nv-{desk.caller.identifier}-{first}"),
        (desk.neighbour.material_id, "csa", "plateforme",
         f"nv-{desk.neighbour.identifier}-csa"),
    ]  # fmt: skip
    with desk.deps.reading() as session:
        voted_at = session.execute(select(Emargement.voted_at).limit(1)).scalar_one()
    assert voted_at == datetime(2022, 12, 2, 9, 15, tzinfo=UTC)


def test_a_batch_sent_again_is_counted_as_duplicates_and_stored_once(desk: Desk) -> None:
    batch = [event(desk.caller, "csa"), event(desk.southerner, "csa")]
    ingest(desk, *batch)
    assert ingest(desk, *batch) == IngestResult(accepted=0, duplicates=2)
    assert len(stored(desk)) == 2


def test_a_scrutin_already_voted_under_another_event_id_is_a_duplicate(desk: Desk) -> None:
    ingest(desk, event(desk.caller, "csa"))
    again = event(desk.caller, "csa", at="2022-12-02T09:40:00Z", event_id="nv-autre")
    assert ingest(desk, again) == IngestResult(accepted=0, duplicates=1)
    assert [row[3] for row in stored(desk)] == [f"nv-{desk.caller.identifier}-csa"]


def test_a_batch_with_bad_events_records_nothing_and_names_every_one(desk: Desk) -> None:
    reused = event(desk.neighbour, "csa", event_id="nv-1")
    status = other_status(desk.caller)
    ingest(desk, reused)
    before = stored(desk)
    with pytest.raises(BadEvents) as refused:
        ingest(
            desk,
            event(desk.caller, "csa"),  # good, but the batch is refused whole
            EmargementEvent("nv-2", "MI-INCONNU", "csa", VOTED),
            event(desk.caller, "crous"),
            event(desk.caller, other_status(desk.caller)),
            event(desk.southerner, "csa", at="2022-11-30T10:00:00Z"),
            event(desk.southerner, "csa", at="2022-12-02T12:00:00+01:00", event_id="nv-3"),
            event(desk.unreachable, "csa", event_id="nv-1"),
            event(desk.unreachable, "csa", at="2022-12-02 10:00"),
        )
    assert refused.value.faults == [
        ("events.1.identifier", "identifiant inconnu"),
        ("events.2.scrutin", "scrutin inconnu « crous » (scrutins de l'élection : csa, cap, ccp)"),
        ("events.3.scrutin", f"ce matériel ne donne pas accès au scrutin {status}"),
        ("events.4.voted_at",
         "hors de la période de vote (du 01/12/2022 09:00 au 08/12/2022 17:00, heure de Paris)"),
        ("events.5.voted_at", "postérieure à l'heure actuelle"),
        ("events.6.event_id", "event_id déjà reçu pour un autre vote"),
        ("events.7.voted_at", "date et heure RFC 3339 attendues (ex. 2022-12-02T10:15:00Z)"),
    ]  # fmt: skip
    assert str(refused.value).startswith(
        "Émargements : lot refusé, rien n'est enregistré : 7 événements invalides — "
        "events.1.identifier : identifiant inconnu ;"
    )
    assert stored(desk) == before


def test_the_same_event_id_twice_in_a_batch_for_two_votes_is_refused(desk: Desk) -> None:
    with pytest.raises(BadEvents) as refused:
        ingest(desk, event(desk.caller, "csa", event_id="x"),
               event(desk.neighbour, "csa", event_id="x"))  # fmt: skip
    assert refused.value.faults == [
        ("events.1.event_id", "event_id déjà donné par events.0 à un autre vote")
    ]


def test_a_batch_is_one_journal_entry_naming_materials_by_number(desk: Desk) -> None:
    first, second = scrutins_of(desk.caller)
    ingest(desk, event(desk.caller, first), event(desk.caller, second),
           event(desk.neighbour, "csa"))  # fmt: skip
    ingest(desk, event(desk.caller, first))
    first_entry, replay = entries(desk.deps, "emargement_feed")
    assert first_entry["details"] == {
        "events": 3, "accepted": 3, "duplicates": 0,
        "materials": sorted([desk.caller.material_id, desk.neighbour.material_id]),
    }  # fmt: skip
    assert replay["details"] == {"events": 1, "accepted": 0, "duplicates": 1, "materials": []}
    assert (first_entry["operator"], first_entry["election"]) == ("plateforme:neovote",
                                                                   "minint-2022")  # fmt: skip
    assert desk.caller.identifier not in bodies(desk.deps)


def test_an_election_out_of_the_platform_reach_is_refused(desk: Desk) -> None:
    education_only = Platform(id=2, name="educ-vote", elections=frozenset({"men-2022"}))
    with pytest.raises(ServiceError, match="ne donne pas accès à l'élection « minint-2022 »"):
        ingest_emargements(desk.deps, education_only, "minint-2022", [event(desk.caller, "csa")])
    assert stored(desk) == []


def test_the_material_is_voted_once_every_scrutin_of_it_is(desk: Desk) -> None:
    first, second = scrutins_of(desk.caller)
    ingest(desk, event(desk.caller, first, at="2022-12-01T10:00:00Z"))
    assert material(desk, desk.caller.material_id).voted_at is None
    ingest(desk, event(desk.caller, second, at="2022-12-02T08:00:00Z"))
    assert material(desk, desk.caller.material_id).voted_at == datetime(
        2022, 12, 2, 8, 0, tzinfo=UTC
    )


def test_an_election_without_scrutins_has_one_named_after_it(desk: Desk) -> None:
    result = ingest(desk, event(desk.teacher, "men-2022"), election="men-2022")
    assert result.accepted == 1
    assert material(desk, desk.teacher.material_id).voted_at == datetime(
        2022, 12, 2, 9, 15, tzinfo=UTC
    )


# ------------------------------------------------------------------ what a vote allows


def test_a_reissue_is_allowed_while_a_scrutin_of_the_material_is_open(desk: Desk) -> None:
    ingest(desk, event(desk.caller, "csa"))
    assert reissue(desk, desk.caller)


def test_a_reissue_is_refused_once_every_scrutin_is_voted_naming_them(desk: Desk) -> None:
    ingest(desk, *(event(desk.caller, scrutin) for scrutin in scrutins_of(desk.caller)))
    status = "Commission administrative paritaire" if "cap" in scrutins_of(desk.caller) else (
        "Commission consultative paritaire"
    )
    with pytest.raises(ServiceError) as refused:
        reissue(desk, desk.caller)
    assert str(refused.value) == (
        "L'électeur a déjà voté avec ce matériel à chacun de ses scrutins (« Comité social "
        f"d'administration ministériel », « {status} ») : plus aucun code ne sert."
    )


def test_an_election_may_refuse_a_reissue_as_soon_as_one_scrutin_is_voted(desk: Desk) -> None:
    with desk.deps.reading() as session:
        definition = get_definition(session, "minint-2022")
    strict = replace(definition, emargement=replace(definition.emargement, reissue=NONE_VOTED))
    store_definition(desk.deps, ADMIN, strict, "variante de test")
    ingest(desk, event(desk.caller, "csa"))
    with pytest.raises(ServiceError, match="dès qu'un scrutin est voté"):
        reissue(desk, desk.caller)


def test_a_vote_file_of_two_columns_votes_every_scrutin_of_the_material(desk: Desk) -> None:
    mark_voted(desk, desk.caller)
    assert {row[1] for row in stored(desk)} == set(scrutins_of(desk.caller))
    assert {row[2] for row in stored(desk)} == {"fichier"}
    with pytest.raises(ServiceError, match="déjà voté"):
        reissue(desk, desk.caller)


def test_the_login_check_lists_the_scrutins_not_yet_voted(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    secrets = {kind: issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id,
                                      kind).display
               for kind in ("security_key", "password")}  # fmt: skip
    ingest(desk, event(desk.caller, "csa"))
    check = check_platform_login(desk.deps, NEOVOTE, "minint-2022", desk.caller.identifier,
                                 secrets)  # fmt: skip
    assert (check.valid, check.scrutins_open) == (True, scrutins_of(desk.caller)[1:])


def test_the_voter_file_shows_each_scrutin_voted_or_not(desk: Desk) -> None:
    ingest(desk, event(desk.caller, "csa"))
    file = open_voter(desk.deps, AGENT, desk.caller.voter_id)
    (shown,) = [m for m in file.materials if m.material_id == desk.caller.material_id]
    assert [(s.id, s.voted_at is not None) for s in shown.scrutins] == [
        ("csa", True), (scrutins_of(desk.caller)[1], False)
    ]  # fmt: skip
    assert shown.scrutins[0].voted_at == datetime(2022, 12, 2, 9, 15, tzinfo=UTC)


# ------------------------------------------------------------------ files


def test_a_vote_file_with_a_scrutin_column_votes_that_scrutin_only(desk: Desk) -> None:
    path = desk.tmp_path / "votes.csv"
    path.write_text(f"identifiant;scrutin;vote_le\n{desk.caller.identifier};csa;"
                    "02/12/2022 10:15\n", encoding="utf-8")  # fmt: skip
    report = import_votes(desk.deps, ADMIN, path, "minint-2022")
    assert (report.committed, report.written) == (True, 1)
    assert stored(desk) == [(desk.caller.material_id, "csa", "fichier", None)]
    assert material(desk, desk.caller.material_id).voted_at is None


def test_a_vote_file_naming_an_unknown_scrutin_names_the_line(desk: Desk) -> None:
    path = desk.tmp_path / "votes.csv"
    path.write_text(
        f"identifiant;scrutin;vote_le\n{desk.caller.identifier};csa;02/12/2022 10:15\n"
        f"{desk.neighbour.identifier};crous;02/12/2022 10:16\n",
        encoding="utf-8",
    )
    report = import_votes(desk.deps, ADMIN, path, "minint-2022")
    assert not report.committed
    assert [e.describe() for e in report.errors] == [
        "ligne 3, colonne scrutin : scrutin inconnu « crous » (scrutins de l'élection : csa, "
        "cap, ccp)"
    ]
    assert stored(desk) == []


def test_a_vote_file_time_outside_the_vote_names_the_line(desk: Desk) -> None:
    path = desk.tmp_path / "votes.csv"
    path.write_text(f"identifiant;vote_le\n{desk.caller.identifier};30/11/2022 10:15\n",
                    encoding="utf-8")  # fmt: skip
    report = import_votes(desk.deps, ADMIN, path, "minint-2022")
    assert [e.describe() for e in report.errors] == [
        "ligne 2, colonne vote_le : hors de la période de vote (du 01/12/2022 09:00 au "
        "08/12/2022 17:00, heure de Paris)"
    ]


def roll_of(desk: Desk, *rows: dict[str, str]) -> Path:
    path = desk.tmp_path / "liste.csv"
    write_roll_csv(list(rows), path)
    return path


def new_rows(count: int) -> list[dict[str, str]]:
    """minint-2022 voters who are not on the desk's roll yet."""
    return list(generate_roll("minint-2022", count, start=100, bureaus=MININT_BUREAUS))


def test_the_roll_scrutins_column_gives_the_material_its_scrutins(desk: Desk) -> None:
    row = new_rows(1)[0] | {"scrutins": "ccp | csa"}
    assert import_voters(desk.deps, ADMIN, roll_of(desk, row), "minint-2022").committed
    with desk.deps.reading() as session:
        stored_list = session.execute(
            select(Material.scrutins).where(Material.identifier == row["identifiant"])
        ).scalar_one()
    assert stored_list == "csa|ccp"  # in the election file's order


def test_a_roll_row_without_scrutins_takes_those_of_the_election_file(desk: Desk) -> None:
    row = new_rows(1)[0] | {"scrutins": ""}
    assert import_voters(desk.deps, ADMIN, roll_of(desk, row), "minint-2022").committed
    with desk.deps.reading() as session:
        found = session.execute(
            select(Material).where(Material.identifier == row["identifiant"])
        ).scalar_one()
    file = open_voter(desk.deps, AGENT, found.voter_id)
    assert [s.id for s in file.materials[0].scrutins] == ["csa"]  # cap and ccp: by the roll


def test_a_roll_adding_a_scrutin_to_a_voted_material_opens_it_again(desk: Desk) -> None:
    first, second = scrutins_of(desk.caller)
    ingest(desk, event(desk.caller, first), event(desk.caller, second))
    assert material(desk, desk.caller.material_id).voted_at is not None
    added = other_status(desk.caller)
    row = desk.caller.row | {"scrutins": f"{first}|{second}|{added}"}
    assert import_voters(desk.deps, ADMIN, roll_of(desk, row), "minint-2022").committed
    assert material(desk, desk.caller.material_id).voted_at is None
    file = open_voter(desk.deps, AGENT, desk.caller.voter_id)
    (shown,) = [m for m in file.materials if m.material_id == desk.caller.material_id]
    assert [s.id for s in shown.scrutins if s.voted_at is None] == [added]
    assert reissue(desk, desk.caller)  # a scrutin is open again: the rule allows it


def test_the_vote_in_a_scrutin_the_roll_added_closes_the_material_again(desk: Desk) -> None:
    first, second = scrutins_of(desk.caller)
    ingest(desk, event(desk.caller, first), event(desk.caller, second))
    added = other_status(desk.caller)
    row = desk.caller.row | {"scrutins": f"{first}|{second}|{added}"}
    assert import_voters(desk.deps, ADMIN, roll_of(desk, row), "minint-2022").committed
    ingest(desk, event(desk.caller, added, at="2022-12-02T09:40:00Z"))
    assert material(desk, desk.caller.material_id).voted_at == datetime(
        2022, 12, 2, 9, 40, tzinfo=UTC
    )


def test_a_roll_naming_an_unknown_scrutin_names_the_line(desk: Desk) -> None:
    good, bad = new_rows(2)
    bad = bad | {"scrutins": "csa|crous"}
    report = import_voters(desk.deps, ADMIN, roll_of(desk, good, bad), "minint-2022")
    assert not report.committed
    assert [e.describe() for e in report.errors] == [
        "ligne 3, colonne scrutins : scrutin inconnu « crous » (scrutins de l'élection : csa, "
        "cap, ccp)"
    ]


# ------------------------------------------------------------------ substitution (CCI)


def cci_with_two_scrutins(desk: Desk, voters: int = 3) -> list[tuple[int, int, str]]:
    """cci-hdf-2021 moved to the desk's week, granted at once, with its two scrutins
    (the regional and the local chamber); ``voters`` of its voters as (voter, material,
    identifier)."""
    text = (ELECTIONS / f"{CCI}.toml").read_text(encoding="utf-8")
    for old, new in (("2021-10-27T00:00:00", "2022-11-28T00:00:00"),
                     ("2021-11-10T00:00:00", "2022-12-10T00:00:00"),
                     ("from = 2021-10-29", "from = 2022-11-29"),
                     ("requires_approval = true", "requires_approval = false")):
        text, found = re.subn(re.escape(old), new, text)
        assert found == 1, old
    text += ('\n[[scrutins]]\nid = "ccir"\ntitle = "CCI de région"\n\n'
             '[[scrutins]]\nid = "ccil"\ntitle = "CCI locale"\n')  # fmt: skip
    assert parse_election(text, "cci.toml").scrutins
    load_election(desk.deps, ADMIN, text, f"{CCI}.toml")
    rows = [row for row in generate_roll(CCI, voters * 2) if row["qualite"]][:voters]
    seen = {row["matricule"] for row in rows}
    assert len(seen) == voters
    assert import_voters(desk.deps, ADMIN, roll_of(desk, *rows), CCI).committed
    with desk.deps.reading() as session:
        found = session.execute(
            select(Material.voter_id, Material.id, Material.identifier)
            .where(Material.election_id == CCI).order_by(Material.id)  # type: ignore[arg-type]
        ).all()  # fmt: skip
    return [tuple(row) for row in found]  # type: ignore[misc]


def substitute(desk: Desk, voter_id: int, material_id: int, who: OperatorContext = AGENT):
    call = open_intervention(desk.deps, who, voter_id, "phone")
    mark_verified(desk.deps, who, call.id)  # a request follows the phone control
    with desk.deps.reading() as session:
        checklist = get_definition(session, CCI).substitution.checklist
    try:
        return request_substitution(
            desk.deps, who, call.id, [material_id], checklist=dict.fromkeys(checklist, True),
            identity_match=True, email="victoire.perso@exemple.fr",
            email_again="victoire.perso@exemple.fr", declared_on=date(2022, 12, 1),
        )  # fmt: skip
    finally:
        close_intervention(desk.deps, who, call.id, "résolu")


def cci_event(identifier: str, scrutin: str) -> EmargementEvent:
    return EmargementEvent(f"cci-{identifier}-{scrutin}", identifier, scrutin, VOTED)


CCI_PLATFORM = Platform(id=3, name="cci-vote", elections=frozenset({CCI}))


def test_a_substitution_is_refused_as_soon_as_one_scrutin_is_voted(desk: Desk) -> None:
    (voter_id, material_id, identifier), *_ = cci_with_two_scrutins(desk)
    ingest_emargements(desk.deps, CCI_PLATFORM, CCI, [cci_event(identifier, "ccil")])
    view = substitute(desk, voter_id, material_id)
    assert view.state == "refusée"
    assert view.reason == (
        f"L'électeur a déjà voté avec le matériel {identifier} (« CCI locale ») : aucun "
        "matériel de substitution n'est délivrable."
    )


def test_the_substituted_material_keeps_its_scrutins_open(desk: Desk) -> None:
    (voter_id, material_id, _), *_ = cci_with_two_scrutins(desk)
    view = substitute(desk, voter_id, material_id)
    assert view.state == "accordée"
    new_identifier = view.materials[0].new_identifier
    assert new_identifier is not None
    with desk.deps.reading() as session:
        new = session.execute(
            select(Material).where(Material.identifier == new_identifier)
        ).scalar_one()
    file = open_voter(desk.deps, AGENT, voter_id)
    (shown,) = [m for m in file.materials if m.material_id == new.id]
    assert [(s.id, s.voted_at) for s in shown.scrutins] == [("ccir", None), ("ccil", None)]


# ------------------------------------------------------------------ concurrent agents


# The races are PostgreSQL's (row locks between workstations): SQLite runs one writer
# at a time.
ON_POSTGRESQL = pytest.mark.parametrize(
    "desk", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
AGENTS = 6
ROUNDS = 40  # attempts per agent: bounded, whatever the interleaving


def in_threads(*work: Callable[[], None], timeout: float = 120) -> None:
    """Runs each callable in its own thread, started together; re-raises a failure."""
    failures: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait(timeout)
            job()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    if failures:
        raise failures[0]


def verified_agents(desk: Desk, callers: list[Caller]) -> list[tuple[OperatorContext, str]]:
    """One agent per caller, each with an open, verified intervention on their caller."""
    ready = []
    for number, caller in enumerate(callers):
        agent = OperatorContext(login=f"agent{number}", role="agent", workstation=f"poste-{number}")
        call = open_intervention(desk.deps, agent, caller.voter_id, "phone")
        assert verify_identity(desk.deps, agent, call.id, caller.phone_answers()).verified
        ready.append((agent, call.id))
    return ready


def seq_of(desk: Desk, action: str, outcome: str | None = None) -> list[tuple[int, dict]]:
    return [(e["seq"], e["details"]) for e in entries(desk.deps, action)
            if outcome is None or e["outcome"] == outcome]  # fmt: skip


@ON_POSTGRESQL
def test_concurrent_feed_and_agents_never_reissue_after_the_closing_vote(desk: Desk) -> None:
    rows = [row for row in generate_roll("minint-2022", 20, bureaus=MININT_BUREAUS)
            if row["carte_agent"] and row["iban"]][:AGENTS]  # fmt: skip
    with desk.deps.reading() as session:
        found = dict(session.execute(
            select(Material.identifier, Material.id).where(Material.election_id == "minint-2022")
        ).all())  # fmt: skip
    callers = []
    for row in rows:
        with desk.deps.reading() as session:
            voter_id = session.execute(
                select(Material.voter_id).where(Material.identifier == row["identifiant"])
            ).scalar_one()
        callers.append(Caller("minint-2022", voter_id, found[row["identifiant"]], row))
    agents = verified_agents(desk, callers)
    events = [event(caller, scrutin) for caller in callers for scrutin in scrutins_of(caller)]
    refused: list[str] = []

    def agent_work(agent: OperatorContext, call_id: str, caller: Caller) -> Callable[[], None]:
        def work() -> None:
            for _ in range(ROUNDS):
                try:
                    issue_credential(desk.deps, agent, call_id, caller.material_id, "password")
                except ServiceError as error:
                    refused.append(str(error))
                    return
        return work

    def feed() -> None:  # one scrutin a batch, each batch sent twice (a retry)
        for item in events:
            for _ in range(2):
                ingest(desk, item)

    in_threads(feed, *(agent_work(a, c, caller) for (a, c), caller in zip(agents, callers,
                                                                            strict=True)))
    # Every accepted event stored once, and every material closed.
    assert sorted(row[3] for row in stored(desk)) == sorted(e.event_id for e in events)
    closing: dict[int, int] = {}  # material -> seq of the batch that voted its last scrutin
    for seq, details in seq_of(desk, "emargement_feed"):
        for material_id in details["materials"]:
            closing[material_id] = seq  # the later batch of a material is its closing one
    for caller in callers:
        granted = [seq for seq, details in seq_of(desk, "credential_issue", "ok")
                   if details.get("material") == caller.material_id]  # fmt: skip
        assert all(seq < closing[caller.material_id] for seq in granted), caller.identifier
        assert material(desk, caller.material_id).voted_at is not None
    assert all("déjà voté" in reason for reason in refused)
    for (agent, call_id), caller in zip(agents, callers, strict=True):  # and from now on
        with pytest.raises(ServiceError, match="déjà voté"):
            issue_credential(desk.deps, agent, call_id, caller.material_id, "password")
    assert verify_journal(desk.deps, SUPERVISOR).ok


@ON_POSTGRESQL
def test_concurrent_feed_and_substitutions_never_grant_after_a_vote(desk: Desk) -> None:
    voters = cci_with_two_scrutins(desk, AGENTS)
    outcomes: dict[str, str] = {}

    def agent_work(number: int, voter_id: int, material_id: int) -> Callable[[], None]:
        agent = OperatorContext(login=f"agent{number}", role="agent", workstation=f"poste-{number}")

        def work() -> None:
            view = substitute(desk, voter_id, material_id, agent)
            outcomes[view.materials[0].old_identifier] = view.state

        return work

    def feed() -> None:
        for _, _, identifier in voters:
            ingest_emargements(desk.deps, CCI_PLATFORM, CCI, [cci_event(identifier, "ccir")])

    in_threads(feed, *(agent_work(n, v, m) for n, (v, m, _) in enumerate(voters)))
    voted_seq: dict[int, int] = {}
    for seq, details in seq_of(desk, "emargement_feed"):
        for material_id in details["materials"]:
            voted_seq.setdefault(material_id, seq)
    requests = {tuple(e["details"]["materials"]): (e["seq"], e["outcome"])
                for e in entries(desk.deps, "substitution_request")}  # fmt: skip
    for _, material_id, identifier in voters:
        seq, outcome = requests[(material_id,)]  # the journal names materials by number
        if outcome == "accordée":
            assert seq < voted_seq[material_id], identifier
        else:
            assert seq > voted_seq[material_id] and outcome == "refusée", identifier
    assert len(stored(desk)) == len(voters)
    assert verify_journal(desk.deps, SUPERVISOR).ok
