"""Replacement material (S5, CCI): requests, refusals with their reason, four-eyes
approval, and the grant that replaces the material and mails the new one.

Each test gets a copy of a store prepared once per backend (SQLite and PostgreSQL):
cci-hdf-2021 and minint-2022 loaded, ten CCI voters (the first with two capacities)
and two Interior ministry voters; a local outbox; a clock the test moves.
"""

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from csu.domain.election import UNAMBIGUOUS_ALPHABET, CredentialFormat
from csu.domain.errors import InvalidValue
from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services import substitution as service
from csu.services.context import Deps, Forbidden, NotFound, OperatorContext, ServiceError
from csu.services.credentials import stored_hash
from csu.services.elections import get_definition, load_election, store_definition
from csu.services.interventions import current_intervention, open_intervention
from csu.services.platform import check_login
from csu.services.rolls import import_voters, import_votes
from csu.services.substitution import (
    SubstitutionView,
    decide_substitution,
    get_substitution,
    pending_substitutions,
    request_substitution,
)
from csu.services.verification import record_verification
from csu.store.engine import make_engine
from csu.store.tables import (
    Credential,
    Intervention,
    Material,
    OutboundMessage,
    SubstitutionItem,
    SubstitutionRequest,
    Voter,
)
from tests.compiled_once import compiled_once
from tests.conftest import ADMIN, AGENT, SUPERVISOR, TEST_KEY, PostgresServer, sqlite_engine
from tests.fakes import FAST_HASHER, Clock
from tests.pg_recycle import RecycledDatabases
from tests.services.intervention_support import ELECTIONS, Outbox, bodies, entries

CCI = "cci-hdf-2021"
MININT = "minint-2022"
NOW = datetime(2021, 11, 2, 10, 0, tzinfo=UTC)  # Tuesday, 11:00 in Paris: the vote is open
DECLARED = date(2021, 11, 2)
ADDRESS = "victoire.perso@exemple.fr"
SUPERVISOR_2 = OperatorContext(login="sup2", role="superviseur", workstation="poste-3")
PRESIDENT = OperatorContext(
    login="pres", role="president", workstation="bureau", bureau="CCI-HDF-GRAND-LILLE"
)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WITH_CREDENTIALS = {
    "security_key": CredentialFormat("security_key", UNAMBIGUOUS_ALPHABET, 16, 4),
    "password": CredentialFormat("password", PASSWORD_ALPHABET, 12, 4),
}


@dataclass(frozen=True)
class Elector:
    election: str
    voter_id: int
    material_ids: tuple[int, ...]
    identifiers: tuple[str, ...]
    birth_date: date

    @property
    def material_id(self) -> int:
        return self.material_ids[0]


@dataclass
class Cell:
    deps: Deps
    clock: Clock
    outbox: Outbox
    tmp_path: Path
    twice: Elector  # CCI, two capacities
    voter: Elector  # CCI, one capacity
    other: Elector  # CCI, one capacity
    official: Elector  # minint-2022: no substitution there


def _elector(deps: Deps, election: str, matricule: str) -> Elector:
    with deps.reading() as session:
        voter = session.execute(select(Voter).where(Voter.matricule == matricule)).scalar_one()
        materials = session.execute(
            select(Material)
            .where(Material.voter_id == voter.id, Material.election_id == election)
            .order_by(Material.id)  # type: ignore[arg-type]
        ).scalars().all()
    assert voter.birth_date is not None
    return Elector(
        election,
        voter.id or 0,
        tuple(m.id or 0 for m in materials),
        tuple(m.identifier for m in materials),
        voter.birth_date,
    )


@dataclass(frozen=True)
class _Roll:
    twice: Elector
    voter: Elector
    other: Elector
    official: Elector


def _populate(engine: Engine, work: Path) -> _Roll:
    deps = Deps(engine=engine, key=TEST_KEY, clock=Clock(NOW), hasher=FAST_HASHER)
    cci = list(generate_roll(CCI, 10))
    cci = [row for row in cci if row["matricule"] != cci[0]["matricule"]]  # one row each
    cci.insert(1, cci[0] | {"identifiant": "9999000011", "qualite": "représentant"})
    rolls = {CCI: cci, MININT: list(generate_roll(MININT, 2))}
    for election, rows in rolls.items():
        text = (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")
        load_election(deps, ADMIN, text, f"{election}.toml")
        path = work / f"{election}.csv"
        write_roll_csv(rows, path)
        assert import_voters(deps, ADMIN, path, election).committed
    return _Roll(
        twice=_elector(deps, CCI, cci[0]["matricule"]),
        voter=_elector(deps, CCI, cci[2]["matricule"]),
        other=_elector(deps, CCI, cci[3]["matricule"]),
        official=_elector(deps, MININT, rolls[MININT][0]["matricule"]),
    )


# The store is prepared once per session and backend, then copied for each test: a file
# copy on SQLite, on PostgreSQL a database reset after an earlier test or a new copy
# (tests.pg_recycle).
_prepared: dict[str, tuple[str, _Roll]] = {}
_postgres: dict[str, tuple[RecycledDatabases, _Roll]] = {}


def _sqlite_copy(factory: pytest.TempPathFactory, tmp_path: Path) -> tuple[str, _Roll]:
    if "sqlite" not in _prepared:
        folder = factory.mktemp("substitution-store")
        engine = sqlite_engine(folder)
        roll = _populate(engine, folder)
        with engine.connect() as connection:  # everything in the main file, for copying
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _prepared["sqlite"] = (str(folder / "csu.sqlite"), roll)
    source, roll = _prepared["sqlite"]
    shutil.copyfile(source, tmp_path / "csu.sqlite")
    return f"sqlite:///{tmp_path / 'csu.sqlite'}", roll


def _postgres_copies(
    request: pytest.FixtureRequest, factory: pytest.TempPathFactory
) -> tuple[RecycledDatabases, _Roll]:
    if "postgresql" not in _postgres:
        server: PostgresServer = request.getfixturevalue("postgres_server")  # may skip
        pid = os.getpid()
        copies = RecycledDatabases(
            server.admin, server.url, f"csu_subst_tpl_{pid}", f"csu_subst_{pid}"
        )
        request.session.addfinalizer(copies.close)  # see RecycledDatabases.prepare_template
        folder = factory.mktemp("substitution-store-pg")
        roll = copies.prepare_template(lambda engine: _populate(engine, folder))
        _postgres["postgresql"] = (copies, roll)
    return _postgres["postgresql"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cell(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cell]:
    """A copy of the prepared store, on SQLite and on PostgreSQL."""
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    copies = None
    if request.param == "sqlite":
        url, roll = _sqlite_copy(factory, tmp_path)
        engine = compiled_once(make_engine(url))
    else:
        copies, roll = _postgres_copies(request, factory)
        url = copies.take()
        engine = compiled_once(
            make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
        )
    clock = Clock(NOW)
    outbox = Outbox(tmp_path / "outbox")
    deps = Deps(engine=engine, key=TEST_KEY, clock=clock, hasher=FAST_HASHER, delivery=outbox)
    yield Cell(deps, clock, outbox, tmp_path, roll.twice, roll.voter, roll.other, roll.official)
    engine.dispose()
    if copies is not None:
        copies.give_back(url)


# ---------------------------------------------------------------------- helpers


def complete(deps: Deps, election: str = CCI) -> dict[str, bool]:
    with deps.reading() as session:
        checklist = get_definition(session, election).substitution.checklist
    return dict.fromkeys(checklist, True)


def call(
    cell: Cell, elector: Elector, who: OperatorContext = AGENT, *, verified: bool = True
) -> str:
    """An intervention by phone on ``elector``, the caller verified unless told (a
    request is taken only after the phone control, seed 000)."""
    opened = open_intervention(cell.deps, who, elector.voter_id, "phone").id
    if verified:
        mark_verified(cell.deps, who, opened)
    return opened


def mark_verified(deps: Deps, who: OperatorContext, intervention_id: str) -> None:
    """The caller verified by the election's first set of factors of the channel,
    recorded as ``verify_identity`` records a verification that passed (journal entry
    included): these tests are about the request, not the answers (nor their one-time
    codes, which would add messages to the outbox). tests/services/
    test_substitution_verified.py verifies through the real answers."""
    with deps.writing() as session:
        row = session.get(Intervention, intervention_id)
        assert row is not None
        voter = session.get(Voter, row.voter_id)
        assert voter is not None
        policy = get_definition(session, row.election_id or "").verification
        factors = set(policy[row.channel][0])
        record_verification(session, who, row, voter, tried=factors, passed=factors,
                            policy=policy, now=deps.clock(), details={})  # fmt: skip


def ask(
    cell: Cell,
    elector: Elector | None = None,
    who: OperatorContext = AGENT,
    *,
    materials: tuple[int, ...] | None = None,
    **changes: object,
) -> SubstitutionView:
    """A complete request in a new intervention of ``who``."""
    elector = elector or cell.voter
    options: dict = {
        "checklist": complete(cell.deps),
        "identity_match": True,
        "email": ADDRESS,
        "declared_on": DECLARED,
        "notes": "appel de l'électeur, pièces reçues par courriel",
    }
    options.update(changes)
    options.setdefault("email_again", options["email"])  # typed twice alike
    return request_substitution(
        cell.deps, who, call(cell, elector, who), materials or elector.material_ids[:1],
        **options,
    )


def variant(
    cell: Cell, *, requires_approval: bool = True, with_credentials: bool = False
) -> None:
    """cci-hdf-2021 as stored, but approval as given and, if asked, with credentials."""
    with cell.deps.reading() as session:
        definition = get_definition(session, CCI)
    changed = replace(
        definition,
        substitution=replace(definition.substitution, requires_approval=requires_approval),
        credentials=dict(WITH_CREDENTIALS) if with_credentials else definition.credentials,
    )
    store_definition(cell.deps, ADMIN, changed, "variante de test")


def give_credentials(cell: Cell, elector: Elector) -> dict[str, str]:
    """Credentials of the original material, as the notice gave them."""
    values = {"security_key": "K7MPX2QD9RFAH3TW", "password": "aBcD2345eFgH"}
    with cell.deps.writing() as session:
        for kind, value in values.items():
            scheme, digest, prefix = stored_hash(cell.deps, WITH_CREDENTIALS[kind], kind, value)
            session.add(
                Credential(material_id=elector.material_id, kind=kind, scheme=scheme,
                           hash=digest, prefix_hash=prefix, issued_at=NOW, issued_by="import")
            )
    return values


def _open_of(cell: Cell, who: OperatorContext = AGENT) -> str:
    opened = current_intervention(cell.deps, who)
    assert opened is not None
    return opened.id


def material(cell: Cell, material_id: int) -> Material:
    with cell.deps.reading() as session:
        row = session.get(Material, material_id)
        assert row is not None
        return row


def stored(cell: Cell, request_id: int) -> SubstitutionRequest:
    with cell.deps.reading() as session:
        row = session.get(SubstitutionRequest, request_id)
        assert row is not None
        return row


def messages(cell: Cell) -> list[OutboundMessage]:
    """The messages of the procedure itself (not the notices to the registered address)."""
    with cell.deps.reading() as session:
        query = select(OutboundMessage).where(OutboundMessage.purpose != "notice")
        return list(session.execute(query).scalars())


def material_email(cell: Cell) -> EmailMessage:
    """The last e-mail that carried material (a notice may have followed it)."""
    for path in reversed(cell.outbox.sent):
        if path.suffix == ".eml":
            mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if "substitution" in str(mail["Subject"]) and isinstance(mail, EmailMessage):
                return mail
    raise AssertionError("no e-mail with material in the outbox")


def mark_voted(cell: Cell, identifier: str) -> None:
    path = cell.tmp_path / "votes.csv"
    path.write_text(f"identifiant;vote_le\n{identifier};01/11/2021 10:15\n", encoding="utf-8")
    assert import_votes(cell.deps, ADMIN, path, CCI).committed


def mailed(cell: Cell) -> dict[str, str]:
    """What the last e-mail gives, by French label."""
    text = str(material_email(cell).get_content())
    return dict(re.findall(r"^([^:\n]+) : (\S+)$", text, flags=re.MULTILINE))


def assert_refused_and_stored(cell: Cell, view: SubstitutionView, *fragments: str) -> None:
    assert view.state == "refusée"
    assert view.reason is not None
    for fragment in fragments:
        assert fragment in view.reason
    row = stored(cell, view.id)
    assert (row.state, row.reason, row.email_sealed) == ("refused", view.reason, None)
    journalled = entries(cell.deps, "substitution_request")
    assert journalled[-1]["outcome"] == "refusée"
    assert journalled[-1]["details"]["reason"] == view.reason
    assert messages(cell) == []


# -------------------------------------------------------------------- requests


def test_a_request_in_order_waits_for_a_supervisor(cell: Cell) -> None:
    view = ask(cell)
    assert view.state == "en attente" and view.pending
    assert view.reason is None and view.decided_by is None
    assert view.email == "v***@exemple.fr"
    assert view.materials == (
        service.SubstitutedMaterial("à titre personnel", cell.voter.identifiers[0], None),
    )
    assert view.checklist == tuple(complete(cell.deps)) and view.missing == ()
    assert [e["outcome"] for e in entries(cell.deps, "substitution_request")] == ["en attente"]
    assert material(cell, cell.voter.material_id).status == "active"
    assert messages(cell) == []
    assert [p.id for p in pending_substitutions(cell.deps, SUPERVISOR)] == [view.id]


def test_the_address_is_stored_sealed_while_the_request_waits(cell: Cell) -> None:
    row = stored(cell, ask(cell).id)
    assert row.email_sealed and ADDRESS not in row.email_sealed
    assert row.email_masked == "v***@exemple.fr"


def test_granted_at_once_when_the_election_needs_no_approval(cell: Cell) -> None:
    variant(cell, requires_approval=False)
    view = ask(cell)
    assert view.state == "accordée"
    assert view.decided_by == AGENT.login
    assert view.message_state == "envoyé"
    assert view.materials[0].new_identifier is not None
    assert [e["outcome"] for e in entries(cell.deps, "substitution_request")] == ["accordée"]
    assert len(entries(cell.deps, "substitution_grant")) == 1
    assert pending_substitutions(cell.deps, SUPERVISOR) == []


def test_another_supervisor_approves_a_pending_request(cell: Cell) -> None:
    asked = ask(cell)
    cell.clock.advance(minutes=20)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "accordée"
    assert (view.requested_by, view.decided_by) == (AGENT.login, SUPERVISOR.login)
    assert view.decision_note == "pièces vérifiées"
    assert view.message_state == "envoyé"
    new = view.materials[0].new_identifier
    assert new is not None and re.fullmatch(f"[{UNAMBIGUOUS_ALPHABET}]{{12}}", new)
    assert pending_substitutions(cell.deps, SUPERVISOR) == []
    assert stored(cell, view.id).email_sealed is None  # the outbox holds it until sent


def test_the_requesting_supervisor_cannot_approve_their_own_request(cell: Cell) -> None:
    asked = ask(cell, who=SUPERVISOR)
    with pytest.raises(Forbidden, match="quatre yeux"):
        decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert stored(cell, asked.id).state == "pending"
    other = decide_substitution(cell.deps, SUPERVISOR_2, asked.id, True, "pièces vues")
    assert (other.state, other.decided_by) == ("accordée", SUPERVISOR_2.login)


def test_only_supervisors_decide_and_list(cell: Cell) -> None:
    asked = ask(cell)
    with pytest.raises(Forbidden):
        decide_substitution(cell.deps, AGENT, asked.id, True, "pièces vérifiées")
    with pytest.raises(Forbidden):
        pending_substitutions(cell.deps, AGENT)


def test_a_president_cannot_request(cell: Cell) -> None:
    with pytest.raises(Forbidden):
        request_substitution(
            cell.deps, PRESIDENT, "any", cell.voter.material_ids, checklist={},
            identity_match=True, email=ADDRESS, email_again=ADDRESS, declared_on=DECLARED,
        )


def test_a_supervisor_refuses_with_the_reason_stored(cell: Cell) -> None:
    asked = ask(cell)
    view = decide_substitution(
        cell.deps, SUPERVISOR, asked.id, False, "signature absente de la demande scannée"
    )
    assert view.state == "refusée"
    assert view.reason == "signature absente de la demande scannée"
    assert stored(cell, asked.id).state == "refused"
    refused = entries(cell.deps, "substitution_refuse")
    assert [e["outcome"] for e in refused] == ["refusée"]
    assert material(cell, cell.voter.material_id).status == "active"
    assert messages(cell) == []


def test_a_request_is_shown_to_its_author_and_supervisors_only(cell: Cell) -> None:
    asked = ask(cell)
    assert get_substitution(cell.deps, AGENT, asked.id) == asked
    assert get_substitution(cell.deps, SUPERVISOR, asked.id).id == asked.id
    other_agent = OperatorContext(login="agent2", role="agent", workstation="poste-2")
    with pytest.raises(NotFound):
        get_substitution(cell.deps, other_agent, asked.id)


def test_a_decision_needs_a_reason(cell: Cell) -> None:
    asked = ask(cell)
    with pytest.raises(ServiceError, match="Motif trop court"):
        decide_substitution(cell.deps, SUPERVISOR, asked.id, True, " ok ")


def test_only_a_pending_request_can_be_decided(cell: Cell) -> None:
    asked = ask(cell)
    decide_substitution(cell.deps, SUPERVISOR, asked.id, False, "demande non signée")
    with pytest.raises(ServiceError, match="seule une demande en attente"):
        decide_substitution(cell.deps, SUPERVISOR_2, asked.id, True, "pièces vérifiées")
    with pytest.raises(NotFound):
        decide_substitution(cell.deps, SUPERVISOR, 4242, True, "pièces vérifiées")


# ------------------------------------------------------- refusals, stored with why


def test_refused_when_a_checklist_item_is_missing_and_the_item_is_named(cell: Cell) -> None:
    answers = complete(cell.deps)
    signed = next(item for item in answers if item.startswith("Demande signée"))
    answers[signed] = False
    view = ask(cell, checklist=answers)
    assert_refused_and_stored(cell, view, f"« {signed} »", "pièce manquante")
    assert view.missing == (signed,)


def test_an_unticked_item_counts_as_missing(cell: Cell) -> None:
    answers = complete(cell.deps)
    first = next(iter(answers))
    del answers[first]
    assert_refused_and_stored(cell, ask(cell, checklist=answers), f"« {first} »")


def test_refused_when_the_identity_does_not_match(cell: Cell) -> None:
    view = ask(cell, identity_match=False)
    assert_refused_and_stored(cell, view, "ne correspondent pas à la liste électorale")


def test_refused_when_the_voter_already_voted(cell: Cell) -> None:
    mark_voted(cell, cell.voter.identifiers[0])
    view = ask(cell)
    assert_refused_and_stored(cell, view, "déjà voté", cell.voter.identifiers[0])


def test_refused_when_the_election_is_closed(cell: Cell) -> None:
    cell.clock.now = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)
    assert_refused_and_stored(cell, ask(cell), "est clos")


def test_refused_when_declared_before_the_election_allows(cell: Cell) -> None:
    view = ask(cell, declared_on=date(2021, 10, 28))
    assert_refused_and_stored(cell, view, "28/10/2021", "avant le 29/10/2021")


def test_refused_when_the_election_has_no_substitution(cell: Cell) -> None:
    view = ask(cell, cell.official, checklist={})
    assert_refused_and_stored(cell, view, "minint-2022 ne prévoit pas de matériel de substitution")


def test_refused_when_the_material_was_already_replaced(cell: Cell) -> None:
    variant(cell, requires_approval=False)
    ask(cell)
    view = request_substitution(  # in the same intervention, still open
        cell.deps, AGENT, _open_of(cell), [cell.voter.material_id],
        checklist=complete(cell.deps), identity_match=True, email=ADDRESS, email_again=ADDRESS,
        declared_on=DECLARED,
    )
    assert view.state == "refusée" and view.reason and "n'est plus actif" in view.reason
    assert stored(cell, view.id).state == "refused"


def test_every_anomaly_is_given(cell: Cell) -> None:
    view = ask(cell, identity_match=False, declared_on=date(2021, 10, 27), checklist={})
    assert_refused_and_stored(cell, view, "avant le 29/10/2021", "pièces manquantes",
                              "ne correspondent pas")


def test_approval_refused_when_the_voter_voted_meanwhile(cell: Cell) -> None:
    asked = ask(cell)
    mark_voted(cell, cell.voter.identifiers[0])
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "refusée" and view.reason and "déjà voté" in view.reason
    assert stored(cell, asked.id).reason == view.reason
    assert entries(cell.deps, "substitution_refuse")[-1]["details"]["approval_asked"] is True
    assert messages(cell) == []


def test_approval_refused_when_the_election_closed_meanwhile(cell: Cell) -> None:
    asked = ask(cell)
    cell.clock.now = datetime(2021, 11, 10, 8, 0, tzinfo=UTC)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.state == "refusée" and view.reason and "est clos" in view.reason
    assert material(cell, cell.voter.material_id).status == "active"


# ------------------------------------------------------ refused without a request


def test_a_second_request_while_one_is_pending_is_refused(cell: Cell) -> None:
    first = ask(cell, cell.twice, materials=cell.twice.material_ids)
    with pytest.raises(ServiceError, match=f"n° {first.id}"):
        request_substitution(
            cell.deps, SUPERVISOR, call(cell, cell.twice, SUPERVISOR),
            [cell.twice.material_ids[1]], checklist=complete(cell.deps),
            identity_match=True, email=ADDRESS, email_again=ADDRESS, declared_on=DECLARED,
        )
    assert len(entries(cell.deps, "substitution_request")) == 1


def test_a_material_of_another_voter_is_refused(cell: Cell) -> None:
    with pytest.raises(NotFound, match="n'appartient pas"):
        ask(cell, materials=(cell.other.material_id,))
    with pytest.raises(NotFound, match="introuvable"):
        request_substitution(
            cell.deps, AGENT, _open_of(cell), [987654], checklist=complete(cell.deps),
            identity_match=True, email=ADDRESS, email_again=ADDRESS, declared_on=DECLARED,
        )
    assert entries(cell.deps, "substitution_request") == []


def test_an_address_typed_twice_differently_is_refused_and_nothing_stored(cell: Cell) -> None:
    """Typed once, « gmial.com » went through: the new material went to a stranger."""
    with pytest.raises(InvalidValue, match="les deux saisies de l'adresse d'envoi diffèrent"):
        ask(cell, email="victoire.perso@gmail.com", email_again="victoire.perso@gmial.com")
    with cell.deps.reading() as session:
        assert session.execute(select(SubstitutionRequest)).first() is None


def test_an_address_typed_twice_in_another_case_is_one_address(cell: Cell) -> None:
    view = ask(cell, email="Victoire.Perso@Exemple.fr", email_again="victoire.perso@exemple.fr")
    assert view.state in ("en attente", "accordée")


def test_a_bad_address_is_refused_with_a_clear_message(cell: Cell) -> None:
    with pytest.raises(InvalidValue):
        ask(cell, email="victoire.perso@")
    assert entries(cell.deps, "substitution_request") == []


def test_a_declaration_dated_in_the_future_is_refused(cell: Cell) -> None:
    with pytest.raises(InvalidValue, match="postérieur à aujourd'hui"):
        ask(cell, declared_on=date(2021, 11, 3))


def test_an_item_the_election_does_not_list_is_refused(cell: Cell) -> None:
    with pytest.raises(InvalidValue, match="pièce inconnue"):
        ask(cell, checklist=complete(cell.deps) | {"Facture EDF": True})


def test_a_request_needs_the_operators_open_intervention(cell: Cell) -> None:
    intervention = call(cell, cell.voter, AGENT)
    with pytest.raises(NotFound):
        request_substitution(
            cell.deps, SUPERVISOR, intervention, cell.voter.material_ids,
            checklist=complete(cell.deps), identity_match=True, email=ADDRESS, email_again=ADDRESS,
            declared_on=DECLARED,
        )


# ----------------------------------------------------------------- after a grant


def test_after_grant_the_new_material_works_and_the_original_does_not(cell: Cell) -> None:
    variant(cell, with_credentials=True)
    old = give_credentials(cell, cell.voter)
    before = cell.voter.identifiers[0]
    assert check_login(cell.deps, CCI, before, cell.voter.birth_date, **old)
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")

    original = material(cell, cell.voter.material_id)
    assert original.status == "substituted"
    with cell.deps.reading() as session:
        item = session.execute(
            select(SubstitutionItem).where(SubstitutionItem.request_id == view.id)
        ).scalar_one()
        new = session.get(Material, item.new_material_id)
        assert new is not None
        old_credentials = session.execute(
            select(Credential).where(Credential.material_id == original.id)
        ).scalars().all()
        new_credentials = session.execute(
            select(Credential).where(Credential.material_id == new.id)
        ).scalars().all()
    assert {c.status for c in old_credentials} == {"revoked"}
    assert {c.revoke_reason for c in old_credentials} == {"substitution"}
    assert (new.status, new.replaces_id, new.voted_at) == ("active", original.id, None)
    assert (new.election_id, new.voter_id, new.capacity, new.bureau_code) == (
        original.election_id, original.voter_id, original.capacity, original.bureau_code,
    )
    assert sorted((c.kind, c.status, c.issued_by) for c in new_credentials) == [
        ("password", "active", SUPERVISOR.login),
        ("security_key", "active", SUPERVISOR.login),
    ]
    assert view.materials[0].new_identifier == new.identifier

    given = mailed(cell)
    assert given["Identifiant de vote"] == new.identifier
    assert check_login(
        cell.deps, CCI, given["Identifiant de vote"], cell.voter.birth_date,
        password=given["Mot de passe"], security_key=given["Clé de sécurité"],
    )
    assert not check_login(
        cell.deps, CCI, before, cell.voter.birth_date, password=given["Mot de passe"]
    )
    assert not check_login(cell.deps, CCI, before, cell.voter.birth_date, **old)


def test_the_email_goes_to_the_address_of_the_request(cell: Cell) -> None:
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    mail = material_email(cell)
    assert mail["To"] == ADDRESS
    assert "Élections CCI Hauts-de-France 2021" in str(mail["From"])
    assert "substitution" in str(mail["Subject"])
    assert mailed(cell)["Identifiant de vote"] == view.materials[0].new_identifier
    [message] = messages(cell)
    assert (message.purpose, message.channel, message.typed_recipient) == (
        "substitution", "email", True,
    )
    assert message.recipient_masked == "v***@exemple.fr"
    assert message.intervention_id == asked.intervention_id


def test_one_request_replaces_every_material_concerned(cell: Cell) -> None:
    asked = ask(cell, cell.twice, materials=cell.twice.material_ids)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert [m.old_identifier for m in view.materials] == list(cell.twice.identifiers)
    assert {m.capacity for m in view.materials} == {"à titre personnel", "représentant"}
    assert all(m.new_identifier for m in view.materials)
    assert [material(cell, mid).status for mid in cell.twice.material_ids] == [
        "substituted", "substituted",
    ]
    assert len(messages(cell)) == 1
    text = str(material_email(cell).get_content())
    for new in view.materials:
        assert new.new_identifier and new.new_identifier in text


def test_an_identifier_clash_draws_again(
    cell: Cell, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = iter([cell.other.identifiers[0], "ABCDEFGHJKMN"])  # the first is taken
    monkeypatch.setattr(service, "_draw_identifier", lambda fmt: next(draws))
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    assert view.materials[0].new_identifier == "ABCDEFGHJKMN"
    assert material(cell, cell.other.material_id).status == "active"


def test_the_journal_has_the_request_and_the_grant_with_the_intervention(cell: Cell) -> None:
    variant(cell, with_credentials=True)
    asked = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    [request] = entries(cell.deps, "substitution_request")
    [grant] = entries(cell.deps, "substitution_grant")
    assert request["intervention"] == grant["intervention"] == asked.intervention_id
    assert (request["operator"], grant["operator"]) == (AGENT.login, SUPERVISOR.login)
    assert request["details"]["materials"] == [cell.voter.material_id]
    [replaced] = grant["details"]["materials"]
    assert (replaced["old"], replaced["new"]) == (
        cell.voter.material_id, replacement(cell, cell.voter.material_id).id,
    )  # fmt: skip
    assert replacement(cell, cell.voter.material_id).identifier == view.materials[0].new_identifier
    assert grant["details"]["credentials"] == ["security_key", "password"]
    assert [e["action"] for e in entries(cell.deps, intervention=asked.intervention_id)] == [
        "intervention_open", "verification", "substitution_request", "message_queue",
        "substitution_grant",
        "message_queue", "message_sent", "message_sent",  # the material, then the notice
    ]
    journal = bodies(cell.deps)
    given = mailed(cell)
    assert given["Mot de passe"] not in journal
    assert given["Clé de sécurité"] not in journal
    assert given["Clé de sécurité"].replace("-", "") not in journal
    assert ADDRESS not in journal and "victoire.perso" not in journal


def test_the_journal_names_materials_by_number_never_by_identifier(cell: Cell) -> None:
    other_agent = OperatorContext(login="agent2", role="agent", workstation="poste-2")
    refused = ask(cell, cell.twice, other_agent, materials=cell.twice.material_ids)
    decide_substitution(cell.deps, SUPERVISOR, refused.id, False, "pièces illisibles")
    granted = ask(cell)
    view = decide_substitution(cell.deps, SUPERVISOR, granted.id, True, "pièces vérifiées")
    [_, request] = entries(cell.deps, "substitution_request")
    [refusal] = entries(cell.deps, "substitution_refuse")
    assert request["details"]["materials"] == [cell.voter.material_id]
    assert refusal["details"]["materials"] == list(cell.twice.material_ids)
    written = json.dumps(
        [e for e in entries(cell.deps) if e["action"].startswith("substitution_")],
        ensure_ascii=False,
    )
    new = view.materials[0].new_identifier
    identifiers = [*cell.twice.identifiers, *cell.voter.identifiers, new]
    assert new and not [identifier for identifier in identifiers if identifier in written]


def test_the_registered_address_is_told_of_the_substitution(cell: Cell) -> None:
    asked = ask(cell)
    decide_substitution(cell.deps, SUPERVISOR, asked.id, True, "pièces vérifiées")
    [notice] = [m for m in all_messages(cell) if m.purpose == "notice"]
    assert notice.channel in ("email", "sms") and not notice.typed_recipient
    assert notice.recipient_masked != "v***@exemple.fr"  # not the address of the request
    assert notice.state == "sent"


def replacement(cell: Cell, material_id: int) -> Material:
    """The material that replaced ``material_id``."""
    with cell.deps.reading() as session:
        return session.execute(
            select(Material).where(Material.replaces_id == material_id)
        ).scalar_one()


def all_messages(cell: Cell) -> list[OutboundMessage]:
    with cell.deps.reading() as session:
        return list(session.execute(select(OutboundMessage)).scalars())
