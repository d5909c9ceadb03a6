"""Locks in force are alerts: a voter locked after failed verifications (a supervisor
unlocks them), an operator whose logins are locked (an administrator does). Before,
a supervisor learnt of either only when someone called about it."""

import pyotp
import pytest

from csu.domain.alerts import (
    ACCOUNT_LOCK_ADVICE,
    LOGIN_LOCKED,
    ORIGIN_LOCK_ADVICE,
    VOTER_LOCK_ADVICE,
    VOTER_LOCKED,
    Alert,
)
from csu.domain.verification import MAX_FAILURES
from csu.services.alerts import current_alerts, review_alerts
from csu.services.auth import MAX_ACCOUNT_FAILURES, LoginRefused, log_in
from csu.services.auth import MAX_FAILURES as MAX_LOGIN_FAILURES
from csu.services.interventions import close_intervention
from csu.services.operators import add_operator, disable_operator, unlock_operator
from csu.services.verification import unlock_voter, verify_identity
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Caller,
    Desk,
    desk_fixture,
    entries,
    in_person_call,
    open_call,
    wrong,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Pluie-sur-Brest-42"


def of_kind(desk: Desk, kind: str) -> list[Alert]:
    return [alert for alert in current_alerts(desk.deps, SUPERVISOR) if alert.kind == kind]


def fail(desk: Desk, caller: Caller, times: int) -> list[int]:
    """Remote verifications of ``caller`` that fail, a minute apart: their entries."""
    for _ in range(times):
        call = open_call(desk, caller)
        answers = {name: wrong(value) for name, value in caller.phone_answers().items()}
        assert not verify_identity(desk.deps, AGENT, call.id, answers).verified
        close_intervention(desk.deps, AGENT, call.id, "refusé")
        desk.clock.advance(minutes=1)
    return [e["seq"] for e in entries(desk.deps, "verification") if e["outcome"] != "vérifié"]


# --------------------------------------------------------------------- voters


def test_a_voter_locked_after_failed_verifications_raises_an_alert(desk: Desk) -> None:
    failed = fail(desk, desk.caller, MAX_FAILURES)
    [alert] = of_kind(desk, VOTER_LOCKED)
    assert list(alert.seqs) == failed
    assert alert.title.startswith("Électeur verrouillé pour la vérification à distance jusqu'au ")
    assert alert.title.endswith(f"après {MAX_FAILURES} vérifications échouées.")
    assert alert.advice == VOTER_LOCK_ADVICE
    assert desk.caller.matricule not in alert.title  # the app's notice names no voter


def test_a_voter_locked_by_wrong_answers_beside_sets_that_verified_raises_an_alert(
    desk: Desk,
) -> None:
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    for _ in range(MAX_FAILURES):
        answers = {"numen": row["numen"], "challenge_answer": row["reponse_defi"],
                   "nir10": wrong(row["nir"][:10])}  # fmt: skip
        assert verify_identity(desk.deps, AGENT, call.id, answers).verified
        desk.clock.advance(minutes=1)
    [alert] = of_kind(desk, VOTER_LOCKED)
    assert list(alert.seqs) == [e["seq"] for e in entries(desk.deps, "verification")]


def test_the_review_names_the_locked_voter(desk: Desk) -> None:
    fail(desk, desk.caller, MAX_FAILURES)
    [view] = [v for v in review_alerts(desk.deps, SUPERVISOR) if v.alert.kind == VOTER_LOCKED]
    assert view.matricule == desk.caller.matricule


def test_failures_below_the_lock_raise_none(desk: Desk) -> None:
    fail(desk, desk.caller, MAX_FAILURES - 1)
    assert of_kind(desk, VOTER_LOCKED) == []


def test_unlocking_the_voter_ends_the_alert(desk: Desk) -> None:
    fail(desk, desk.caller, MAX_FAILURES)
    unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, "identité vérifiée par rappel")
    assert of_kind(desk, VOTER_LOCKED) == []


def test_the_alert_ends_with_the_lock(desk: Desk) -> None:
    fail(desk, desk.caller, MAX_FAILURES)
    desk.clock.advance(hours=24)
    assert of_kind(desk, VOTER_LOCKED) == []


def test_a_second_lock_after_an_unlock_is_a_new_alert_of_its_own_failures(desk: Desk) -> None:
    first = fail(desk, desk.caller, MAX_FAILURES)
    [before] = of_kind(desk, VOTER_LOCKED)
    unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, "identité vérifiée par rappel")
    desk.clock.advance(minutes=1)
    again = [seq for seq in fail(desk, desk.caller, MAX_FAILURES) if seq not in first]
    [after] = of_kind(desk, VOTER_LOCKED)
    assert after.key != before.key
    assert list(after.seqs) == again


def test_a_failed_check_in_person_is_not_counted_behind_the_lock(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    close_intervention(desk.deps, PRESIDENT_NORD, call, "résolu")
    failed = fail(desk, desk.caller, MAX_FAILURES)
    [alert] = of_kind(desk, VOTER_LOCKED)
    assert list(alert.seqs) == failed


# --------------------------------------------------------------------- logins


@pytest.fixture
def camille(desk: Desk) -> str:
    add_operator(desk.deps, ADMIN, "camille", role="agent", password=PASSWORD, totp_secret=SECRET)
    return "camille"


def refused(desk: Desk, login: str, password: str, times: int, origin: str = "poste-7") -> None:
    for _ in range(times):
        code = pyotp.TOTP(SECRET).at(desk.clock.now) if password == PASSWORD else "000000"
        with pytest.raises(LoginRefused):
            log_in(desk.deps, login, password, code if password != PASSWORD else wrong(code),
                   origin)  # fmt: skip
        desk.clock.advance(seconds=30)


def test_a_workstation_locked_out_of_an_account_raises_an_alert(
    desk: Desk, camille: str
) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES)
    [alert] = of_kind(desk, LOGIN_LOCKED)
    assert alert.title.startswith("Connexion de camille verrouillée : 1 poste jusqu'à ")
    assert alert.operator == "camille"
    assert alert.advice == ORIGIN_LOCK_ADVICE
    logins = [e["seq"] for e in entries(desk.deps, "login") if e["operator"] == "camille"]
    assert list(alert.seqs) == logins


def test_failed_logins_below_the_lock_raise_none(desk: Desk, camille: str) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES - 1)
    assert of_kind(desk, LOGIN_LOCKED) == []


def wrong_codes(desk: Desk, login: str) -> None:
    """Wrong codes after the right password, from two workstations: the account locks."""
    half = MAX_ACCOUNT_FAILURES // 2
    refused(desk, login, PASSWORD, half, origin="poste-1")
    refused(desk, login, PASSWORD, MAX_ACCOUNT_FAILURES - half, origin="poste-2")


def test_the_whole_account_locked_says_so(desk: Desk, camille: str) -> None:
    wrong_codes(desk, camille)
    found = of_kind(desk, LOGIN_LOCKED)
    assert [alert.advice for alert in found] == [ACCOUNT_LOCK_ADVICE]
    assert found[0].title.startswith("Connexion de camille verrouillée : compte jusqu'à ")
    assert found[0].title.endswith(", 2 postes.")


def test_an_account_lock_is_notified_apart_from_the_workstations_lock(
    desk: Desk, camille: str
) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES, origin="poste-3")
    [workstations] = of_kind(desk, LOGIN_LOCKED)
    wrong_codes(desk, camille)
    [account] = of_kind(desk, LOGIN_LOCKED)
    assert account.key != workstations.key


def test_unlocking_the_operator_ends_the_alert(desk: Desk, camille: str) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES)
    unlock_operator(desk.deps, ADMIN, camille, reason="fautes de frappe")
    assert of_kind(desk, LOGIN_LOCKED) == []


def test_the_login_alert_ends_with_the_lock(desk: Desk, camille: str) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES)
    desk.clock.advance(minutes=15)
    assert of_kind(desk, LOGIN_LOCKED) == []


def test_a_disabled_operators_lock_raises_none(desk: Desk, camille: str) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES)
    disable_operator(desk.deps, ADMIN, camille, reason="départ")
    assert of_kind(desk, LOGIN_LOCKED) == []


def test_the_refused_logins_listed_are_bounded(desk: Desk, camille: str) -> None:
    from csu.services.alerts import LOGIN_LOCK_ENTRIES

    for n in range(LOGIN_LOCK_ENTRIES // MAX_LOGIN_FAILURES + 2):
        refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES, origin=f"poste-{n}")
    [alert] = of_kind(desk, LOGIN_LOCKED)
    assert len(alert.seqs) == LOGIN_LOCK_ENTRIES
    newest = [e["seq"] for e in entries(desk.deps, "login") if e["operator"] == "camille"]
    assert list(alert.seqs) == newest[-LOGIN_LOCK_ENTRIES:]


def test_an_unknown_login_locks_nothing_and_raises_none(desk: Desk) -> None:
    for _ in range(MAX_LOGIN_FAILURES + 1):
        with pytest.raises(LoginRefused):
            log_in(desk.deps, "personne", "mauvais", "000000", "poste-7")
    assert of_kind(desk, LOGIN_LOCKED) == []


def test_a_lock_older_than_its_span_is_gone(desk: Desk, camille: str) -> None:
    refused(desk, camille, "mauvais", MAX_LOGIN_FAILURES)
    desk.clock.advance(minutes=14)
    assert len(of_kind(desk, LOGIN_LOCKED)) == 1
