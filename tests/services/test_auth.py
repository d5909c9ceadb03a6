"""Logging in: one message for every failure, no replayed code, a lock after five failures."""

from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from csu.services.auth import (
    LOCK_MINUTES,
    LOGIN_FAILED,
    MAX_FAILURES,
    DemoLogin,
    LoginRefused,
    demo_logins,
    log_in,
    log_out,
    operator_name,
)
from csu.services.context import Deps, OperatorContext
from csu.services.operators import add_operator, disable_operator
from csu.store import journal
from csu.store.tables import Bureau, JournalEntry, Meta, Operator
from tests.conftest import ADMIN, NOW

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "s3cret-long"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PRESIDENT_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
POSTE = "poste-7"


class Clock:
    """A clock that tests move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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
    ops = Deps(engine=deps.engine, key=deps.key, clock=clock, hasher=FAST)
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


def fail(ops: Deps, times: int) -> None:
    for _ in range(times):
        refusal(ops, "camille", "wrong-password", "000000")


# --- success ------------------------------------------------------------------------


def test_a_good_login_returns_the_operators_context(ops: Deps, clock: Clock) -> None:
    who = log_in(ops, "dominique", PASSWORD, code(clock, PRESIDENT_SECRET), POSTE)
    assert who == OperatorContext(
        login="dominique", role="president", workstation=POSTE, bureau="B1"
    )


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


def test_a_disabled_operator_is_refused_with_the_one_message(ops: Deps, clock: Clock) -> None:
    disable_operator(ops, ADMIN, "camille", reason="départ")
    assert refusal(ops, "camille", PASSWORD, code(clock)) == LOGIN_FAILED


def test_a_seed_sealed_under_another_key_says_to_check_the_key(ops: Deps, clock: Clock) -> None:
    other = Deps(
        engine=ops.engine, key=b"another-deployment-key-0123456789", clock=clock, hasher=FAST
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


def test_the_fifth_failure_locks_the_operator_for_fifteen_minutes(ops: Deps) -> None:
    fail(ops, MAX_FAILURES - 1)
    message = refusal(ops, "camille", "wrong-password", "000000")
    # 10:45 UTC is 11:45 in Paris in December.
    assert message.startswith("Compte verrouillé jusqu'à 11 h 45 après 5 échecs.")
    assert stored(ops, "camille").locked_until == NOW + timedelta(minutes=LOCK_MINUTES)


def test_while_locked_the_right_login_says_until_when_in_paris_time(
    ops: Deps, clock: Clock
) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=5)
    assert refusal(ops, "camille", PASSWORD, code(clock)) == (
        "Compte verrouillé jusqu'à 11 h 45 après 5 échecs. Un administrateur peut le déverrouiller."
    )


def test_the_lock_time_is_in_paris_summer_time(deps: Deps) -> None:
    summer = Clock(datetime.fromisoformat("2023-06-15T07:02:00+00:00"))
    ops = Deps(engine=deps.engine, key=deps.key, clock=summer, hasher=FAST)
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD, totp_secret=SECRET)
    fail(ops, MAX_FAILURES)
    assert refusal(ops, "camille", PASSWORD, code(summer)).startswith(
        "Compte verrouillé jusqu'à 9 h 17 après"
    )


def test_attempts_while_locked_do_not_extend_the_lock(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=10)
    fail(ops, 3)
    assert stored(ops, "camille").locked_until == NOW + timedelta(minutes=LOCK_MINUTES)


def test_after_fifteen_minutes_the_right_login_works(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=LOCK_MINUTES)
    assert log_in(ops, "camille", PASSWORD, code(clock), POSTE).login == "camille"
    row = stored(ops, "camille")
    assert (row.failed_logins, row.locked_until) == (0, None)


def test_after_the_lock_expires_one_failure_does_not_lock_again(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    clock.advance(minutes=LOCK_MINUTES, seconds=1)
    assert refusal(ops, "camille", "wrong-password", "000000") == LOGIN_FAILED
    assert stored(ops, "camille").failed_logins == 1


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


def test_a_refused_login_is_journalled_with_the_login_typed(ops: Deps, clock: Clock) -> None:
    refusal(ops, "inconnu.x", PASSWORD, code(clock))
    [entry] = logins(ops)
    assert (entry["outcome"], entry["operator"], entry["details"]["login"]) == (
        "refusé",
        None,
        "inconnu.x",
    )


def test_an_attempt_while_locked_is_journalled_as_locked(ops: Deps, clock: Clock) -> None:
    fail(ops, MAX_FAILURES)
    refusal(ops, "camille", PASSWORD, code(clock))
    outcomes = [entry["outcome"] for entry in logins(ops)]
    assert outcomes == ["refusé"] * MAX_FAILURES + ["verrouillé"]
    assert all(entry["details"]["login"] == "camille" for entry in logins(ops))


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


def test_no_demo_logins_on_a_database_that_is_not_a_demo(ops: Deps) -> None:
    assert demo_logins(ops) == []


def test_demo_logins_show_each_operators_current_code(ops: Deps, clock: Clock) -> None:
    with ops.writing() as session:
        session.add(Meta(key="demo", value="true"))
    clock.advance(seconds=12)
    assert demo_logins(ops) == [
        DemoLogin(
            "camille", "agent", "Camille Martin", pyotp.TOTP(SECRET).at(clock.now), 18, "demo"
        ),
        DemoLogin(
            "dominique",
            "president",
            "dominique",
            pyotp.TOTP(PRESIDENT_SECRET).at(clock.now),
            18,
            "demo",
        ),
    ]


def test_a_demo_code_logs_in(ops: Deps) -> None:
    with ops.writing() as session:
        session.add(Meta(key="demo", value="true"))
    shown = demo_logins(ops)[0]
    assert log_in(ops, shown.login, PASSWORD, shown.code, POSTE).login == shown.login
