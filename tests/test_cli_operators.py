"""``csu operator add|change|disable|reset-totp|unlock``, driven as an administrator would.

Each test runs the real Typer app on a SQLite file in its own temporary
directory, with no ``CSU_*`` setting from the user's shell and a cheap argon2.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from sqlmodel import select
from typer.testing import Result

from csu.domain.clock import to_paris
from csu.services.auth import MAX_FAILURES, LoginRefused, log_in
from csu.services.context import Deps
from csu.services.operators import OperatorView, list_operators
from csu.store.engine import make_engine
from csu.store.tables import Bureau, JournalEntry, Operator
from tests.cli_support import (
    ANSI,
    assert_done,
    assert_refused,
    clean_environment,
    csu,
    initialised,
    said,
)
from tests.conftest import ADMIN
from tests.fakes import FAST_HASHER

URI = re.compile(r"otpauth://totp/\S+")
QR_BLOCKS = ("█", "▀", "▄")
PASSWORD = "Pluie-sur-Brest-42"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CSU_* setting from the user's shell; data dir in tmp; cheap argon2; wide console."""
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "1")


@contextmanager
def deps_of(db: Path) -> Iterator[Deps]:
    engine = make_engine(f"sqlite:///{db}")
    key = Path(f"{db}.key").read_text().strip().encode()
    try:
        yield Deps(engine=engine, key=key, hasher=FAST_HASHER)
    finally:
        engine.dispose()


def operator(db: Path, login: str) -> Operator | None:
    with deps_of(db) as deps, deps.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).first()


def listed(db: Path) -> list[OperatorView]:
    with deps_of(db) as deps:
        return list_operators(deps, ADMIN)


def actions(db: Path) -> list[str]:
    with deps_of(db) as deps, deps.reading() as session:
        return [row.action for row in session.exec(select(JournalEntry)).all()]


def secret_shown(result: Result) -> str:
    [uri] = URI.findall(ANSI.sub("", result.output))
    return pyotp.parse_uri(uri).secret


def logs_in(db: Path, login: str, password: str, secret: str) -> bool:
    with deps_of(db) as deps:
        try:
            log_in(deps, login, password, pyotp.TOTP(secret).now(), "poste-test")
        except LoginRefused:
            return False
    return True


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "base" / "cellule.sqlite"
    return initialised(path)


@pytest.fixture
def camille(db: Path) -> str:
    """An agent created through the command; returns her TOTP seed."""
    result = csu(
        "operator",
        "add",
        "camille",
        "--role",
        "agent",
        "--password-stdin",
        "--db",
        db,
        input=f"{PASSWORD}\n",
    )
    assert_done(result)
    return secret_shown(result)


# --- add ----------------------------------------------------------------------------


def test_add_with_password_stdin_prints_the_uri_and_a_qr_code(db: Path) -> None:
    result = csu(
        "operator",
        "add",
        "camille",
        "--role",
        "agent",
        "--name",
        "Camille Martin",
        "--password-stdin",
        "--db",
        db,
        input=f"{PASSWORD}\n",
    )
    assert_done(result)
    text = said(result)
    assert "Opérateur « camille » créé (agent)." in text
    assert "Scannez maintenant ce QR code" in text and "il ne sera plus affiché" in text
    assert URI.search(text) and "issuer=CSU" in text
    assert sum(result.output.count(block) for block in QR_BLOCKS) > 100
    row = operator(db, "camille")
    assert row is not None and row.display_name == "Camille Martin"


def test_the_operator_added_logs_in_with_the_code_of_the_uri_shown(db: Path, camille: str) -> None:
    assert logs_in(db, "camille", PASSWORD, camille)


def test_add_hashes_the_password_with_the_argon2_cost_of_the_settings(
    db: Path, camille: str
) -> None:
    row = operator(db, "camille")
    assert row is not None and row.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_add_asks_for_the_password_twice_without_password_stdin(db: Path) -> None:
    result = csu(
        "operator",
        "add",
        "claude",
        "--role",
        "superviseur",
        "--db",
        db,
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert_done(result)
    assert "Mot de passe (confirmation)" in said(result)
    assert PASSWORD not in result.output  # hidden input
    assert logs_in(db, "claude", PASSWORD, secret_shown(result))


def test_add_without_a_password_to_read_says_it_is_missing(db: Path) -> None:
    result = csu("operator", "add", "claude", "--role", "superviseur", "--db", db, input="")
    assert_refused(result, "Mot de passe manquant : tapez-le deux fois à l'invite")
    assert operator(db, "claude") is None


def test_add_with_two_different_passwords_creates_nothing(db: Path) -> None:
    result = csu(
        "operator",
        "add",
        "claude",
        "--role",
        "superviseur",
        "--db",
        db,
        input=f"{PASSWORD}\nautre-chose\n",
    )
    assert_refused(result, "Les deux mots de passe saisis diffèrent : rien n'a été créé.")
    assert operator(db, "claude") is None


def test_add_a_president_of_a_known_bureau(db: Path) -> None:
    with deps_of(db) as deps, deps.writing() as session:
        session.add(Bureau(code="B75", name="Paris"))
    result = csu(
        "operator",
        "add",
        "dominique",
        "--role",
        "president",
        "--bureau",
        "B75",
        "--password-stdin",
        "--db",
        db,
        input=f"{PASSWORD}\n",
    )
    assert_done(result)
    assert "(président de bureau)" in said(result)
    row = operator(db, "dominique")
    assert row is not None and row.bureau_code == "B75"


def test_add_a_president_of_an_unknown_bureau_is_refused_in_french(db: Path) -> None:
    result = csu(
        "operator",
        "add",
        "dominique",
        "--role",
        "president",
        "--bureau",
        "B99",
        "--password-stdin",
        "--db",
        db,
        input=f"{PASSWORD}\n",
    )
    assert_refused(result, "Bureau : bureau de vote inconnu « B99 »")


def test_add_with_an_unknown_role_is_refused_in_french(db: Path) -> None:
    result = csu(
        "operator",
        "add",
        "camille",
        "--role",
        "chef",
        "--password-stdin",
        "--db",
        db,
        input=f"{PASSWORD}\n",
    )
    assert_refused(result, "Rôle : « chef » inconnu")


def add_agent(db: Path, login: str, password: str, *options: str) -> Result:
    return csu(
        "operator", "add", login, "--role", "agent", *options, "--password-stdin", "--db", db,
        input=f"{password}\n",
    )  # fmt: skip


def test_add_with_a_too_short_password_is_refused_in_french(db: Path) -> None:
    result = add_agent(db, "camille", "abc")
    assert_refused(result, "Mot de passe : 12 caractères au moins (3 saisis)")
    assert operator(db, "camille") is None


def test_add_with_a_common_password_is_refused_saying_why(db: Path) -> None:
    result = add_agent(db, "camille", "azertyuiop12")
    assert_refused(result, "Mot de passe : trop courant ou trop prévisible")
    assert "un mot de passe répandu" in said(result)
    assert "azertyuiop12" not in said(result)
    assert operator(db, "camille") is None


def test_add_with_a_password_derived_from_the_login_is_refused(db: Path) -> None:
    result = add_agent(db, "camille", "Camille-2024-Pluie")
    assert_refused(result, "Mot de passe : dérivé de l'identifiant « camille »")
    assert operator(db, "camille") is None


def test_add_with_a_control_character_in_the_login_is_refused_naming_the_field(
    db: Path,
) -> None:
    result = add_agent(db, "cam\x1b[31mille", PASSWORD)
    assert_refused(result, "Identifiant : caractère interdit")
    assert "U+001B" in said(result)
    assert "operator_add" not in actions(db)


def test_add_with_a_bidi_override_in_the_name_is_refused_naming_the_field(db: Path) -> None:
    result = add_agent(db, "camille", PASSWORD, "--name", "Camille \u202eMartin")
    assert_refused(result, "Nom affiché : caractère interdit")
    assert operator(db, "camille") is None


def test_add_on_a_database_never_initialised_asks_nothing(tmp_path: Path) -> None:
    result = csu("operator", "add", "camille", "--role", "agent", "--db", tmp_path / "x.sqlite")
    assert_refused(result, "csu init")
    assert "Mot de passe" not in said(result)


def test_add_is_journalled(db: Path, camille: str) -> None:
    assert "operator_add" in actions(db)


# --- disable, reset-totp, unlock ----------------------------------------------------


def test_disable_stops_the_operator_logging_in(db: Path, camille: str) -> None:
    result = csu("operator", "disable", "camille", "--reason", "départ", "--db", db)
    assert_done(result)
    assert "Opérateur « camille » désactivé." in said(result)
    assert not logs_in(db, "camille", PASSWORD, camille)
    assert re.search(r"camille\W+camille\W+agent\W+non", said(csu("operator", "list", "--db", db)))
    assert "operator_disable" in actions(db)


def test_change_makes_an_agent_president_of_a_bureau(db: Path, camille: str) -> None:
    with deps_of(db) as deps, deps.writing() as session:
        session.add(Bureau(code="B75", name="Paris"))
    result = csu(
        "operator", "change", "camille", "--role", "president", "--bureau", "B75",
        "--reason", "renfort du bureau", "--db", db,
    )  # fmt: skip
    assert_done(result)
    assert "Opérateur « camille » : désormais président de bureau (B75)." in said(result)
    row = operator(db, "camille")
    assert row is not None and (row.role, row.bureau_code) == ("president", "B75")
    assert "operator_change" in actions(db)


def test_change_to_a_president_without_a_bureau_is_refused_in_french(
    db: Path, camille: str
) -> None:
    result = csu("operator", "change", "camille", "--role", "president", "--db", db)
    assert_refused(result, "Bureau : un président est rattaché à un bureau de vote")
    row = operator(db, "camille")
    assert row is not None and row.role == "agent"


def test_change_of_the_last_administrator_is_refused_in_french(db: Path) -> None:
    assert_done(
        csu("operator", "add", "alix", "--role", "admin", "--password-stdin", "--db", db,
            input=f"{PASSWORD}\n")
    )  # fmt: skip
    result = csu("operator", "change", "alix", "--role", "agent", "--db", db)
    assert_refused(result, "« alix » est le seul administrateur actif")


def test_reset_totp_prints_a_new_uri_and_qr_code(db: Path, camille: str) -> None:
    result = csu("operator", "reset-totp", "camille", "--db", db)
    assert_done(result)
    assert "les anciens codes ne valent plus" in said(result)
    assert sum(result.output.count(block) for block in QR_BLOCKS) > 100
    fresh = secret_shown(result)
    assert fresh != camille
    assert logs_in(db, "camille", PASSWORD, fresh)
    assert "operator_totp_reset" in actions(db)


def test_list_shows_a_locked_operator_from_where_and_until_when(db: Path, camille: str) -> None:
    for _ in range(MAX_FAILURES):
        assert not logs_in(db, "camille", "wrong-password", camille)
    [view] = [v for v in listed(db) if v.login == "camille"]
    assert view.origins_locked_until is not None
    until = to_paris(view.origins_locked_until)
    result = csu("operator", "list", "--db", db)
    assert_done(result)
    assert re.search(
        rf"camille\W+camille\W+agent\W+oui\W+1 poste jusqu'à {until:%H:%M}", said(result)
    )


def test_unlock_lets_a_locked_operator_log_in(db: Path, camille: str) -> None:
    for _ in range(MAX_FAILURES):
        assert not logs_in(db, "camille", "wrong-password", camille)
    assert not logs_in(db, "camille", PASSWORD, camille)
    result = csu("operator", "unlock", "camille", "--db", db)
    assert_done(result)
    assert "Opérateur « camille » déverrouillé." in said(result)
    assert logs_in(db, "camille", PASSWORD, camille)
    assert "operator_unlock" in actions(db)


@pytest.mark.parametrize("command", ["disable", "reset-totp", "unlock"])
def test_an_unknown_operator_is_refused_in_french(db: Path, command: str) -> None:
    result = csu("operator", command, "personne", "--db", db)
    assert_refused(result, "Erreur : Opérateur inconnu : « personne ».")


def test_unlocking_an_operator_not_locked_says_so(db: Path, camille: str) -> None:
    result = csu("operator", "unlock", "camille", "--db", db)
    assert_done(result)
    assert "Opérateur « camille » : n'était pas verrouillé." in said(result)
    assert "déverrouillé" not in said(result)
