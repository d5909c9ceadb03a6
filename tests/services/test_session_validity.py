"""A session lives while it is its operator's live one: one login at a time, and an
account disabled, given another role or bureau, or whose authenticator was reset ends
it. The services refuse at once, in the action's own transaction, what a session no
longer live asks; a later login takes over, abandoning what the earlier one left open."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from csu.domain.checkpoint import NoteSigner
from csu.domain.roles import Role
from csu.services.alerts import current_alerts, review_alerts
from csu.services.audit import (
    acknowledge_set_aside,
    export_filter_warnings,
    export_journal,
    export_journal_file,
    integrate_journal,
    journal_backlog,
    pending_entries,
    queue_health,
    set_aside_after,
    verify_journal,
)
from csu.services.auth import log_in, log_out, session_ended
from csu.services.call_script import checklist, redirected_count
from csu.services.checkpoints import check_integrity, latest_checkpoint, sign_checkpoint
from csu.services.context import SESSION_REFUSALS, Deps, OperatorContext, SessionClosed
from csu.services.credentials import issue_credential
from csu.services.dashboard import dashboard
from csu.services.escalation import (
    callback_number,
    close_escalation,
    escalation_counts,
    escalation_queue,
    take_escalation,
)
from csu.services.interventions import (
    ROLE_CHANGED_NOTE,
    close_intervention,
    current_intervention,
    intervention_steps,
)
from csu.services.journal_review import (
    ReviewFilter,
    count_entries,
    entry_detail,
    filter_choices,
    intervention_timeline,
    next_page,
    search_journal,
)
from csu.services.letters import letter_preview
from csu.services.operators import (
    add_operator,
    change_operator,
    disable_operator,
    list_bureaus,
    list_operators,
    reset_totp,
    unlock_operator,
)
from csu.services.originals import import_originals
from csu.services.outbox import abandon, list_messages, resend
from csu.services.platform_clients import (
    add_platform_client,
    list_platform_clients,
    revoke_platform_client,
)
from csu.services.presence import (
    attest_presence,
    presence_requests,
    presence_status,
    request_presence_check,
)
from csu.services.retention import purge
from csu.services.rolls import import_voters, import_votes
from csu.services.substitution import decide_substitution, get_substitution, pending_substitutions
from csu.services.support import voter_support
from csu.services.verification import unlock_voter
from csu.services.voters import open_voter, record_search, reveal_field, search_voters
from csu.services.webhooks import list_webhooks, resend_webhook
from csu.store import sequencer
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
    assert intervention(desk, call_id).outcome == "abandonné"


def test_disabling_an_operator_abandons_the_intervention_they_left_open(
    desk: Desk, president: str
) -> None:
    # Their terminal may be dead: no session of theirs will ever close it.
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    closed = intervention(desk, call_id)
    assert (closed.outcome, closed.closed_at is not None) == ("abandonné", True)
    assert stored_session(desk) is None


def test_the_abandon_of_a_disabled_operator_s_intervention_names_the_administrator(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    [entry] = [e for e in entries(desk.deps, "intervention_close") if e["intervention"] == call_id]
    assert (entry["outcome"], entry["operator"]) == ("abandonné", ADMIN.login)
    assert entry["details"] == {"note": "compte désactivé par un administrateur"}


def test_the_logout_of_a_disabled_operator_abandons_nothing_more(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    in_person_call(desk, desk.caller, who)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    log_out(desk.deps, who)
    assert len(entries(desk.deps, "intervention_close")) == 1


def test_the_logout_of_a_disabled_operator_says_the_account_was_disabled(
    desk: Desk, president: str
) -> None:
    who = logged_in(desk)
    disable_operator(desk.deps, ADMIN, president, reason="compte compromis")
    log_out(desk.deps, who)
    [logout] = entries(desk.deps, "logout")
    assert logout["details"] == {"reason": "compte désactivé par un administrateur"}


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
    change_operator(desk.deps, ADMIN, president, role="president", bureau="B-SUD")
    assert session_ended(desk.deps, who) == "changed"
    with pytest.raises(SessionClosed, match=refused("changed")):
        open_voter(desk.deps, who, desk.caller.voter_id)


def test_a_session_ends_when_its_operator_s_role_changes(desk: Desk, president: str) -> None:
    who = logged_in(desk)
    change_operator(desk.deps, ADMIN, president, role="agent")
    with pytest.raises(SessionClosed, match=refused("changed")):
        open_call(desk, desk.caller, who, channel="president")


def test_a_change_of_role_abandons_the_intervention_left_open_in_the_admin_s_name(
    desk: Desk, president: str
) -> None:
    # Opened under rights the operator no longer holds: nobody could close it.
    who = logged_in(desk)
    call_id = in_person_call(desk, desk.caller, who)
    changed = change_operator(desk.deps, ADMIN, president, role="president", bureau="B-SUD")
    assert changed.abandoned
    assert intervention(desk, call_id).outcome == "abandonné"
    [entry] = [e for e in entries(desk.deps, "intervention_close") if e["intervention"] == call_id]
    assert (entry["operator"], entry["details"]) == (ADMIN.login, {"note": ROLE_CHANGED_NOTE})


def test_after_a_change_of_role_the_operator_logs_in_with_the_new_one(
    desk: Desk, president: str
) -> None:
    logged_in(desk)
    change_operator(desk.deps, ADMIN, president, role="agent")
    again = logged_in(desk, "poste-2")
    assert (again.role, again.bureau) == ("agent", None)


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


# --- a supervisor's or administrator's session, disabled ---------------------------------
# Every service such a session may call that reads personal data, changes something or
# shows the journal refuses it at once, before its terminal notices the session ended.


def _every_row(desk: Desk) -> dict[str, list[str]]:
    """Every table's rows, to prove that a refused action changed nothing."""
    if desk.deps.engine.dialect.name == "postgresql":
        assert sequencer.settle(desk.deps.engine)
    with desk.deps.reading() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(table.select()))
            for table in SQLModel.metadata.sorted_tables
        }


def _disabled(desk: Desk, login: str, role: str) -> OperatorContext:
    """A live session of a new ``role`` operator, whose account is then disabled."""
    add_operator(desk.deps, ADMIN, login, role=role, password=PASSWORD, totp_secret=SECRET)
    who = log_in(desk.deps, login, PASSWORD, pyotp.TOTP(SECRET).at(desk.clock.now), "poste-9")
    if role == "admin":  # the cell keeps an administrator (disable_operator)
        add_operator(desk.deps, ADMIN, f"{login}.relais", role="admin", password=PASSWORD)
    disable_operator(desk.deps, ADMIN, login, reason="compte compromis")
    return who


def _file(desk: Desk, text: str) -> Path:
    path = desk.tmp_path / "import.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _exported(desk: Desk, who: OperatorContext) -> None:
    out = io.StringIO()
    try:
        export_journal(desk.deps, who, out)
    finally:
        assert out.getvalue() == ""  # not a line of the journal


@dataclass(frozen=True)
class _Ready:
    """What the actions act on, made before the store's rows are taken."""

    desk: Desk
    who: OperatorContext
    call_id: str  # an agent's intervention on the caller

    @property
    def deps(self) -> Deps:
        return self.desk.deps


_EVERYONE = ReviewFilter()
_VOTES = "identifiant;vote_le\n{}; 02/12/2022 10:15\n"
# The role of the disabled session, and the action it asks.
_ACTIONS: dict[str, tuple[Role, Callable[[_Ready], object]]] = {
    "search_voters": ("superviseur", lambda r: search_voters(
        r.deps, r.who, r.desk.caller.matricule)),
    "record_search": ("superviseur", lambda r: record_search(
        r.deps, r.who, r.desk.caller.matricule, [])),
    "search_journal": ("superviseur", lambda r: search_journal(r.deps, r.who, _EVERYONE)),
    "next_page": ("superviseur", lambda r: next_page(r.deps, r.who, _EVERYONE, 1, 10)),
    "count_entries": ("superviseur", lambda r: count_entries(r.deps, r.who, _EVERYONE)),
    "entry_detail": ("superviseur", lambda r: entry_detail(r.deps, r.who, 1)),
    "intervention_timeline": ("superviseur", lambda r: intervention_timeline(
        r.deps, r.who, r.call_id)),
    "pending_entries": ("superviseur", lambda r: pending_entries(r.deps, r.who)),
    "set_aside_after": ("superviseur", lambda r: set_aside_after(r.deps, r.who, 0)),
    "acknowledge_set_aside": ("admin", lambda r: acknowledge_set_aside(
        r.deps, r.who, 1, "entrée examinée")),
    "export_journal": ("superviseur", lambda r: _exported(r.desk, r.who)),
    "export_journal_file": ("admin", lambda r: export_journal_file(
        r.deps, r.who, r.desk.tmp_path / "export.csv")),
    "add_operator": ("admin", lambda r: add_operator(
        r.deps, r.who, "nouvel.agent", role="agent", password=PASSWORD)),
    "disable_operator": ("admin", lambda r: disable_operator(
        r.deps, r.who, "autre.agent", reason="départ")),
    "reset_totp": ("admin", lambda r: reset_totp(
        r.deps, r.who, "autre.agent", reason="téléphone perdu")),
    "unlock_operator": ("admin", lambda r: unlock_operator(
        r.deps, r.who, "autre.agent", reason="appel reçu")),
    "add_platform_client": ("admin", lambda r: add_platform_client(
        r.deps, r.who, "nouvelle-plateforme", [r.desk.caller.election])),
    "revoke_platform_client": ("admin", lambda r: revoke_platform_client(
        r.deps, r.who, "plateforme")),
    "import_voters": ("admin", lambda r: import_voters(
        r.deps, r.who, _file(r.desk, "matricule;nom\n"), r.desk.caller.election)),
    "import_votes": ("admin", lambda r: import_votes(
        r.deps, r.who, _file(r.desk, _VOTES.format(r.desk.caller.identifier)),
        r.desk.caller.election)),
    "import_originals": ("admin", lambda r: import_originals(
        r.deps, r.who, _file(r.desk, "identifiant;type;hash\n"), r.desk.caller.election)),
    "purge": ("admin", lambda r: purge(r.deps, r.who)),
    "escalation_queue": ("superviseur", lambda r: escalation_queue(r.deps, r.who)),
    "take_escalation": ("superviseur", lambda r: take_escalation(r.deps, r.who, 1)),
    "callback_number": ("superviseur", lambda r: callback_number(r.deps, r.who, 1)),
    "close_escalation": ("superviseur", lambda r: close_escalation(
        r.deps, r.who, 1, "résolu", "rappelé, code renvoyé")),
    "pending_substitutions": ("superviseur", lambda r: pending_substitutions(r.deps, r.who)),
    "decide_substitution": ("superviseur", lambda r: decide_substitution(
        r.deps, r.who, 1, True, "pièce vérifiée")),
    "get_substitution": ("superviseur", lambda r: get_substitution(r.deps, r.who, 1)),
    "resend": ("superviseur", lambda r: resend(r.deps, r.who, 1)),
    "abandon": ("superviseur", lambda r: abandon(r.deps, r.who, 1)),
    "review_alerts": ("superviseur", lambda r: review_alerts(r.deps, r.who)),
    "voter_support": ("superviseur", lambda r: voter_support(
        r.deps, r.who, r.desk.caller.voter_id)),
    "resend_webhook": ("admin", lambda r: resend_webhook(r.deps, r.who, 1)),
    "unlock_voter": ("superviseur", lambda r: unlock_voter(
        r.deps, r.who, r.desk.caller.voter_id, "rappel vérifié")),
    "sign_checkpoint": ("superviseur", lambda r: sign_checkpoint(
        r.deps, r.who, NoteSigner.generate("csu.test/journal"))),
    # Reads: a disabled account's terminal read on (attack run).
    "intervention_steps": ("superviseur", lambda r: intervention_steps(
        r.deps, r.who, r.call_id)),
    "checklist": ("superviseur", lambda r: checklist(r.deps, r.who, r.call_id)),
    "redirected_count": ("superviseur", lambda r: redirected_count(r.deps, r.who)),
    "dashboard": ("superviseur", lambda r: dashboard(r.deps, r.who)),
    "current_alerts": ("superviseur", lambda r: current_alerts(r.deps, r.who)),
    "list_operators": ("superviseur", lambda r: list_operators(r.deps, r.who)),
    "list_bureaus": ("admin", lambda r: list_bureaus(r.deps, r.who)),
    "list_messages": ("superviseur", lambda r: list_messages(r.deps, r.who)),
    "verify_journal": ("superviseur", lambda r: verify_journal(r.deps, r.who)),
    "journal_backlog": ("superviseur", lambda r: journal_backlog(r.deps, r.who)),
    "queue_health": ("superviseur", lambda r: queue_health(r.deps, r.who)),
    "integrate_journal": ("superviseur", lambda r: integrate_journal(r.deps, r.who)),
    "export_filter_warnings": ("superviseur", lambda r: export_filter_warnings(
        r.deps, r.who, _EVERYONE)),
    "list_webhooks": ("admin", lambda r: list_webhooks(r.deps, r.who)),
    "escalation_counts": ("superviseur", lambda r: escalation_counts(r.deps, r.who)),
    "filter_choices": ("superviseur", lambda r: filter_choices(r.deps, r.who)),
    "list_platform_clients": ("superviseur", lambda r: list_platform_clients(r.deps, r.who)),
    "latest_checkpoint": ("superviseur", lambda r: latest_checkpoint(r.deps, r.who)),
    "check_integrity": ("superviseur", lambda r: check_integrity(r.deps, r.who)),
    "presence_status": ("superviseur", lambda r: presence_status(r.deps, r.who, r.call_id)),
    "letter_preview": ("superviseur", lambda r: letter_preview(
        r.deps, r.who, r.call_id, r.desk.caller.material_id)),
}  # fmt: skip


@pytest.mark.parametrize("action", sorted(_ACTIONS))
def test_a_disabled_supervisor_s_or_admin_s_session_is_refused(desk: Desk, action: str) -> None:
    role, asks = _ACTIONS[action]
    add_operator(desk.deps, ADMIN, "autre.agent", role="agent", password=PASSWORD)
    add_platform_client(desk.deps, ADMIN, "plateforme", [desk.caller.election])
    ready = _Ready(desk, _disabled(desk, "ancien.chef", role), open_call(desk, desk.caller).id)
    before = _every_row(desk)
    with pytest.raises(SessionClosed, match=refused("disabled")):
        asks(ready)
    assert _every_row(desk) == before  # nothing journalled, nothing changed
    assert not (desk.tmp_path / "export.csv").exists()


def test_the_command_line_is_no_session_and_is_not_refused(desk: Desk) -> None:
    # No session id: the commands of an administrator in a shell run as before.
    assert count_entries(desk.deps, ADMIN, _EVERYONE) > 0
    export_journal(desk.deps, ADMIN, io.StringIO())
    assert entries(desk.deps, "journal_export")
