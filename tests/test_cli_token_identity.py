"""``csu token redeem`` on a men-2011 password link (seed 003): the link's page asks
the NUMEN and the département of birth before it shows the password; the command takes
them as options (``--numen``, ``--birth-department``) and asks for those missing."""

import dataclasses
import re
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.delivery.folder import FolderDelivery
from csu.domain.clock import PARIS
from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.identifier_delivery import send_identifier
from csu.services.interventions import open_intervention
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_password_link
from csu.store.tables import Material, Voter
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said
from tests.conftest import AGENT
from tests.services.intervention_support import wrong
from tests.test_cli import deps_of

MEN_2011 = Path(__file__).resolve().parents[1] / "data" / "elections" / "men-2011.toml"
TOKEN = re.compile(r"jeton=([A-Za-z0-9_-]+)")
PASSWORD = re.compile(r"matériel (\S+) : (\S+) \(à afficher")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)
    # A cheap argon2id for the password's hash: these tests are not about its cost.
    monkeypatch.setenv("CSU_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "1")


def open_now(folder: Path) -> Path:
    """men-2011 as shipped, but open now (links honoured until its close): the command
    runs on the system clock."""
    now = datetime.now(UTC).astimezone(PARIS).replace(tzinfo=None, microsecond=0)
    text = MEN_2011.read_text(encoding="utf-8")
    close = now + timedelta(days=7)
    for key, moment in (("opens_at", now - timedelta(days=1)), ("closes_at", close),
                        ("links_until", close)):  # fmt: skip
        text, found = re.subn(
            rf"^{key} = .*$", f"{key} = {moment.isoformat()}", text, flags=re.MULTILINE
        )
        assert found == 1, key
    path = folder / "men-2011.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclasses.dataclass
class Teacher:
    db: Path
    row: dict[str, str]
    voter_id: int
    material_id: int

    @property
    def page(self) -> dict[str, str]:
        """What the link's page asks: the NUMEN, the NIR's 6th and 7th characters."""
        return {"numen": self.row["numen"], "birth_department": self.row["nir"][5:7]}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("token-2011-db")
    db = folder / "cellule.sqlite"
    with pytest.MonkeyPatch.context() as monkeypatch:
        clean_environment(folder, monkeypatch)
        assert_done(csu("init", "--db", db))
        assert_done(csu("election", "load", open_now(folder), "--db", db))
        rows = list(generate_roll("men-2011", 4, bureaus=("MEN11-PARIS",)))
        write_roll_csv(rows, folder / "roll.csv")
        assert_done(csu("import", "voters", folder / "roll.csv", "--election", "men-2011",
                        "--workers", "1", "--db", db))  # fmt: skip
    return db, rows


@pytest.fixture
def teacher(built: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> Teacher:
    source, rows = built
    db = tmp_path / "base" / "cellule.sqlite"
    db.parent.mkdir()
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(db)) as dst:
        src.backup(dst)
    shutil.copyfile(f"{source}.key", f"{db}.key")
    row = next(r for r in rows if r["numen"] and r["nir"] and r["email_pro"])
    with deps_of(db) as deps, deps.reading() as session:
        voter = session.execute(
            select(Voter).where(Voter.matricule == row["matricule"])
        ).scalar_one()
        material = session.execute(
            select(Material).where(Material.voter_id == voter.id)
        ).scalar_one()
        return Teacher(db, row, voter.id or 0, material.id or 0)


def send_link(teacher: Teacher, outbox: Path) -> str:
    """An agent verifies the caller, e-mails the identifier, then the password link."""
    with deps_of(teacher.db) as deps:
        deps = dataclasses.replace(deps, delivery=FolderDelivery(outbox))
        call = open_intervention(deps, AGENT, teacher.voter_id, "phone")
        assert verify_identity(deps, AGENT, call.id, teacher.page).verified
        send_identifier(deps, AGENT, call.id, teacher.material_id, to="pro")
        send_password_link(deps, AGENT, call.id, teacher.material_id)
    for path in sorted(outbox.glob("*.eml")):
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        found = TOKEN.findall(str(mail.get_body(("plain",)).get_content()))  # type: ignore[union-attr]
        if found:
            return found[0]
    raise AssertionError("no password link in the outbox")


def password_works(teacher: Teacher, password: str) -> bool:
    birth = datetime.strptime(teacher.row["date_naissance"], "%d/%m/%Y").date()
    with deps_of(teacher.db) as deps:
        return check_login(
            deps, "men-2011", teacher.row["identifiant"], birth, password=password
        )


def test_the_options_carry_the_answers_and_the_password_shows(
    teacher: Teacher, tmp_path: Path
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    result = csu("token", "redeem", token, "--numen", page["numen"],
                 "--birth-department", page["birth_department"], "--db", teacher.db)  # fmt: skip
    assert_done(result)
    found = PASSWORD.search(said(result))
    assert found, said(result)
    assert found.group(1) == teacher.row["identifiant"]
    assert password_works(teacher, found.group(2))
    assert "Validation de votre identité" not in said(result)  # nothing left to ask


def test_the_answers_missing_are_asked_for(teacher: Teacher, tmp_path: Path) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    typed = f"{page['numen']}\n{page['birth_department']}\n"
    result = csu("token", "redeem", token, "--db", teacher.db, input=typed)
    assert_done(result)
    text = said(result)
    assert "Validation de votre identité (page du lien) : NUMEN:" in text
    assert "département de naissance:" in text
    assert page["numen"] not in text  # the NUMEN is typed hidden
    found = PASSWORD.search(text)
    assert found and password_works(teacher, found.group(2))


def test_only_the_missing_answer_is_asked(teacher: Teacher, tmp_path: Path) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    result = csu("token", "redeem", token, "--numen", page["numen"], "--db", teacher.db,
                 input=f"{page['birth_department']}\n")  # fmt: skip
    assert_done(result)
    assert "NUMEN:" not in said(result)
    assert "département de naissance:" in said(result)


def test_a_wrong_answer_is_refused_and_the_link_still_serves(
    teacher: Teacher, tmp_path: Path
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    refused = csu("token", "redeem", token, "--numen", wrong(page["numen"]),
                  "--birth-department", page["birth_department"], "--db", teacher.db)  # fmt: skip
    assert_refused(
        refused, "Identité non validée", "1re erreur sur 3 : encore 2 essais avant l'annulation"
    )
    again = csu("token", "redeem", token, "--numen", page["numen"],
                "--birth-department", page["birth_department"], "--db", teacher.db)  # fmt: skip
    assert_done(again)


def test_an_answer_the_link_does_not_ask_is_refused(teacher: Teacher, tmp_path: Path) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    page = teacher.page
    result = csu("token", "redeem", token, "--numen", page["numen"],
                 "--birth-department", page["birth_department"], "--iban", "123456",
                 "--db", teacher.db)  # fmt: skip
    assert_refused(result, "non demandé : iban")
