"""What the voting platform's login page would answer, from the credentials the cell holds."""

from datetime import timedelta

from sqlalchemy import func, select

from csu.services.credentials import issue_credential
from csu.services.platform import check_login
from csu.store.tables import JournalEntry, Material
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    desk_fixture,
    mark_voted,
    verified_call,
)


def issue_both(desk: Desk, caller: Caller) -> tuple[str, str]:
    """A new security key and a new password for the caller: their displayed forms."""
    call_id = verified_call(desk, caller)
    key = issue_credential(desk.deps, AGENT, call_id, caller.material_id, "security_key")
    password = issue_credential(desk.deps, AGENT, call_id, caller.material_id, "password")
    return key.display, password.display


def logs_in(desk: Desk, caller: Caller, **typed: str) -> bool:
    return check_login(desk.deps, caller.election, caller.identifier, caller.birth_date, **typed)


def test_the_issued_key_and_password_log_in(desk: Desk) -> None:
    key, password = issue_both(desk, desk.caller)
    assert logs_in(desk, desk.caller, security_key=key)
    assert logs_in(desk, desk.caller, password=password)
    assert logs_in(desk, desk.caller, security_key=key, password=password)


def test_every_credential_given_must_be_right(desk: Desk) -> None:
    key, password = issue_both(desk, desk.caller)
    assert not logs_in(desk, desk.caller, security_key=key, password=password[::-1])
    assert not logs_in(desk, desk.caller, security_key=key[::-1], password=password)


def test_a_login_without_any_credential_fails(desk: Desk) -> None:
    issue_both(desk, desk.caller)
    assert not logs_in(desk, desk.caller)


def test_a_credential_the_cell_never_issued_cannot_be_checked(desk: Desk) -> None:
    assert not logs_in(desk, desk.caller, security_key="ABCD-EFGH-JKMN-PQRS")


def test_the_wrong_birth_date_fails(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)
    assert not check_login(
        desk.deps, "minint-2022", desk.caller.identifier,
        desk.caller.birth_date + timedelta(days=1), security_key=key,
    )


def test_another_voters_identifier_or_election_fails(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)
    birth = desk.caller.birth_date
    assert not check_login(desk.deps, "minint-2022", desk.neighbour.identifier, birth,
                           security_key=key)
    assert not check_login(desk.deps, "men-2022", desk.caller.identifier, birth,
                           security_key=key)
    assert not check_login(desk.deps, "minint-2022", "INCONNU", birth, security_key=key)


def test_a_key_with_a_character_outside_its_alphabet_fails(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)
    assert not logs_in(desk, desk.caller, security_key="O" + key[1:])


def test_a_material_that_has_voted_no_longer_logs_in(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)
    mark_voted(desk, desk.caller)
    assert not logs_in(desk, desk.caller, security_key=key)


def test_an_invalidated_material_no_longer_logs_in(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)
    with desk.deps.writing() as session:  # as a substitution would leave it
        material = session.get(Material, desk.caller.material_id)
        assert material is not None
        material.status = "substituted"
        session.add(material)
    assert not logs_in(desk, desk.caller, security_key=key)


def test_checking_a_login_journals_nothing(desk: Desk) -> None:
    key, _ = issue_both(desk, desk.caller)

    def count() -> int:
        with desk.deps.reading() as session:
            return session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()

    before = count()
    logs_in(desk, desk.caller, security_key=key)
    logs_in(desk, desk.caller, security_key="nope")
    assert count() == before
