"""A disabled operator is neither unlocked nor given a new TOTP seed: a disabled account
is never enabled again, so either would only mislead the administrator (« déverrouillé »
reads as « may log in again ») or hand out a seed nobody may use. The refusal says so,
and what lets the person back in: a new account."""

from pathlib import Path

import pytest
from sqlmodel import select

from csu.domain import sealing
from csu.services.auth import MAX_FAILURES, LoginRefused, log_in
from csu.services.context import Deps, ServiceError
from csu.services.operators import (
    TOTP_PURPOSE,
    add_operator,
    disable_operator,
    reset_totp,
    unlock_operator,
)
from csu.store.tables import JournalEntry, LoginFailures, Operator
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised
from tests.conftest import ADMIN
from tests.fakes import FAST_HASHER

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Pluie-sur-Brest-42"
DISABLED = "L'opérateur « camille » est désactivé : il ne peut plus se connecter"
HOW_BACK = "créez-lui un nouveau compte, sous un autre identifiant"


@pytest.fixture
def ops(deps: Deps) -> Deps:
    return Deps(engine=deps.engine, key=deps.key, clock=deps.clock, hasher=FAST_HASHER)


@pytest.fixture
def camille(ops: Deps) -> str:
    """Camille, locked out after too many failed logins, then disabled."""
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD, totp_secret=SECRET)
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            log_in(ops, "camille", "wrong-password", "000000", "poste-test")
    disable_operator(ops, ADMIN, "camille")
    return "camille"


def stored(deps: Deps, login: str) -> Operator:
    with deps.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).one()


def origin_failures(deps: Deps, login: str) -> int:
    with deps.reading() as session:
        rows = session.exec(select(LoginFailures).where(LoginFailures.login == login)).all()
        return sum(row.failures for row in rows)


def journalled(deps: Deps, action: str) -> int:
    with deps.reading() as session:
        return len(session.exec(select(JournalEntry).where(JournalEntry.action == action)).all())


def test_unlocking_a_disabled_operator_is_refused_and_changes_nothing(
    ops: Deps, camille: str
) -> None:
    before = stored(ops, camille)
    with pytest.raises(ServiceError, match=f"^{DISABLED}.*{HOW_BACK}"):
        unlock_operator(ops, ADMIN, " Camille ", reason="retour de congé")
    after = stored(ops, camille)
    assert (after.failed_logins, after.locked_until) == (before.failed_logins, before.locked_until)
    assert origin_failures(ops, camille) == MAX_FAILURES
    assert journalled(ops, "operator_unlock") == 0


def test_a_new_totp_seed_is_refused_to_a_disabled_operator_and_the_old_one_kept(
    ops: Deps, camille: str
) -> None:
    with pytest.raises(ServiceError, match=f"^{DISABLED}.*{HOW_BACK}"):
        reset_totp(ops, ADMIN, "camille")
    assert sealing.unseal(ops.key, TOTP_PURPOSE, stored(ops, camille).totp_secret_sealed) == SECRET
    assert journalled(ops, "operator_totp_reset") == 0


@pytest.fixture
def cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database where the command line created operator camille, then disabled her."""
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "8")  # the operator's hash: no need to be slow
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "1")
    monkeypatch.setenv("CSU_ARGON2_TIME_COST", "1")
    db = initialised(tmp_path / "base" / "cellule.sqlite")
    add = ("operator", "add", "camille", "--role", "agent", "--password-stdin", "--db", db)
    assert_done(csu(*add, input=f"{PASSWORD}\n"))
    assert_done(csu("operator", "disable", "camille", "--db", db))
    return db


@pytest.mark.parametrize("command", ["unlock", "reset-totp"])
def test_the_command_line_refuses_a_disabled_operator_saying_how_to_let_them_back(
    cell: Path, command: str
) -> None:
    result = csu("operator", command, "camille", "--reason", "retour", "--db", cell)
    assert_refused(result, DISABLED, HOW_BACK, "csu operator add")
    assert "otpauth://" not in result.output  # no seed shown for an account nobody uses
