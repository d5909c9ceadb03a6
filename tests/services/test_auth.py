"""Logging in: one message for every failure (locks included), no replayed code, a lock
of the origin after five failures from it (of the account, but where it last logged in,
after twenty from everywhere), and a login typed that names no operator journalled only
as a hash."""

from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from csu.domain.hashing import TYPED_LOGIN, keyed_hash
from csu.services.auth import (
    ACCOUNT_LOCK,
    LOCK_MINUTES,
    LOGIN_FAILED,
    MAX_ACCOUNT_FAILURES,
    MAX_FAILURES,
    ORIGIN_LOCK,
    DemoLogin,
    LoginRefused,
    demo_logins,
    log_in,
    log_out,
    operator_name,
)
from csu.services.context import Deps, OperatorContext
from csu.services.demo import DEMO_OPERATORS
from csu.services.operators import add_demo_operator, add_operator, disable_operator, reset_totp
from csu.store import journal
from csu.store.tables import Bureau, JournalEntry, LoginFailures, Meta, Operator
from tests.conftest import ADMIN, NOW
from tests.fakes import FAST_HASHER, Clock

PASSWORD = "Pluie-sur-Brest-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PRESIDENT_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
POSTE = "poste-7"


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def ops(deps: Deps, clock: Clock) -> Deps:
    """The store with an agent (camille) and a president of bureau B1 (dominique)."""
    ops = Deps(engine=deps.engine, key=deps.key, clock=clock, hasher=FAST_HASHER)
    with ops.writing() as session:
        session.add(Bureau(code="B1", name="Bureau 1"))
    add_operator(
        ops,
        ADMIN,
        "camille",
        role="agent",
        password=PASSWORD,
        display_name="Camille Martin",
        totp_secret=SECRET,
    )
    add_operator(
        ops,
        ADMIN,
        "dominique",
        role="president",
        password=PASSWORD,
        bureau="B1",
        totp_secret=PRESIDENT_SECRET,
    )
    return ops


def code(clock: Clock, secret: str = SECRET, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30 * steps))


def refusal(ops: Deps, login: str, password: str, typed_code: str) -> str:
    with pytest.raises(LoginRefused) as refused:
        log_in(ops, login, password, typed_code, POSTE)
    return str(refused.value)


def stored(ops: Deps, login: str) -> Operator:
    with ops.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).one()


def logins(ops: Deps) -> list[dict]:
    with ops.reading() as session:
        rows = session.exec(
            select(JournalEntry).where(JournalEntry.action == "login").order_by(JournalEntry.seq)
        ).all()
        return [journal.entry_fields(row) for row in rows]


def fail(
    ops: Deps,
    times: int,
    *,
    login: str = "camille",
    origin: str = POSTE,
    password: str = "wrong-password",
) -> None:
    for _ in range(times):
        with pytest.raises(LoginRefused):
            log_in(ops, login, password, "000000", origin)


def guess_codes(ops: Deps, origins: int) -> None:
    """Wrong codes after camille's right password, five from each of ``origins``."""
    for number in range(origins):
        fail(ops, MAX_FAILURES, origin=f"web:203.0.113.{number}", password=PASSWORD)


def failures_from(ops: Deps, login: str) -> dict[str, int]:
    """The failures in a row of ``login``, by origin."""
    with ops.reading() as session:
        rows = session.exec(select(LoginFailures).where(LoginFailures.login == login)).all()
        return {row.origin: row.failures for row in rows}


def origin_lock(ops: Deps, login: str, origin: str) -> datetime | None:
    with ops.reading() as session:
        found = session.get(LoginFailures, (login, origin))
        return found.locked_until if found is not None else None


# --- success ------------------------------------------------------------------------


def test_a_good_login_returns_the_operators_context(ops: Deps, clock: Clock) -> None:
    who = log_in(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), POSTE)
    assert who == OperatorContext(
        login="dominique", role="president", workstation=POSTE, bureau="B1",
        session_id=who.session_id,
    )  # fmt: skip
    assert who.session_id is not None and len(who.session_id) == 32


def test_the_login_is_read_without_case_or_surrounding_spaces(ops: Deps, clock: Clock) -> None:
    assert log_in(ops, "  Camille ", PASSWORD, code(clock), POSTE).login == "camille"


def test_a_code_typed_with_a_space_in_the_middle_is_accepted(ops: Deps, clock: Clock) -> None:
    typed = code(clock)
    assert log_in(ops, "camille", PASSWORD, f"{typed[:3]} {typed[3:]}", POSTE).role == "agent"


def test_the_operator_name_is_the_display_name(ops: Deps, clock: Clock) -> None:
    who = log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    assert operator_name(ops, who) == "Camille Martin"


def test_the_operator_name_of_someone_not_in_the_table_is_their_login(ops: Deps) -> None:
    assert operator_name(ops, ADMIN) == "admin"


# --- one message for every failure --------------------------------------------------


def test_a_wrong_password_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    assert refusal(ops, "camille", "not-the-password", code(clock)) == LOGIN_FAILED


def test_a_wrong_code_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    wrong = f"{(int(code(clock)) + 1) % 1_000_000:06d}"
    assert refusal(ops, "camille", PASSWORD, wrong) == LOGIN_FAILED


def test_a_code_that_is_not_six_digits_is_refused_with_the_one_message(ops: Deps) -> None:
    assert refusal(ops, "camille", PASSWORD, "abcdef") == LOGIN_FAILED


def test_another_operators_code_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    assert refusal(ops, "camille", PASSWORD, code(clock, PRESIDENT_SECRET)) == LOGIN_FAILED


def test_an_unknown_login_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    assert refusal(ops, "personne", PASSWORD, code(clock)) == LOGIN_FAILED


def test_an_unknown_login_still_costs_one_argon2_verification(ops: Deps, clock: Clock) -> None:
    counting = CountingHasher()
    timed = Deps(engine=ops.engine, key=ops.key, clock=clock, hasher=counting)
    refusal(timed, "personne", PASSWORD, code(clock))
    refusal(timed, "camille", "wrong-password", code(clock))
    assert len(counting.verified) == 2
    assert counting.verified[0].startswith("$argon2id$")


def test_disabled_and_locked_logins_cost_one_argon2_verification_too(
    ops: Deps, clock: Clock
) -> None:
    disable_operator(ops, ADMIN, "dominique")
    fail(ops, MAX_FAILURES)
    counting = CountingHasher()
    timed = Deps(engine=ops.engine, key=ops.key, clock=clock, hasher=counting)
    refusal(timed, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET))
    refusal(timed, "camille", PASSWORD, code(clock))
    hashes = [stored(ops, login).password_hash for login in ("dominique", "camille")]
    assert counting.verified == hashes  # their own hashes, as for a wrong password


def test_a_disabled_operator_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    disable_operator(ops, ADMIN, "camille", reason="départ")
    assert refusal(ops, "camille", PASSWORD, code(clock)) == LOGIN_FAILED


def test_a_seed_sealed_under_another_key_says_to_check_the_key(ops: Deps, clock: Clock) -> None:
    other = Deps(
        engine=ops.engine, key=b"another-deployment-key-0123456789", clock=clock, hasher=FAST_HASHER
    )
    assert "vérifiez CSU_SECRET_KEY" in refusal(other, "camille", PASSWORD, code(clock))


# --- codes are used once ------------------------------------------------------------


def test_a_code_is_refused_the_second_time(ops: Deps, clock: Clock) -> None:
    typed = code(clock)
    log_in(ops, "camille", PASSWORD, typed, POSTE)
    clock.advance(seconds=10)  # same step
    assert refusal(ops, "camille", PASSWORD, typed) == LOGIN_FAILED


def test_a_code_is_refused_again_within_its_window_on_the_next_step(
    ops: Deps, clock: Clock
) -> None:
    typed = code(clock)
    log_in(ops, "camille", PASSWORD, typed, POSTE)
    clock.advance(seconds=30)  # the used code is now the previous step's, still in the window
    assert refusal(ops, "camille", PASSWORD, typed) == LOGIN_FAILED


def test_the_next_steps_code_is_accepted_after_a_login(ops: Deps, clock: Clock) -> None:
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    clock.advance(seconds=30)
    assert log_in(ops, "camille", PASSWORD, code(clock), POSTE).login == "camille"


def test_an_older_code_is_refused_after_a_newer_one(ops: Deps, clock: Clock) -> None:
    log_in(ops, "camille", PASSWORD, code(clock, steps=1), POSTE)  # a phone running ahead
    assert refusal(ops, "camille", PASSWORD, code(clock)) == LOGIN_FAILED


def test_the_accepted_step_is_stored(ops: Deps, clock: Clock) -> None:
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    assert stored(ops, "camille").last_totp_step == pyotp.TOTP(SECRET).timecode(clock.now)


@pytest.mark.parametrize("steps", [-1, 1])
def test_a_code_one_step_away_is_accepted(ops: Deps, clock: Clock, steps: int) -> None:
    assert log_in(ops, "camille", PASSWORD, code(clock, steps=steps), POSTE).login == "camille"


@pytest.mark.parametrize("steps", [-2, 2])
def test_a_code_two_steps_away_is_refused(ops: Deps, clock: Clock, steps: int) -> None:
    assert refusal(ops, "camille", PASSWORD, code(clock, steps=steps)) == LOGIN_FAILED


# --- lock after five failures -------------------------------------------------------


def test_four_failures_in_a_row_say_only_the_one_message(ops: Deps) -> None:
    for _ in range(MAX_FAILURES - 1):
        assert refusal(ops, "camille", "wrong-password", "000000") == LOGIN_FAILED
    assert stored(ops, "camille").locked_until is None


def test_the_fifth_failure_locks_the_workstation_out_for_fifteen_minutes(ops: Deps) -> None:
    fail(ops, MAX_FAILURES - 1)
    assert refusal(ops, "camille", "wrong-password", "000000") == LOGIN_FAILED
    assert origin_lock(ops, "camille", POSTE) == NOW + timedelta(minutes=LOCK_MINUTES)
    assert stored(ops, "camille").locked_until is None  # not the account everywhere


def test_an_operator_locked_out_of_one_origin_logs_in_from_another(ops: Deps, clock: Clock) -> None:
    # An outsider typing the president's login on the public page locks out their own
    # address, not the president at the bureau's.
    fail(ops, MAX_FAILURES, login="dominique", origin="web:203.0.113.9")
    president = log_in(
        ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), "web:198.51.100.7"
    )
    assert president.bureau == "B1"


def test_codes_guessed_after_the_right_password_from_many_origins_lock_the_account(
    ops: Deps, clock: Clock
) -> None:
    guess_codes(ops, MAX_ACCOUNT_FAILURES // MAX_FAILURES)
    assert stored(ops, "camille").locked_until == NOW + timedelta(minutes=LOCK_MINUTES)
    with pytest.raises(LoginRefused):
        log_in(ops, "camille", PASSWORD, code(clock), "web:198.51.100.7")
    assert logins(ops)[-1]["details"]["lock"] == ACCOUNT_LOCK


def test_wrong_passwords_from_many_origins_never_lock_the_account(ops: Deps, clock: Clock) -> None:
    # An outsider without the password locks out only the addresses they typed from.
    for number in range(3 * MAX_ACCOUNT_FAILURES):
        fail(ops, MAX_FAILURES, login="dominique", origin=f"web:203.0.113.{number}")
    assert stored(ops, "dominique").locked_until is None
    president = log_in(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), "bureau-b1")
    assert president.bureau == "B1"


def test_one_address_failing_again_after_each_lock_never_locks_the_account(
    ops: Deps, clock: Clock
) -> None:
    for _ in range(4):
        fail(ops, MAX_FAILURES, login="dominique", origin="web:203.0.113.5")
        clock.advance(minutes=LOCK_MINUTES)
    president = log_in(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), "web:1.2.3.4")
    assert president.bureau == "B1"


def test_an_ipv6_host_rotating_its_address_within_its_64_is_one_origin(ops: Deps) -> None:
    for last in range(MAX_FAILURES):
        fail(ops, 1, origin=f"web:2001:db8:1:2::{last + 1:x}")
    assert failures_from(ops, "camille") == {"web:2001:db8:1:2::/64": MAX_FAILURES}
    assert origin_lock(ops, "camille", "web:2001:db8:1:2::/64") is not None


def test_the_origin_of_the_last_good_login_keeps_its_way_in_while_the_account_is_locked(
    ops: Deps, clock: Clock
) -> None:
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    guess_codes(ops, MAX_ACCOUNT_FAILURES // MAX_FAILURES)
    clock.advance(seconds=30)
    assert log_in(ops, "camille", PASSWORD, code(clock), POSTE).login == "camille"


def test_an_origin_idle_for_a_day_is_forgotten_at_the_next_failure(ops: Deps, clock: Clock) -> None:
    fail(ops, 2, origin="web:203.0.113.1")
    clock.advance(days=1, seconds=1)
    fail(ops, 1, origin="web:203.0.113.2")
    assert failures_from(ops, "camille") == {"web:203.0.113.2": 1}


def test_the_origin_of_the_last_good_login_is_still_locked_by_its_own_failures(
    ops: Deps, clock: Clock
) -> None:
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    fail(ops, MAX_FAILURES)
    clock.advance(seconds=30)
    assert refusal(ops, "camille", PASSWORD, code(clock)) == LOGIN_FAILED
    assert logins(ops)[-1]["details"]["lock"] == ORIGIN_LOCK


def test_a_good_login_forgets_the_failures_of_its_origin_only(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES - 1, origin="poste-8")
    fail(ops, MAX_FAILURES - 1)
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    assert failures_from(ops, "camille") == {"poste-8": MAX_FAILURES - 1}


def test_while_locked_the_right_login_gets_the_one_message(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=5)
    assert refusal(ops, "camille", PASSWORD, code(clock)) == LOGIN_FAILED


def test_unknown_disabled_and_locked_logins_are_told_apart_by_nothing(
    ops: Deps, clock: Clock
) -> None:
    disable_operator(ops, ADMIN, "dominique")
    fail(ops, MAX_FAILURES)
    told = {
        refusal(ops, "personne", PASSWORD, code(clock)),
        refusal(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET)),
        refusal(ops, "camille", PASSWORD, code(clock)),
    }
    assert told == {LOGIN_FAILED}


def test_attempts_while_locked_do_not_extend_the_lock(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=10)
    fail(ops, 3)
    assert origin_lock(ops, "camille", POSTE) == NOW + timedelta(minutes=LOCK_MINUTES)


def test_after_fifteen_minutes_the_right_login_works(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=LOCK_MINUTES)
    assert log_in(ops, "camille", PASSWORD, code(clock), POSTE).login == "camille"
    row = stored(ops, "camille")
    assert (row.failed_logins, row.locked_until) == (0, None)
    assert failures_from(ops, "camille") == {}


def test_after_the_lock_expires_one_failure_does_not_lock_again(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=LOCK_MINUTES, seconds=1)
    assert refusal(ops, "camille", "wrong-password", "000000") == LOGIN_FAILED
    assert failures_from(ops, "camille") == {POSTE: 1}
    assert origin_lock(ops, "camille", POSTE) is None


def test_a_success_resets_the_failure_count(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES - 1)
    log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    assert stored(ops, "camille").failed_logins == 0
    fail(ops, MAX_FAILURES - 1)
    assert stored(ops, "camille").locked_until is None


def test_failures_of_one_operator_do_not_lock_another(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    assert log_in(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), POSTE).bureau == "B1"


# --- journal ------------------------------------------------------------------------


def test_a_successful_login_is_journalled_with_the_operator(ops: Deps, clock: Clock) -> None:
    log_in(ops, "Camille", PASSWORD, code(clock), POSTE)
    [entry] = logins(ops)
    assert (entry["outcome"], entry["operator"], entry["role"], entry["workstation"]) == (
        "ok",
        "camille",
        "agent",
        POSTE,
    )
    assert entry["details"]["login"] == "Camille"


def test_a_refused_login_of_an_operator_is_journalled_as_typed(ops: Deps, clock: Clock) -> None:
    refusal(ops, " Camille", "wrong-password", code(clock))
    [entry] = logins(ops)
    assert (entry["outcome"], entry["operator"], entry["details"]["login"]) == (
        "refusé",
        "camille",
        "Camille",
    )


def test_a_login_that_names_no_operator_is_journalled_as_a_keyed_hash(
    ops: Deps, clock: Clock
) -> None:
    refusal(ops, "Inconnu.X ", PASSWORD, code(clock))
    [entry] = logins(ops)
    assert (entry["outcome"], entry["operator"]) == ("refusé", None)
    assert entry["details"] == {"login_hash": keyed_hash(ops.key, TYPED_LOGIN, "inconnu.x")}


def test_a_password_typed_into_the_login_field_never_reaches_the_journal(
    ops: Deps, clock: Clock
) -> None:
    refusal(ops, PASSWORD, "", code(clock))
    with ops.reading() as session:
        bodies = [row.body for row in session.exec(select(JournalEntry)).all()]
    assert not any(
        PASSWORD.encode() in body or PASSWORD.lower().encode() in body for body in bodies
    )


def test_the_same_unknown_login_typed_twice_gives_the_same_hash(ops: Deps, clock: Clock) -> None:
    refusal(ops, "inconnu.x", PASSWORD, code(clock))
    refusal(ops, "INCONNU.X", PASSWORD, code(clock))
    refusal(ops, "autre", PASSWORD, code(clock))
    first, again, other = (entry["details"]["login_hash"] for entry in logins(ops))
    assert first == again != other


def test_an_attempt_while_locked_is_journalled_as_locked(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    refusal(ops, "camille", PASSWORD, code(clock))
    outcomes = [entry["outcome"] for entry in logins(ops)]
    assert outcomes == ["refusé"] * MAX_FAILURES + ["verrouillé"]
    assert all(entry["details"]["login"] == "camille" for entry in logins(ops))


def test_the_journal_says_until_when_the_lock_runs(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=5)
    refusal(ops, "camille", PASSWORD, code(clock))
    until = (NOW + timedelta(minutes=LOCK_MINUTES)).isoformat()
    *_, locking, while_locked = logins(ops)
    assert (locking["details"]["locked_until"], locking["details"]["lock"]) == (until, ORIGIN_LOCK)
    assert (while_locked["outcome"], while_locked["details"]["locked_until"]) == (
        "verrouillé",
        until,
    )


def test_neither_the_password_nor_the_code_reaches_the_journal(ops: Deps, clock: Clock) -> None:
    typed = code(clock)
    log_in(ops, "camille", PASSWORD, typed, POSTE)
    refusal(ops, "camille", "other-Pa55word", typed)  # replayed code, wrong password
    refusal(ops, "camille", PASSWORD, "314159")
    with ops.reading() as session:
        bodies = [row.body for row in session.exec(select(JournalEntry)).all()]
    assert len(bodies) == 5  # two operators created, three attempts
    for secret in (PASSWORD, "other-Pa55word", typed, "314159"):
        assert not any(secret.encode() in body for body in bodies)


def test_log_out_is_journalled(ops: Deps, clock: Clock) -> None:
    who = log_in(ops, "camille", PASSWORD, code(clock), POSTE)
    log_out(ops, who)
    with ops.reading() as session:
        entry = session.exec(select(JournalEntry).where(JournalEntry.action == "logout")).one()
    assert (entry.operator, entry.outcome, entry.workstation) == ("camille", "ok", POSTE)


# --- demo helper --------------------------------------------------------------------


@pytest.fixture
def demo(ops: Deps) -> Deps:
    """``ops`` made a demo: the four demo operators beside camille and dominique, who
    were created like any operator."""
    for login, role, name, secret in DEMO_OPERATORS:
        add_demo_operator(
            ops, ADMIN, login, role=role, password="demo", display_name=name,
            bureau="B1" if role == "president" else None, totp_secret=secret,
        )  # fmt: skip
    with ops.writing() as session:
        session.add(Meta(key="demo", value="true"))
    return ops


def test_no_demo_logins_on_a_database_that_is_not_a_demo(ops: Deps) -> None:
    assert demo_logins(ops) == []


def test_demo_logins_show_the_four_demo_operators_and_their_codes(demo: Deps, clock: Clock) -> None:
    clock.advance(seconds=12)
    assert demo_logins(demo) == [
        DemoLogin(login, role, name, pyotp.TOTP(secret).at(clock.now), 18, "demo")
        for login, role, name, secret in DEMO_OPERATORS
    ]


def test_an_operator_created_later_never_shows_on_the_demo_panel(demo: Deps) -> None:
    add_operator(demo, ADMIN, "claude", role="agent", password=PASSWORD, totp_secret=SECRET)
    shown = demo_logins(demo)
    assert [entry.login for entry in shown] == [login for login, *_ in DEMO_OPERATORS]
    assert pyotp.TOTP(SECRET).at(NOW) not in {entry.code for entry in shown}


def test_a_demo_operator_given_a_new_seed_no_longer_shows_a_code(demo: Deps) -> None:
    reset_totp(demo, ADMIN, "agent", reason="téléphone perdu")
    assert "agent" not in [entry.login for entry in demo_logins(demo)]


def test_a_disabled_demo_operator_is_not_shown(demo: Deps) -> None:
    disable_operator(demo, ADMIN, "superviseur")
    assert "superviseur" not in [entry.login for entry in demo_logins(demo)]


def test_a_demo_code_logs_in(demo: Deps) -> None:
    shown = demo_logins(demo)[0]
    assert log_in(demo, shown.login, "demo", shown.code, POSTE).login == shown.login


def test_a_demo_code_used_to_log_in_is_shown_as_used_until_the_next(
    demo: Deps, clock: Clock
) -> None:
    shown = demo_logins(demo)[0]
    assert not shown.used
    log_in(demo, shown.login, "demo", shown.code, POSTE)
    assert demo_logins(demo)[0].used
    clock.advance(seconds=30)
    assert not demo_logins(demo)[0].used


def test_a_login_with_a_nul_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    assert refusal(ops, "cam\x00ille", PASSWORD, code(clock)) == LOGIN_FAILED


def test_an_origin_idle_for_a_day_starts_again_from_no_failure(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES - 1)
    clock.advance(days=1, seconds=1)
    fail(ops, 1)  # days later, one typo: no lock
    assert failures_from(ops, "camille") == {POSTE: 1}
    assert origin_lock(ops, "camille", POSTE) is None
