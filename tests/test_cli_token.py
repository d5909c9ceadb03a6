"""``csu token redeem``: opens a vote-code link as the voting platform would, on a
database built with the command (init, election load, import voters)."""

import dataclasses
import json
import re
import secrets
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.delivery.folder import FolderDelivery
from csu.domain.clock import PARIS
from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.interventions import open_intervention
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from csu.store.tables import Material, Voter
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said
from tests.conftest import AGENT
from tests.test_cli import deps_of

MEN = Path(__file__).resolve().parents[1] / "data" / "elections" / "men-2022.toml"
TYPED_MOBILE = "06 12 34 56 78"
TOKEN = re.compile(r"jeton=([A-Za-z0-9_-]+)")
CODE = re.compile(r"matériel (\S+) : ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}) ")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)
    # A cheap argon2id for the vote code's hash: these tests are not about its cost.
    monkeypatch.setenv("CSU_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "1")


def open_now(tmp_path: Path) -> Path:
    """men-2022 as shipped, but open now: the command runs on the system clock."""
    now = datetime.now(UTC).astimezone(PARIS).replace(tzinfo=None, microsecond=0)
    text = MEN.read_text(encoding="utf-8")
    for key, moment in (("opens_at", now - timedelta(days=1)),
                        ("closes_at", now + timedelta(days=7))):
        text, found = re.subn(rf"^{key} = .*$", f"{key} = {moment.isoformat()}", text,
                              flags=re.MULTILINE)
        assert found == 1, key
    path = tmp_path / "men-2022.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclasses.dataclass
class Teacher:
    db: Path
    row: dict[str, str]
    voter_id: int
    material_id: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """A database made by the command once per module, with a small men-2022 roll."""
    folder = tmp_path_factory.mktemp("token-db")
    db = folder / "cellule.sqlite"
    with pytest.MonkeyPatch.context() as monkeypatch:
        clean_environment(folder, monkeypatch)
        assert_done(csu("init", "--db", db))
        assert_done(csu("election", "load", open_now(folder), "--db", db))
        rows = list(generate_roll("men-2022", 3, bureaus=("MEN-LILLE",)))
        write_roll_csv(rows, folder / "roll.csv")
        assert_done(csu("import", "voters", folder / "roll.csv", "--election", "men-2022",
                        "--workers", "1", "--db", db))
    return db, rows


@pytest.fixture
def teacher(built: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> Teacher:
    """A copy of the built database (and its key); the first teacher of its roll."""
    source, rows = built
    db = tmp_path / "base" / "cellule.sqlite"
    db.parent.mkdir()
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(db)) as dst:
        src.backup(dst)
    shutil.copyfile(f"{source}.key", f"{db}.key")
    row = rows[0]
    with deps_of(db) as deps, deps.reading() as session:
        voter = session.execute(
            select(Voter).where(Voter.matricule == row["matricule"])
        ).scalar_one()
        material = session.execute(
            select(Material).where(Material.voter_id == voter.id)
        ).scalar_one()
        return Teacher(db, row, voter.id or 0, material.id or 0)


def send_link(teacher: Teacher, outbox: Path, *, dash_ok: bool = False) -> str:
    """An agent verifies the teacher and sends a link by SMS; the token it carries.

    Tokens never begin with "-" (the command line would take it for an option); with
    ``dash_ok`` false a test would notice one.
    """
    with deps_of(teacher.db) as deps:
        deps = dataclasses.replace(deps, delivery=FolderDelivery(outbox))
        call = open_intervention(deps, AGENT, teacher.voter_id, "phone")
        answers = {"challenge_answer": teacher.row["reponse_defi"], "numen": teacher.row["numen"]}
        assert verify_identity(deps, AGENT, call.id, answers).verified
        for _ in range(3):  # three links an hour at most
            sent = send_vote_code_link(
                deps, AGENT, call.id, teacher.material_id, "sms", TYPED_MOBILE
            )
            assert sent.delivery == "envoyé"
            newest = max(outbox.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
            [token] = TOKEN.findall(json.loads(newest.read_text(encoding="utf-8"))["text"])
            if dash_ok or not token.startswith("-"):
                return token
    raise AssertionError("three tokens in a row began with '-'")


def vote_code_works(teacher: Teacher, typed: str) -> bool:
    birth = datetime.strptime(teacher.row["date_naissance"], "%d/%m/%Y").date()
    with deps_of(teacher.db) as deps:
        return check_login(deps, "men-2022", teacher.row["identifiant"], birth, vote_code=typed)


def test_token_redeem_prints_the_new_code_and_its_display_time(
    teacher: Teacher, tmp_path: Path
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    result = csu("token", "redeem", token, "--db", teacher.db)
    assert_done(result)
    text = said(result)
    assert "Nouveau code de vote du matériel" in text
    assert "(à afficher 120 s, une seule fois)" in text
    found = CODE.search(text)
    assert found, text
    assert found.group(1) == teacher.row["identifiant"]
    assert vote_code_works(teacher, found.group(2))


def test_token_redeem_sends_the_notice_to_the_local_outbox(
    teacher: Teacher, tmp_path: Path
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    assert_done(csu("token", "redeem", token, "--db", teacher.db))
    [notice] = (tmp_path / "outbox").glob("*.eml")  # CSU_DATA_DIR/outbox
    assert f"To: {teacher.row['email_pro']}" in notice.read_text(encoding="utf-8")


def test_token_redeem_of_an_unknown_token_is_refused(teacher: Teacher) -> None:
    result = csu("token", "redeem", "A" * 32, "--db", teacher.db)
    assert_refused(result, "Erreur :", "Lien invalide")


def test_token_redeem_twice_is_refused_the_second_time(
    teacher: Teacher, tmp_path: Path
) -> None:
    token = send_link(teacher, tmp_path / "agent-outbox")
    assert_done(csu("token", "redeem", token, "--db", teacher.db))
    assert_refused(csu("token", "redeem", token, "--db", teacher.db), "Lien invalide")


def test_a_token_never_begins_with_a_dash_the_command_line_would_take_for_an_option(
    teacher: Teacher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = secrets.token_urlsafe
    drawn = iter(["-" + real(24)[1:]])  # the first draw begins with "-"
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn, None) or real(n))
    token = send_link(teacher, tmp_path / "agent-outbox", dash_ok=True)
    assert not token.startswith("-")
    assert_done(csu("token", "redeem", token, "--db", teacher.db))
