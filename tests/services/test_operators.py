"""Operators: created by an administrator, password hashed, TOTP seed sealed."""

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from csu.domain import sealing
from csu.domain.errors import InvalidValue
from csu.services.context import Deps, Forbidden, ServiceError
from csu.services.operators import TOTP_PURPOSE, add_operator, list_operators
from csu.store.tables import Bureau, JournalEntry, Operator
from tests.conftest import ADMIN, AGENT

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def ops(deps: Deps) -> Deps:
    return Deps(engine=deps.engine, key=deps.key, clock=deps.clock, hasher=FAST)


def stored(deps: Deps, login: str) -> Operator:
    with deps.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).one()


def test_an_operator_is_stored_with_hashes_only(ops: Deps) -> None:
    created = add_operator(ops, ADMIN, "Camille", role="agent", password="s3cret-long")
    row = stored(ops, "camille")
    assert FAST.verify(row.password_hash, "s3cret-long")
    assert "s3cret-long" not in row.password_hash
    secret = sealing.unseal(ops.key, TOTP_PURPOSE, row.totp_secret_sealed)
    assert created.provisioning_uri == pyotp.TOTP(secret).provisioning_uri(
        name="camille", issuer_name="CSU électeurs"
    )


def test_creating_an_operator_is_journalled(ops: Deps) -> None:
    add_operator(ops, ADMIN, "camille", role="agent", password="s3cret-long")
    with ops.reading() as session:
        entry = session.exec(
            select(JournalEntry).where(JournalEntry.action == "operator_add")
        ).one()
    assert b'"login":"camille"' in entry.body
    assert b"s3cret" not in entry.body


def test_a_president_needs_an_existing_bureau(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Bureau"):
        add_operator(ops, ADMIN, "p", role="president", password="s3cret-long")
    with pytest.raises(ServiceError, match="Bureau de vote inconnu"):
        add_operator(ops, ADMIN, "p", role="president", password="s3cret-long", bureau="B1")
    with ops.writing() as session:
        session.add(Bureau(code="B1", name="Bureau 1"))
    add_operator(ops, ADMIN, "p", role="president", password="s3cret-long", bureau="B1")
    assert stored(ops, "p").bureau_code == "B1"


def test_a_login_is_unique(ops: Deps) -> None:
    add_operator(ops, ADMIN, "camille", role="agent", password="s3cret-long")
    with pytest.raises(ServiceError, match="existe déjà"):
        add_operator(ops, ADMIN, "CAMILLE", role="agent", password="autre-secret")


def test_an_unknown_role_is_refused_in_french(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Rôle : « chef » inconnu"):
        add_operator(ops, ADMIN, "camille", role="chef", password="s3cret-long")


def test_a_too_short_totp_seed_stores_nothing(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Secret TOTP"):
        add_operator(ops, ADMIN, "c", role="agent", password="s3cret-long", totp_secret="AAAA")
    assert list_operators(ops, ADMIN) == []


def test_only_an_administrator_creates_operators(ops: Deps) -> None:
    with pytest.raises(Forbidden):
        add_operator(ops, AGENT, "camille", role="agent", password="s3cret-long")
