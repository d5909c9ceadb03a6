"""The platform's login check finds an identifier that is an e-mail address whatever the
case it is typed in (men-2022: the voter's academic address), by an index (migration
0024); any other identifier (minint-2022: a matricule) is compared as typed. On SQLite
and on PostgreSQL."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from csu.services import platform
from csu.services.credentials import issue_credential
from csu.services.platform import ACTION, LoginLocked, check_platform_login
from csu.services.platform_clients import Platform
from csu.store.tables import Material, Voter
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
    verified_call,
    wrong,
)
from tests.services.test_vote_codes import last_token, redeemed, send_sms, verified_teacher

NEOVOTE = Platform(id=1, name="neovote", elections=frozenset({"minint-2022", "men-2022"}))


def vote_code(desk: Desk) -> str:
    """The men-2022 teacher's new vote code, by a link the agent sent."""
    send_sms(desk, verified_teacher(desk))
    return redeemed(desk, last_token(desk)).display


def check(desk: Desk, identifier: str, secrets: dict[str, str], election: str = "men-2022"):
    return check_platform_login(desk.deps, NEOVOTE, election, identifier, secrets)


def pseudonym(desk: Desk, voter_id: int) -> str:
    with desk.deps.reading() as session:
        voter = session.get(Voter, voter_id)
        assert voter is not None
        return voter.pseudonym


def recased(address: str) -> str:
    """« jean.dupont@ac-lille.fr » as « Jean.Dupont@AC-LILLE.FR »."""
    local, domain = address.split("@")
    return f"{local.title()}@{domain.upper()}"


def test_the_roll_holds_addresses_in_lower_case(desk: Desk) -> None:
    identifier = desk.teacher.identifier
    assert "@" in identifier and identifier == identifier.lower() != recased(identifier)


def test_an_address_typed_in_another_case_logs_in_and_is_journalled(desk: Desk) -> None:
    code = vote_code(desk)
    for typed in (recased(desk.teacher.identifier), desk.teacher.identifier.upper()):
        answer = check(desk, f" {typed} ", {"vote_code": code})
        assert (answer.valid, answer.scrutins_open) == (True, ["men-2022"])
    checks = entries(desk.deps, ACTION)
    assert [(e["outcome"], e["subject"], e["election"]) for e in checks] == [
        ("valide", pseudonym(desk, desk.teacher.voter_id), "men-2022")
    ] * 2
    assert checks[0]["details"] == {"material": desk.teacher.material_id, "failures": 0,
                                    "locked_until": None}  # fmt: skip


def test_another_address_or_a_wrong_code_is_still_refused(desk: Desk) -> None:
    code = vote_code(desk)
    teacher = desk.teacher.identifier
    local, domain = teacher.split("@")
    for typed, secrets in [
        (f"{local}x@{domain}".title(), {"vote_code": code}),  # another address
        (teacher.replace("@", "@x"), {"vote_code": code}),  # another domain
        (recased(teacher), {"vote_code": wrong(code)}),
    ]:
        assert not check(desk, typed, secrets).valid
    outcomes = [(e["outcome"], e["subject"]) for e in entries(desk.deps, ACTION)]
    assert outcomes == [("invalide", None), ("invalide", None),
                        ("invalide", pseudonym(desk, desk.teacher.voter_id))]  # fmt: skip


def test_failures_count_together_whatever_the_case(desk: Desk) -> None:
    code = vote_code(desk)
    teacher = desk.teacher.identifier
    spellings = [teacher, recased(teacher), teacher.upper(), teacher.title(), recased(teacher)]
    for typed in spellings:  # men-2022: login_failures_limit = 5
        assert not check(desk, typed, {"vote_code": wrong(code)}).valid
    with pytest.raises(LoginLocked):
        check(desk, teacher, {"vote_code": code})
    assert [e["outcome"] for e in entries(desk.deps, ACTION)][-1] == "bloqué"


def test_a_matricule_is_still_compared_as_typed(desk: Desk) -> None:
    caller = desk.caller  # minint-2022: the identifier is the matricule
    call_id = verified_call(desk, caller)
    secrets = {
        kind: issue_credential(desk.deps, AGENT, call_id, caller.material_id, kind).display
        for kind in ("security_key", "password")
    }
    assert "@" not in caller.identifier and caller.identifier != caller.identifier.lower()
    assert check(desk, caller.identifier, secrets, "minint-2022").valid
    assert not check(desk, caller.identifier.lower(), secrets, "minint-2022").valid
    assert [e["subject"] for e in entries(desk.deps, ACTION)] == [
        pseudonym(desk, caller.voter_id), None
    ]  # fmt: skip


def test_two_addresses_differing_only_in_case_are_told_apart_or_neither(desk: Desk) -> None:
    code = vote_code(desk)
    teacher = desk.teacher.identifier
    with desk.deps.writing() as session:  # a roll that wrote one address twice, recased
        material = session.get(Material, desk.teacher.material_id)
        assert material is not None
        session.add(Material(
            election_id="men-2022", voter_id=desk.caller.voter_id, capacity="électeur",
            identifier=teacher.upper(), bureau_code=material.bureau_code,
            created_at=datetime(2022, 11, 1, tzinfo=UTC),
        ))  # fmt: skip
    assert check(desk, teacher, {"vote_code": code}).valid  # as the roll wrote it
    assert not check(desk, teacher.upper(), {"vote_code": code}).valid  # the other one's
    assert not check(desk, recased(teacher), {"vote_code": code}).valid  # which one?


def explained(engine: Engine, address: str) -> str:
    """The plan of the login check's statement for an address."""
    statement = (
        platform._PG_LOOKUP_ADDRESS
        if engine.dialect.name == "postgresql"
        else platform._LOOKUP_ADDRESS
    )
    compiled = statement.compile(dialect=engine.dialect)
    values = compiled.construct_params({"e": "men-2022", "i": address, "h": "0" * 64})
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert compiled.positiontup is not None
            rows = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled.string,
                tuple(values[name] for name in compiled.positiontup),
            ).all()
            return "\n".join(str(row[-1]) for row in rows)
        # The desk's tables are tiny: a scan would be cheaper. Without one, the plan
        # shows whether the index can serve the condition at all.
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + compiled.string, values).all()
        return "\n".join(row[0] for row in rows)


def test_an_address_is_found_by_the_index_of_lower_case_addresses(desk: Desk) -> None:
    plan = explained(desk.deps.engine, desk.teacher.identifier)
    assert "ix_material_identifier_folded" in plan, plan
    with desk.deps.reading() as session:  # the index covers addresses only
        kinds = set(session.execute(
            select(Material.election_id, Material.identifier.contains("@"))  # type: ignore[attr-defined]
        ).all())  # fmt: skip
    assert ("men-2022", True) in kinds and ("minint-2022", False) in kinds
