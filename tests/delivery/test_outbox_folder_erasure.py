"""The outbox folder's files (codes, links, addresses in clear) do not outlive their use:
erased past ``CSU_OUTBOX_FOLDER_RETENTION_HOURS`` on the outbox's regular pass, and by
``csu purge`` with the messages it purges."""

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.delivery import Message
from csu.delivery.folder import FolderDelivery
from csu.services.context import Deps
from csu.services.interventions import close_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import Outgoing, deliver_due, enqueue
from csu.services.retention import purge
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from csu.store.engine import make_engine
from csu.store.tables import OutboundMessage, Voter
from tests.cli_support import assert_done, clean_environment, csu, initialised, said
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    open_call,
)

RETENTION = timedelta(hours=24)
AFTER_THE_CLOSE = datetime(2022, 12, 10, 9, 0, tzinfo=UTC)  # both 2022 votes closed on the 8th
CLOSED_BEFORE = datetime(2022, 12, 9, 0, 0, tzinfo=UTC)


def with_folder(desk: Desk, retention: timedelta = RETENTION) -> tuple[Deps, FolderDelivery]:
    """The desk's services writing into an outbox folder that ages with the desk's clock."""
    folder = FolderDelivery(desk.tmp_path / "outbox", retention=retention, clock=desk.clock)
    return dataclasses.replace(desk.deps, delivery=folder), folder


def files(folder: FolderDelivery) -> list[str]:
    return sorted(p.name for p in folder.folder.iterdir()) if folder.folder.exists() else []


def code_by_sms(desk: Desk, deps: Deps) -> list[str]:
    """A one-time code by SMS to the minint-2022 caller; the names of the files written."""
    call = open_call(desk, desk.caller)
    send_one_time_code(deps, AGENT, call.id, "otp_mobile")
    close_intervention(deps, AGENT, call.id, "résolu")
    return references(deps, "minint-2022")


def link_by_email(desk: Desk, deps: Deps) -> list[str]:
    """An S6 link for the men-2022 teacher to a typed address, then its notice to the
    professional address; the names of the files written."""
    call = open_call(desk, desk.teacher)
    assert verify_identity(deps, AGENT, call.id, desk.teacher.education_answers()).verified
    send_vote_code_link(
        deps, AGENT, call.id, desk.teacher.material_id, "email", "ines.perso@exemple.fr",
        confirm="ines.perso@exemple.fr",
    )
    close_intervention(deps, AGENT, call.id, "résolu")
    return references(deps, "men-2022")


def references(deps: Deps, election: str) -> list[str]:
    """The references of the election's messages: their files' names."""
    with deps.reading() as session:
        found = session.execute(
            select(OutboundMessage.reference).where(OutboundMessage.election_id == election)
        ).scalars()
        names = sorted(name for name in found if name is not None)
    assert names
    return names


# ------------------------------------------------------ the outbox's regular pass


def test_the_regular_pass_erases_files_past_their_retention(desk: Desk) -> None:
    deps, folder = with_folder(desk)
    code_by_sms(desk, deps)
    desk.clock.advance(hours=24, minutes=1)
    deliver_due(deps)
    assert files(folder) == []


def test_the_regular_pass_keeps_files_within_their_retention(desk: Desk) -> None:
    deps, folder = with_folder(desk)
    names = code_by_sms(desk, deps)
    desk.clock.advance(hours=23)
    deliver_due(deps)
    assert files(folder) == names


# ---------------------------------------------------------------------- the purge


def test_a_purge_erases_the_files_of_the_messages_it_purges(desk: Desk) -> None:
    deps, folder = with_folder(desk, retention=timedelta(days=3650))  # retention out of play
    kept, erased = code_by_sms(desk, deps), link_by_email(desk, deps)
    desk.clock.now = AFTER_THE_CLOSE
    report = purge(deps, ADMIN, before=CLOSED_BEFORE, election="men-2022")
    assert (report.outbox_files, files(folder)) == (len(erased), kept)


def test_a_purge_erases_files_past_their_retention_whatever_the_elections(desk: Desk) -> None:
    deps, folder = with_folder(desk)
    code_by_sms(desk, deps)
    desk.clock.advance(days=2)  # the 2022 votes are still open: none of them to purge
    report = purge(deps, ADMIN)
    assert (report.outbox_files, files(folder)) == (1, [])
    # Only men-2011 (closed in 2011) is past its retention.
    assert [election.election_id for election in report.purged] == ["men-2011"]


def test_a_dry_run_counts_the_files_and_erases_none(desk: Desk) -> None:
    deps, folder = with_folder(desk, retention=timedelta(days=3650))
    names = sorted(code_by_sms(desk, deps) + link_by_email(desk, deps))
    desk.clock.now = AFTER_THE_CLOSE
    report = purge(deps, ADMIN, before=CLOSED_BEFORE, dry_run=True)
    assert (report.outbox_files, files(folder)) == (len(names), names)


# ------------------------------------------------------------------ csu purge


@pytest.fixture
def cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store made by ``csu init`` with minint-2022 (closed in 2022) and one voter."""
    clean_environment(tmp_path, monkeypatch)
    path = tmp_path / "cellule.sqlite"
    roll = tmp_path / "roll.csv"
    roll.write_text(
        "matricule;nom;prenom;date_naissance;email_pro;telephone_pro;telephone_mobile;bureau;"
        "qualite;identifiant;numen;nir;iban;carte_agent;question_defi;reponse_defi\n"
        "AB1234;Dupont;Jeanne;12/03/1970;jeanne.dupont@interieur.gouv.fr;01 40 00 00 00;"
        "06 12 34 56 78;B75;électeur;ID-0001;;;FR7630006000011234567890189;XK12345678;;\n",
        encoding="utf-8",
    )
    initialised(path, ELECTIONS / "minint-2022.toml")
    assert_done(csu("import", "voters", roll, "--election", "minint-2022", "--db", path))
    return path


def queue_code(db: Path) -> None:
    """A code for the voter, written as a service would (the command delivers it)."""
    engine = make_engine(f"sqlite:///{db}")
    deps = Deps(engine=engine, key=Path(f"{db}.key").read_text().strip().encode())
    outgoing = Outgoing(
        "otp", "sms", "+33612345678", "+33 6 ** ** ** 78", "Votre code",
        "Votre code de vérification est 482915.", "CSU électeurs",
    )
    try:
        with deps.writing() as session:
            voter = session.execute(select(Voter)).scalars().one()
            enqueue(session, deps, AGENT, voter, outgoing, election_id="minint-2022",
                    intervention_id=None, now=datetime.now(UTC) - timedelta(seconds=1))
    finally:
        engine.dispose()


def test_csu_purge_erases_the_outbox_files_of_the_purged_election(
    cell: Path, tmp_path: Path
) -> None:
    queue_code(cell)
    assert_done(csu("outbox", "deliver", "--db", cell))
    outbox = tmp_path / "outbox"  # CSU_DATA_DIR/outbox
    [written] = outbox.iterdir()
    stranger = FolderDelivery(outbox).send(  # no message of this store: stays
        Message("sms", "+33698765432", "CSU", "Code", "Votre code est 135790.")
    )
    result = csu("purge", "--db", cell)
    assert_done(result)
    assert "Boîte d'envoi : 1 fichier effacé." in said(result)
    assert not written.exists() and [p.name for p in outbox.iterdir()] == [stranger]


def test_csu_purge_erases_outbox_files_past_the_retention_setting(
    cell: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_OUTBOX_FOLDER_RETENTION_HOURS", "1")
    then = datetime.now(UTC) - timedelta(hours=2)
    old = FolderDelivery(tmp_path / "outbox", clock=lambda: then).send(
        Message("email", "jeanne.dupont@interieur.gouv.fr", "CSU", "Code", "Code : 135790.")
    )
    result = csu("purge", "--db", cell, "--dry-run")
    assert_done(result)
    assert "Boîte d'envoi : 1 fichier à effacer." in said(result)
    assert (tmp_path / "outbox" / old).exists()
    assert_done(csu("purge", "--db", cell))
    assert not (tmp_path / "outbox" / old).exists()
