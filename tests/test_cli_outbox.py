"""``csu outbox deliver`` and ``csu outbox list``, on a SQLite file made by ``csu init``,
with the transports the settings choose (the outbox folder by default)."""

import json
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.domain.masking import mask_email, mask_phone
from csu.services.context import Deps
from csu.services.outbox import Outgoing, enqueue
from csu.services.rolls import import_voters
from csu.store.engine import make_engine
from csu.store.tables import Voter
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.conftest import ADMIN, AGENT

MININT = Path(__file__).resolve().parents[1] / "data" / "elections" / "minint-2022.toml"
HEADER = (
    "matricule;nom;prenom;date_naissance;email_pro;telephone_pro;telephone_mobile;bureau;"
    "qualite;identifiant;numen;nir;iban;carte_agent;question_defi;reponse_defi"
)
ROW = (
    "AB1234;Dupont;Jeanne;12/03/1970;jeanne.dupont@interieur.gouv.fr;01 40 00 00 00;"
    "06 12 34 56 78;B75;électeur;ID-0001;;;FR7630006000011234567890189;XK12345678;;"
)
NUMBER = "+33612345678"
ADDRESS = "jeanne.dupont@interieur.gouv.fr"
SENDER = "CSU électeurs — Élections professionnelles 2022"
BODY = "Votre code de vérification est 482915."


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CSU_* setting from the user's shell, data dir in tmp; no proxy for urllib."""
    clean_environment(tmp_path, monkeypatch)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@contextmanager
def deps_of(db: Path) -> Iterator[Deps]:
    """Services on the command's database, with the key that `csu init` wrote."""
    engine = make_engine(f"sqlite:///{db}")
    try:
        key = Path(f"{db}.key").read_text().strip().encode()
        yield Deps(engine=engine, key=key)
    finally:
        engine.dispose()


def query(db: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An initialised database with minint-2022 and one voter on its roll."""
    path = tmp_path / "base" / "cellule.sqlite"
    initialised(path, MININT)
    roll = tmp_path / "roll.csv"
    roll.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    with deps_of(path) as deps:
        assert import_voters(deps, ADMIN, roll, "minint-2022").committed
    return path


def queue(db: Path, channel: str) -> int:
    """A message written as a service would, due now (the command runs on the real clock)."""
    recipient, masked = (
        (NUMBER, mask_phone(NUMBER)) if channel == "sms" else (ADDRESS, mask_email(ADDRESS))
    )
    outgoing = Outgoing("otp", channel, recipient, masked, "Votre code", BODY, SENDER)
    with deps_of(db) as deps, deps.writing() as session:
        voter = session.execute(select(Voter)).scalars().one()
        row = enqueue(session, deps, AGENT, voter, outgoing, election_id="minint-2022",
                      intervention_id=None, now=datetime.now(UTC) - timedelta(seconds=1))
        return row.id or 0


def states(db: Path) -> list[tuple]:
    return query(db, "SELECT id, state, attempts FROM outbound_message ORDER BY id")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_deliver_writes_due_messages_into_the_outbox_folder(db: Path, tmp_path: Path) -> None:
    sms, email = queue(db, "sms"), queue(db, "email")
    result = csu("outbox", "deliver", "--db", db)
    assert_done(result)
    assert "2 messages traités — envoyé : 2" in said(result)
    outbox = tmp_path / "outbox"  # CSU_DATA_DIR/outbox, the settings' outbox_dir
    [json_file] = outbox.glob("*.json")
    [eml_file] = outbox.glob("*.eml")
    assert json.loads(json_file.read_text(encoding="utf-8"))["to"] == NUMBER
    mail = BytesParser(policy=policy.default).parsebytes(eml_file.read_bytes())
    assert mail["To"] == ADDRESS
    assert states(db) == [(sms, "sent", 1), (email, "sent", 1)]


def test_deliver_with_nothing_due_says_so(db: Path, tmp_path: Path) -> None:
    result = csu("outbox", "deliver", "--db", db)
    assert_done(result)
    assert "0 message traité." in said(result)
    assert not (tmp_path / "outbox").exists()


def test_deliver_sends_a_message_only_once(db: Path, tmp_path: Path) -> None:
    queue(db, "sms")
    assert_done(csu("outbox", "deliver", "--db", db))
    result = csu("outbox", "deliver", "--db", db)
    assert_done(result)
    assert "0 message traité." in said(result)
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_deliver_with_the_sms_gateway_down_leaves_the_message_pending(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SMS_TRANSPORT", "http")
    monkeypatch.setenv("CSU_SMS_URL", f"http://127.0.0.1:{closed_port()}/v1/sms")
    monkeypatch.setenv("CSU_SMS_TOKEN", "jeton-secret-de-la-passerelle")
    monkeypatch.setenv("CSU_DELIVERY_TIMEOUT_SECONDS", "2")
    message = queue(db, "sms")
    result = csu("outbox", "deliver", "--db", db)
    assert_done(result)
    assert "1 message traité — en attente : 1" in said(result)
    assert states(db) == [(message, "pending", 1)]
    [(error,)] = query(db, "SELECT last_error FROM outbound_message")
    assert "injoignable" in error and NUMBER not in error


def test_list_shows_masked_recipients_and_states(db: Path) -> None:
    queue(db, "sms")
    queue(db, "email")
    result = csu("outbox", "list", "--db", db)
    assert_done(result)
    text = said(result)
    assert mask_phone(NUMBER) in text and mask_email(ADDRESS) in text
    assert NUMBER not in text and ADDRESS not in text
    assert text.count("en attente") == 2


def test_list_shows_a_delivered_message_as_sent(db: Path) -> None:
    queue(db, "email")
    assert_done(csu("outbox", "deliver", "--db", db))
    result = csu("outbox", "list", "--db", db)
    assert_done(result)
    assert "envoyé" in said(result) and "en attente" not in said(result)


def test_list_limit_keeps_the_latest(db: Path) -> None:
    queue(db, "sms")
    queue(db, "email")
    result = csu("outbox", "list", "--limit", "1", "--db", db)
    assert_done(result)
    assert mask_email(ADDRESS) in said(result)
    assert mask_phone(NUMBER) not in said(result)


def test_a_misconfigured_transport_is_refused_naming_the_variable(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_EMAIL_TRANSPORT", "smtp")
    message = queue(db, "email")
    result = csu("outbox", "deliver", "--db", db)
    assert_refused(result, "Erreur", "définissez CSU_SMTP_HOST")
    assert states(db) == [(message, "pending", 0)]
