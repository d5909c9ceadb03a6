"""An administrator gives an operator another role, or a president another bureau: the
change is journalled before/after with its reason, the operator's session ends at its
next step, and what they left open under the old rights is closed as abandonné."""

import threading
from collections.abc import Callable

import pyotp
import pytest
from sqlmodel import select

from csu.domain.errors import InvalidValue
from csu.services.auth import log_in, session_ended
from csu.services.context import (
    Deps,
    Forbidden,
    OperatorContext,
    ServiceError,
    SessionClosed,
)
from csu.services.operators import (
    OperatorChanged,
    add_operator,
    change_operator,
    disable_operator,
    list_operators,
)
from csu.store import journal
from csu.store.tables import Bureau, JournalEntry
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR
from tests.fakes import FAST_HASHER

PASSWORD = "Pluie-sur-Brest-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def ops(deps: Deps) -> Deps:
    ops = Deps(engine=deps.engine, key=deps.key, clock=deps.clock, hasher=FAST_HASHER)
    with ops.writing() as session:
        session.add(Bureau(code="B01", name="Mairie"))
        session.add(Bureau(code="B02", name="École"))
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD)
    add_operator(ops, ADMIN, "dominique", role="president", password=PASSWORD, bureau="B01")
    return ops


def listed(deps: Deps, login: str) -> tuple[str, str | None]:
    [view] = [view for view in list_operators(deps, ADMIN) if view.login == login]
    return view.role, view.bureau


def entries(deps: Deps, action: str) -> list[dict]:
    with deps.reading() as session:
        rows = session.exec(select(JournalEntry).where(JournalEntry.action == action)).all()
        return [journal.entry_fields(row) for row in rows]


def test_an_agent_becomes_a_supervisor(ops: Deps) -> None:
    changed = change_operator(ops, ADMIN, "camille", role="superviseur")
    assert changed == OperatorChanged("camille", "superviseur", None, abandoned=False)
    assert listed(ops, "camille") == ("superviseur", None)


def test_a_president_moves_to_another_bureau(ops: Deps) -> None:
    change_operator(ops, ADMIN, "Dominique ", role="president", bureau="B02")
    assert listed(ops, "dominique") == ("president", "B02")


def test_a_president_who_becomes_an_agent_leaves_their_bureau(ops: Deps) -> None:
    change_operator(ops, ADMIN, "dominique", role="agent")
    assert listed(ops, "dominique") == ("agent", None)


def test_the_change_is_journalled_before_and_after_with_its_reason(ops: Deps) -> None:
    change_operator(ops, ADMIN, "dominique", role="agent", reason=" renfort du plateau ")
    [entry] = entries(ops, "operator_change")
    assert entry["operator"] == ADMIN.login
    assert entry["details"] == {
        "login": "dominique",
        "changes": {"role": ["president", "agent"], "bureau": ["B01", None]},
        "reason": "renfort du plateau",
    }


def test_a_move_of_bureau_journals_only_the_bureau(ops: Deps) -> None:
    change_operator(ops, ADMIN, "dominique", role="president", bureau="B02")
    [entry] = entries(ops, "operator_change")
    assert entry["details"]["changes"] == {"bureau": ["B01", "B02"]}


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR])
def test_only_an_administrator_changes_a_role(ops: Deps, who: OperatorContext) -> None:
    with pytest.raises(Forbidden, match="administrateur"):
        change_operator(ops, who, "camille", role="admin")
    assert listed(ops, "camille") == ("agent", None)


def test_a_president_needs_a_bureau(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="rattaché à un bureau"):
        change_operator(ops, ADMIN, "camille", role="president")


def test_only_a_president_has_a_bureau(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="seul un président"):
        change_operator(ops, ADMIN, "camille", role="superviseur", bureau="B01")


def test_an_unknown_bureau_is_named(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="bureau de vote inconnu « B99 »"):
        change_operator(ops, ADMIN, "camille", role="president", bureau="B99")
    assert listed(ops, "camille") == ("agent", None)


def test_an_unknown_role_is_named_with_those_expected(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="« chef » inconnu ; attendus : agent"):
        change_operator(ops, ADMIN, "camille", role="chef")


def test_an_unknown_operator_is_named(ops: Deps) -> None:
    with pytest.raises(ServiceError, match=r"^Opérateur inconnu : « personne »"):
        change_operator(ops, ADMIN, "personne", role="agent")


def test_a_change_to_what_is_already_there_is_said_and_not_journalled(ops: Deps) -> None:
    with pytest.raises(ServiceError, match=r"déjà président de bureau \(B01\) : rien n.a changé"):
        change_operator(ops, ADMIN, "dominique", role="president", bureau="B01")
    assert entries(ops, "operator_change") == []


def test_an_administrator_cannot_change_their_own_role(ops: Deps) -> None:
    add_operator(ops, ADMIN, "admin", role="admin", password=PASSWORD)
    with pytest.raises(ServiceError, match="votre propre compte"):
        change_operator(ops, ADMIN, "admin", role="agent")
    assert listed(ops, "admin") == ("admin", None)


def test_the_last_active_administrator_keeps_the_role(ops: Deps) -> None:
    # The command line (cli:root) is no operator: it could leave the cell without one.
    add_operator(ops, ADMIN, "alix", role="admin", password=PASSWORD)
    with pytest.raises(ServiceError, match="seul administrateur actif"):
        change_operator(ops, ADMIN, "alix", role="agent")
    assert listed(ops, "alix") == ("admin", None)


def test_an_administrator_may_step_down_while_another_remains(ops: Deps) -> None:
    add_operator(ops, ADMIN, "alix", role="admin", password=PASSWORD)
    add_operator(ops, ADMIN, "sacha", role="admin", password=PASSWORD)
    change_operator(ops, ADMIN, "alix", role="superviseur")
    assert listed(ops, "alix") == ("superviseur", None)


def test_a_disabled_operator_keeps_their_role(ops: Deps) -> None:
    disable_operator(ops, ADMIN, "camille")
    with pytest.raises(ServiceError, match="désactivé"):
        change_operator(ops, ADMIN, "camille", role="superviseur")


@pytest.mark.parametrize("hostile", ["B01\n", "B\x1b[31m01", "B0\u202e1"])
def test_a_bureau_with_a_control_character_is_refused(ops: Deps, hostile: str) -> None:
    with pytest.raises(InvalidValue):
        change_operator(ops, ADMIN, "camille", role="president", bureau=hostile)
    assert listed(ops, "camille") == ("agent", None)


@pytest.mark.parametrize("hostile", ["B01\n", "B\x1b[31m01", "B0\u202e1"])
def test_a_new_president_s_bureau_with_a_control_character_is_refused(
    ops: Deps, hostile: str
) -> None:
    with pytest.raises(InvalidValue, match="Bureau"):
        add_operator(ops, ADMIN, "claude", role="president", password=PASSWORD, bureau=hostile)


# --- the cell keeps an administrator, and its refusals are journalled -------------------


def admin_session(deps: Deps, login: str) -> OperatorContext:
    """An administrator ``login`` (created if need be) logged in on their own workstation."""
    if login not in {view.login for view in list_operators(deps, ADMIN)}:
        add_operator(deps, ADMIN, login, role="admin", password=PASSWORD, totp_secret=SECRET)
    return log_in(deps, login, PASSWORD, pyotp.TOTP(SECRET).at(NOW), f"poste-{login}")


def active_admins(deps: Deps) -> list[str]:
    return [v.login for v in list_operators(deps, ADMIN) if v.role == "admin" and v.active]


def test_the_last_active_administrator_is_not_disabled(ops: Deps) -> None:
    add_operator(ops, ADMIN, "alix", role="admin", password=PASSWORD)
    with pytest.raises(Forbidden, match="seul administrateur actif"):
        disable_operator(ops, ADMIN, "alix")
    assert active_admins(ops) == ["alix"]


def test_an_administrator_is_disabled_while_another_remains(ops: Deps) -> None:
    add_operator(ops, ADMIN, "alix", role="admin", password=PASSWORD)
    add_operator(ops, ADMIN, "sacha", role="admin", password=PASSWORD)
    disable_operator(ops, ADMIN, "alix")
    assert active_admins(ops) == ["sacha"]


@pytest.mark.parametrize(
    "attempt",
    [
        lambda deps, who: change_operator(deps, who, who.login, role="agent"),
        lambda deps, who: disable_operator(deps, who, who.login),
    ],
    ids=["change", "disable"],
)
def test_a_refusal_of_one_s_own_account_is_journalled(
    ops: Deps, attempt: Callable[[Deps, OperatorContext], object]
) -> None:
    who = admin_session(ops, "alix")
    with pytest.raises(Forbidden, match="votre propre compte"):
        attempt(ops, who)
    [entry] = entries(ops, "role_refused")
    assert entry["operator"] == "alix"


def test_the_refusal_to_demote_the_last_administrator_is_journalled(ops: Deps) -> None:
    add_operator(ops, ADMIN, "alix", role="admin", password=PASSWORD)
    with pytest.raises(Forbidden):
        change_operator(ops, ADMIN, "alix", role="agent")
    [entry] = entries(ops, "role_refused")
    assert entry["details"]["service"] == "change_operator"
    assert "seul administrateur actif" in entry["details"]["reason"]


def test_a_change_then_back_still_ends_the_session(ops: Deps) -> None:
    # Both before their terminal looks: the role is as it was, the session is not.
    add_operator(ops, ADMIN, "claude", role="president", password=PASSWORD, bureau="B01",
                 totp_secret=SECRET)  # fmt: skip
    claude = log_in(ops, "claude", PASSWORD, pyotp.TOTP(SECRET).at(NOW), "bureau-1")
    change_operator(ops, ADMIN, "claude", role="president", bureau="B02")
    change_operator(ops, ADMIN, "claude", role="president", bureau="B01")
    assert session_ended(ops, claude) == "ended"


def at_once(*calls: Callable[[], object]) -> list[BaseException]:
    """Runs ``calls`` in threads started together; the refusals they met."""
    start = threading.Barrier(len(calls))
    refused: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
        except (Forbidden, SessionClosed) as refusal:
            refused.append(refusal)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return refused


def demote_and_disable_each_other(deps: Deps, first: str, second: str) -> list[BaseException]:
    one, other = admin_session(deps, first), admin_session(deps, second)
    return at_once(
        lambda: change_operator(deps, one, other.login, role="agent"),
        lambda: disable_operator(deps, other, one.login),
    )


def test_two_administrators_acting_on_each_other_at_once_leave_one(ops: Deps) -> None:
    # Each demotes or disables the other at the same moment: one of the two finds its
    # own session ended and does nothing (on PostgreSQL both went through: two of the
    # cell's administrators gone at once, the last two leaving none).
    for round_ in range(6):
        pair = (f"a{round_}x", f"a{round_}y")
        refused = demote_and_disable_each_other(ops, *pair)
        assert len(set(pair) & set(active_admins(ops))) == 1, (round_, refused)
        assert len(refused) == 1


def test_a_new_agent_with_a_bureau_is_refused_rather_than_the_bureau_dropped(ops: Deps) -> None:
    # « csu operator add --role agent --bureau B01 » kept the agent and dropped the bureau.
    with pytest.raises(InvalidValue, match="seul un président est rattaché"):
        add_operator(ops, ADMIN, "claude", role="agent", password=PASSWORD, bureau="B01")


def test_a_login_longer_than_any_is_refused_without_being_echoed(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="64 caractères au plus") as refused:
        change_operator(ops, ADMIN, "x" * 10_000, role="agent")
    assert len(str(refused.value)) < 200


def test_a_bureau_longer_than_any_is_refused_without_being_echoed(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="64 caractères au plus") as refused:
        change_operator(ops, ADMIN, "camille", role="president", bureau="B" * 10_000)
    assert len(str(refused.value)) < 200


def test_a_login_with_a_line_break_is_refused_by_disable_as_by_change(ops: Deps) -> None:
    with pytest.raises(InvalidValue):
        disable_operator(ops, ADMIN, "camille\n")
    assert [v.active for v in list_operators(ops, ADMIN) if v.login == "camille"] == [True]


@pytest.mark.parametrize("hostile", ["ag\x1b[31mx", "agent\u202e", "x" * 10_000])
def test_a_hostile_role_is_refused_without_being_echoed_as_typed(ops: Deps, hostile: str) -> None:
    # An escape sequence typed in --role reached the terminal in the refusal.
    with pytest.raises(InvalidValue) as refused:
        change_operator(ops, ADMIN, "camille", role=hostile)
    assert "\x1b" not in str(refused.value) and "\u202e" not in str(refused.value)
    assert len(str(refused.value)) < 200
