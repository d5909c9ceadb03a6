"""S5 after the phone control (seed 000: « Après contrôle, l'électeur sera invité à
formuler sa demande complète »): a substitution request is taken only in a call whose
caller was verified, and still is; otherwise it is refused in French, saying to verify
first, journalled « refusée », and nothing of it is stored. The supervisors' approval
comes later, outside the call, and is unchanged.

The store is the S5 tests' (tests.services.test_substitution): cci-hdf-2021 and
minint-2022 loaded, on SQLite and on PostgreSQL; here the caller is verified through
the real answers (birth date + a one-time code sent to the registered mobile).
"""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from csu.domain.verification import VERIFICATION_VALIDITY
from csu.services.context import OperatorContext, ServiceError
from csu.services.elections import get_definition, store_definition
from csu.services.interventions import close_intervention, open_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.substitution import (
    UNVERIFIED,
    decide_substitution,
    request_check,
    request_substitution,
)
from csu.services.verification import verify_identity
from csu.store.tables import SubstitutionRequest
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services import test_substitution as s5
from tests.services.intervention_support import entries
from tests.services.test_substitution import (
    ADDRESS,
    CCI,
    DECLARED,
    WITH_CREDENTIALS,
    Cell,
    Elector,
    complete,
    material,
    messages,
)

cell = s5.cell  # the S5 tests' store, on SQLite and on PostgreSQL

SUPERVISOR_2 = OperatorContext(login="sup2", role="superviseur", workstation="poste-3")
# The request's author, later a supervisor: still not the one who decides it.
AGENT_AS_SUPERVISOR = OperatorContext(login=AGENT.login, role="superviseur", workstation="p")


def opened(cell: Cell, elector: Elector | None = None, who: OperatorContext = AGENT) -> str:
    """An intervention by phone, the caller not verified yet."""
    return open_intervention(cell.deps, who, (elector or cell.voter).voter_id, "phone").id


def phone_control(
    cell: Cell, call: str, elector: Elector | None = None, who: OperatorContext = AGENT,
    *, right: bool = True,
) -> bool:
    """The S5 script's « Contrôle par téléphone »: date of birth + the one-time code sent
    to the registered mobile (a wrong code when not ``right``)."""
    elector = elector or cell.voter
    send_one_time_code(cell.deps, who, call, "otp_mobile")
    code = cell.outbox.last_code()
    if not right:
        code = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = {"birth_date": f"{elector.birth_date:%d/%m/%Y}", "otp_mobile": code}
    return verify_identity(cell.deps, who, call, answers).verified


def request(cell: Cell, call: str, who: OperatorContext = AGENT, **changes: object):
    options: dict = {
        "checklist": complete(cell.deps),
        "identity_match": True,
        "email": ADDRESS,
        "declared_on": DECLARED,
    }
    options.update(changes)
    options.setdefault("email_again", options["email"])  # typed twice alike
    return request_substitution(
        cell.deps, who, call, [cell.voter.material_id], **options,
    )  # fmt: skip


def stored_requests(cell: Cell) -> list[SubstitutionRequest]:
    with cell.deps.reading() as session:
        return list(session.execute(select(SubstitutionRequest)).scalars())


def assert_refused_unverified(cell: Cell, call: str, refused: pytest.ExceptionInfo) -> None:
    """Refused in French with what to do, journalled « refusée », nothing stored."""
    said = str(refused.value)
    assert said == UNVERIFIED
    assert "vérifiez-la d'abord" in said and "contrôle de l'identité" in said
    assert stored_requests(cell) == []
    assert material(cell, cell.voter.material_id).status == "active"
    [entry] = entries(cell.deps, "substitution_request")
    assert (entry["outcome"], entry["intervention"]) == ("refusée", call)
    assert entry["details"]["request"] is None and entry["details"]["verified"] is False
    assert entry["details"]["reason"] == said
    assert entry["details"]["materials"] == [cell.voter.material_id]
    assert ADDRESS not in str(entry)  # the address typed is not kept for a refusal


# ------------------------------------------------------------------ refused


def test_a_request_before_the_phone_control_is_refused_and_journalled(cell: Cell) -> None:
    call = opened(cell)
    with pytest.raises(ServiceError) as refused:
        request(cell, call)
    assert_refused_unverified(cell, call, refused)
    assert [m.purpose for m in messages(cell)] == []  # nothing sent to the voter


def test_a_failed_phone_control_does_not_open_the_request(cell: Cell) -> None:
    call = opened(cell)
    assert not phone_control(cell, call, right=False)
    with pytest.raises(ServiceError) as refused:
        request(cell, call)
    assert_refused_unverified(cell, call, refused)


def test_a_verification_that_lapsed_must_be_done_again(cell: Cell) -> None:
    call = opened(cell)
    assert phone_control(cell, call)
    cell.clock.now += VERIFICATION_VALIDITY + timedelta(seconds=1)
    with pytest.raises(ServiceError) as refused:
        request(cell, call)
    assert_refused_unverified(cell, call, refused)


def test_a_supervisor_s_own_request_needs_the_control_too(cell: Cell) -> None:
    call = opened(cell, who=SUPERVISOR)
    with pytest.raises(ServiceError, match="vérifiez-la d'abord"):
        request(cell, call, who=SUPERVISOR)
    assert stored_requests(cell) == []


def test_the_factors_the_election_demands_for_its_credentials_apply(cell: Cell) -> None:
    """An election whose new material carries a security key that ``verification_for``
    reserves to the code sent by e-mail: a control by SMS does not open the request."""
    with cell.deps.reading() as session:
        definition = get_definition(session, CCI)
    by_email = (frozenset({"birth_date", "otp_email"}),)
    store_definition(
        cell.deps, ADMIN,
        replace(definition, credentials=dict(WITH_CREDENTIALS),
                verification_for={"security_key": by_email}),
        "variante de test",
    )  # fmt: skip
    call = opened(cell)
    assert phone_control(cell, call)
    with pytest.raises(ServiceError, match="clé de sécurité, l'identité doit être vérifiée"):
        request(cell, call)
    assert stored_requests(cell) == []
    [entry] = entries(cell.deps, "substitution_request")
    assert entry["outcome"] == "refusée" and "otp_email" not in entry["details"]["reason"]


# ------------------------------------------------------------------ accepted


def test_after_the_phone_control_the_request_is_taken(cell: Cell) -> None:
    call = opened(cell)
    assert phone_control(cell, call)
    view = request(cell, call)
    assert view.pending and view.intervention_id == call
    [entry] = entries(cell.deps, "substitution_request")
    assert entry["outcome"] == "en attente" and entry["details"]["request"] == view.id
    steps = [e["action"] for e in entries(cell.deps, intervention=call)]
    assert steps.index("verification") < steps.index("substitution_request")


def test_refused_first_then_taken_once_verified_in_the_same_call(cell: Cell) -> None:
    call = opened(cell)
    with pytest.raises(ServiceError):
        request(cell, call)
    assert phone_control(cell, call)
    view = request(cell, call)
    assert view.pending
    assert [e["outcome"] for e in entries(cell.deps, "substitution_request")] == [
        "refusée", "en attente",
    ]  # fmt: skip


def test_the_supervisors_approval_is_unchanged_after_the_call(cell: Cell) -> None:
    """Decided later, the call closed and its verification long lapsed: the four eyes
    still grant it."""
    call = opened(cell)
    assert phone_control(cell, call)
    asked = request(cell, call)
    close_intervention(cell.deps, AGENT, call, "résolu")
    cell.clock.now += timedelta(hours=3)
    with pytest.raises(ServiceError, match="quatre yeux"):
        decide_substitution(cell.deps, AGENT_AS_SUPERVISOR, asked.id, True, "pièces vues")
    view = decide_substitution(cell.deps, SUPERVISOR_2, asked.id, True, "pièces vérifiées")
    assert view.state == "accordée"
    assert material(cell, cell.voter.material_id).status == "substituted"


# ------------------------------------------------------- what the form asks first


def test_the_form_learns_whether_the_call_is_verified(cell: Cell) -> None:
    call = opened(cell)
    before = request_check(cell.deps, AGENT, call)
    assert not before.allowed and before.refusal == UNVERIFIED
    assert before.verified_until is None
    assert phone_control(cell, call)
    after = request_check(cell.deps, AGENT, call)
    assert after.allowed and after.refusal is None
    assert after.verified_until is not None
    assert after.verified_until == cell.clock.now + VERIFICATION_VALIDITY
    assert entries(cell.deps, "substitution_request") == []  # asking records nothing


def test_the_form_of_another_operator_s_call_is_refused(cell: Cell) -> None:
    call = opened(cell)
    assert phone_control(cell, call)
    other = OperatorContext(login="agent2", role="agent", workstation="poste-2")
    found = request_check(cell.deps, other, call)
    assert not found.allowed and found.refusal and "ouvrez-en une" in found.refusal
