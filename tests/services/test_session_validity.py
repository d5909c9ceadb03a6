"""A session lives while it is its operator's live one: one login at a time, and an
account disabled, given another role or bureau, or whose authenticator was reset ends
it. The services refuse at once, in the action's own transaction, what a session no
longer live asks; a later login takes over, abandoning what the earlier one left open."""

import pyotp
import pytest
from sqlalchemy import select, update

from csu.services.auth import log_in, log_out, session_ended
from csu.services.context import SESSION_REFUSALS, OperatorContext, SessionClosed
from csu.services.credentials import issue_credential
from csu.services.interventions import close_intervention, current_intervention
from csu.services.operators import add_operator, disable_operator, reset_totp
from csu.services.presence import attest_presence, presence_requests, request_presence_check
from csu.services.voters import open_voter, reveal_field
from csu.store.tables import Intervention, Operator
from tests.conftest import ADMIN
from tests.services.intervention_support import (
    AGENT,
    DISABLED_PRESIDENT,
    Desk,
    desk_fixture,  # noqa: F401
    entries,
    in_person_call,
    open_call,
)

LOGIN = "pres.test"
PASSWORD = "Pluie-sur-Brest-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def president(desk: Desk) -> str:
    """A president of B-NORD whose authenticator the test holds."""
    add_operator(desk.deps, ADMIN, LOGIN, role="president", password=PASSWORD,
                 bureau="B-NORD", totp_secret=SECRET)  # fmt: skip
    return LOGIN


def logged_in(desk: Desk, workstation: str = "bureau-nord") -> OperatorContext:
    """A login of the president on ``workstation``; the clock then moves on a time step,
    so that the next login has a fresh code."""
    who = log_in(desk.deps, LOGIN, PASSWORD, pyotp.TOTP(SECRET).at(desk.clock.now), workstation)
    desk.clock.advance(seconds=30)
    return who


def refused(reason: str) -> str:
    return f"^{SESSION_REFUSALS[reason]}$"


def intervention(desk: Desk, intervention_id: str) -> Intervention:
    with desk.deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        assert row is not None
        return row


def stored_session(desk: Desk) -> str | None:
    with desk.deps.reading() as session:
        return session.execute(
            select(Operator.session_id).where(Operator.login == LOGIN)
        ).scalar_one()


# --- an account disabled --------------------------------------------------------------


def test_a_disabled_president_s_session_can_no_longer_reset_a_password(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        issue_credential(desk.deps, who, call_id, desk.caller.material_id, "password")
    assert entries(desk.deps, "credential_issue") == []


def test_a_disabled_operator_s_session_opens_no_intervention(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        open_call(desk, desk.caller, who, channel="president")
    assert entries(desk.deps, "intervention_open") == []


def test_a_disabled_operator_s_session_reads_no_voter_file(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        open_voter(desk.deps, who, desk.caller.voter_id)
    assert entries(desk.deps, "consultation") == []


def test_a_disabled_supervisor_s_session_reveals_no_field(desk: Desk) -> None:
    add_operator(desk.deps, ADMIN, "sup.test", role="superviseur", password=PASSWORD,
                 totp_secret=SECRET)  # fmt: skip
    who = log_in(desk.deps, "sup.test", PASSWORD, pyotp.TOTP(SECRET).at(desk.clock.now), "p")
    disable_operator(desk.deps, ADMIN, "sup.test", reason="compte compromis")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        reveal_field(desk.deps, who, desk.caller.voter_id, "email_pro", "rappel demandé")
    assert entries(desk.deps, "révélation") == []


def test_a_disabled_president_s_session_lists_and_attests_no_request(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)  # pres.test presides B-NORD, the caller's bureau
    call = open_call(desk, desk.caller, channel="president", president_login=president)
    check_id = request_presence_check(desk.deps, AGENT, call.id).id
    assert [r.id for r in presence_requests(desk.deps, who)] == [check_id]
    disable_operator(desk.deps, ADMIN, president, reason="mandat terminé")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        presence_requests(desk.deps, who)
    with pytest.raises(SessionClosed, match=refused("disabled")):
        attest_presence(desk.deps, who, check_id, "cni", "4821")
    assert entries(desk.deps, "presence_attest") == []


def test_a_disabled_operator_s_session_cannot_close_its_intervention(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        close_intervention(desk.deps, who, call_id, "résolu")
    assert intervention(desk, call_id).closed_at is None


def test_the_logout_of_a_disabled_operator_abandons_its_intervention(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    log_out(desk.deps, who)
    assert intervention(desk, call_id).outcome == "abandonné"
    assert stored_session(desk) is None


def test_a_context_without_session_of_a_disabled_account_is_refused(desk: Desk) -> None:
    former = OperatorContext(DISABLED_PRESIDENT, "president", "bureau-nord", "B-NORD")
    with pytest.raises(SessionClosed, match=refused("disabled")):
        open_call(desk, desk.caller, former, channel="president")


# --- another login of the same operator ------------------------------------------------


def test_a_login_elsewhere_takes_the_earlier_session_s_intervention_over(
    desk: Desk, president: str
) -> None:
    # A terminal that crashed mid-call, or a tab left open: the call goes on here.
    first = logged_in(desk, "onglet-a")
    call_id = in_person_call(desk, desk.caller, first)
    second = logged_in(desk, "onglet-b")
    found = current_intervention(desk.deps, second)
    assert found is not None and found.id == call_id
    assert intervention(desk, call_id).outcome is None
    close_intervention(desk.deps, second, call_id, "résolu")
    assert intervention(desk, call_id).outcome == "résolu"


def test_a_login_taking_a_session_over_says_so_in_its_entry(desk: Desk, president: str) -> None:
    logged_in(desk, "onglet-a")
    logged_in(desk, "onglet-b")
    first, second = [e for e in entries(desk.deps, "login") if e["operator"] == president]
    assert "reason" not in first["details"]
    assert second["workstation"] == "onglet-b"
    assert second["details"]["reason"] == "reprend une session encore ouverte sur un autre poste"


def test_the_replaced_session_is_refused_what_it_asks(desk: Desk, president: str) -> None:
    first = logged_in(desk, "onglet-a")
    call_id = in_person_call(desk, desk.caller, first)
    logged_in(desk, "onglet-b")
    with pytest.raises(SessionClosed, match=refused("taken_over")):
        issue_credential(desk.deps, first, call_id, desk.caller.material_id, "password")
    with pytest.raises(SessionClosed, match=refused("taken_over")):
        open_call(desk, desk.caller, first, channel="president")


def test_the_replaced_session_s_logout_leaves_the_new_session_s_intervention_open(
    desk: Desk, president: str
) -> None:
    first = logged_in(desk, "onglet-a")
    second = logged_in(desk, "onglet-b")
    call_id = in_person_call(desk, desk.caller, second)
    log_out(desk.deps, first)
    found = current_intervention(desk.deps, second)
    assert found is not None and found.id == call_id
    assert stored_session(desk) == second.session_id
    issue_credential(desk.deps, second, call_id, desk.caller.material_id, "password")


def test_the_replaced_session_s_logout_is_journalled_as_such(desk: Desk, president: str) -> None:
    first = logged_in(desk, "onglet-a")
    logged_in(desk, "onglet-b")
    log_out(desk.deps, first)
    [logout] = entries(desk.deps, "logout")
    assert logout["details"] == {"reason": "session reprise par une connexion sur un autre poste"}


def test_the_live_session_s_logout_clears_its_id(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    assert stored_session(desk) == who.session_id
    log_out(desk.deps, who)
    assert stored_session(desk) is None
    assert session_ended(desk.deps, who) == "ended"


def test_a_session_still_live_is_told_nothing(desk: Desk, president: str) -> None:
    assert session_ended(desk.deps, logged_in(desk)) is None


# --- the account changed ----------------------------------------------------------------


def test_a_session_ends_when_its_operator_s_bureau_changes(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    with desk.deps.writing() as session:  # no service moves a president yet
        session.execute(update(Operator).where(Operator.login == LOGIN).values(bureau_code="B-SUD"))
    assert session_ended(desk.deps, who) == "changed"
    with pytest.raises(SessionClosed, match=refused("changed")):
        open_voter(desk.deps, who, desk.caller.voter_id)


def test_a_session_ends_when_its_operator_s_role_changes(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    with desk.deps.writing() as session:
        session.execute(
            update(Operator).where(Operator.login == LOGIN).values(role="agent", bureau_code=None)
        )
    with pytest.raises(SessionClosed, match=refused("changed")):
        open_call(desk, desk.caller, who, channel="president")


def test_a_session_ends_when_its_authenticator_is_reset(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    reset_totp(desk.deps, ADMIN, president, reason="téléphone perdu")
    assert session_ended(desk.deps, who) == "authenticator"
    with pytest.raises(SessionClosed, match=refused("authenticator")):
        issue_credential(desk.deps, who, call_id, desk.caller.material_id, "password")


def test_a_session_id_is_drawn_afresh_at_each_login(desk: Desk, president: str) -> None:
    first, second = logged_in(desk), logged_in(desk)
    assert first.session_id != second.session_id
